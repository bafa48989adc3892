"""Prompt-library errors. Each carries an HTTP status and a stable code for the API.

PromptError                 (400 invalid_input)
├── TemplateError           bad template, variable spec or value (422 invalid_template)
│   ├── MissingVariable     a required variable was not given (422 missing_variable)
│   └── VariableTypeError   a value does not fit its type (422 invalid_variable)
├── PromptNotFound          no such prompt, version or label (404 not_found)
├── PromptConflict          the name exists already (409 conflict)
└── LabelNotAllowed         moving a protected label without the role (403 forbidden)
"""

from __future__ import annotations


class PromptError(ValueError):
    status = 400
    code = "invalid_input"


class TemplateError(PromptError):
    status = 422
    code = "invalid_template"


class MissingVariable(TemplateError):
    code = "missing_variable"


class VariableTypeError(TemplateError):
    code = "invalid_variable"


class PromptNotFound(PromptError):
    status = 404
    code = "not_found"


class PromptConflict(PromptError):
    status = 409
    code = "conflict"


class LabelNotAllowed(PromptError):
    status = 403
    code = "forbidden"
