"""Templates and typed variables.

Syntax: `{{name}}` (spaces inside the braces allowed: `{{ name }}`) is replaced by the
variable's value; names are letters, digits and `_`, not starting with a digit. A literal `{{`
is written `\\{{` (a backslash right before the braces); every other character, including a
lone `{`, `}` or backslash, is copied as is. Nothing else is interpreted: no expressions,
filters or loops, so a template cannot run code or read anything but its variables.

Variable types (spec text for the CLI: `name:type[:default]`):

    str     any text
    int     whole number ("12" from the CLI/API is accepted; true/false are not)
    float   number
    bool    true/false (also yes/no, 1/0, on/off from text)
    list    a list (or, from text, a JSON array or comma-separated values); rendered one
            item per line
    enum    one of fixed choices: `tone:enum(formal|casual):formal`

A variable with a default is optional; without one it is required.

Errors::

    PromptError
    └── TemplateError       bad template, variable spec, or value (the message names it)
        ├── MissingVariable
        └── VariableTypeError
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import MissingVariable, TemplateError, VariableTypeError

TYPES = ("str", "int", "float", "bool", "list", "enum")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PLACEHOLDER = re.compile(r"(\\?)\{\{\s*([^{}]*?)\s*\}\}")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


@dataclass(frozen=True)
class Variable:
    """One declared variable. `default` None with required=True: the caller must give it."""

    name: str
    type: str = "str"
    required: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if not self.required:
            data["default"] = self.default
        if self.choices:
            data["choices"] = list(self.choices)
        if self.description:
            data["description"] = self.description
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Variable:
        """Validate a stored or posted spec. Raises TemplateError naming the problem."""
        name = str(data.get("name", ""))
        if not NAME.match(name):
            raise TemplateError(
                f"invalid variable name {name!r}: use letters, digits and _ (not first a digit)"
            )
        kind = str(data.get("type", "str"))
        if kind not in TYPES:
            raise TemplateError(f"variable {name}: unknown type {kind!r}; use {', '.join(TYPES)}")
        choices = tuple(str(c) for c in data.get("choices") or ())
        if kind == "enum" and not choices:
            raise TemplateError(f"variable {name}: an enum needs choices, e.g. enum(a|b)")
        if kind != "enum" and choices:
            raise TemplateError(f"variable {name}: only enum variables take choices")
        has_default = "default" in data and data["default"] is not None
        required = bool(data.get("required", not has_default)) and not has_default
        var = cls(name, kind, required, None, choices, str(data.get("description", "")))
        if has_default:
            var = cls(name, kind, False, var.coerce(data["default"]), choices, var.description)
        return var

    def coerce(self, value: Any) -> Any:
        """The value as this variable's type. Raises VariableTypeError naming the variable."""
        try:
            return _COERCE[self.type](self, value)
        except (ValueError, TypeError) as exc:
            raise VariableTypeError(
                f"variable {self.name} must be {self._expected()}, got {value!r}"
            ) from exc

    def _expected(self) -> str:
        if self.type == "enum":
            return "one of " + ", ".join(self.choices)
        return {"str": "text", "int": "a whole number", "float": "a number"}.get(
            self.type, f"a {self.type}"
        )


def _str(var: Variable, value: Any) -> str:
    if isinstance(value, (dict, list)):
        raise TypeError
    return value if isinstance(value, str) else str(value)


def _int(var: Variable, value: Any) -> int:
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise TypeError
    if isinstance(value, str):
        return int(value.strip())
    if isinstance(value, (int, float)):
        return int(value)
    raise TypeError


def _float(var: Variable, value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return float(value.strip())
    raise TypeError


def _bool(var: Variable, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError


def _list(var: Variable, value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return parsed
            raise TypeError
        return [part.strip() for part in text.split(",") if part.strip()]
    raise TypeError


def _enum(var: Variable, value: Any) -> str:
    text = str(value)
    if text not in var.choices:
        raise ValueError
    return text


_COERCE = {"str": _str, "int": _int, "float": _float, "bool": _bool, "list": _list, "enum": _enum}


def parse_var_spec(spec: str) -> Variable:
    """`name:type[:default]` (CLI form); `tone:enum(formal|casual):formal`; type defaults to
    str. Raises TemplateError."""
    name, _, rest = spec.partition(":")
    kind, default = rest or "str", None
    match = re.match(r"^enum\(([^)]*)\)(?::(.*))?$", rest, re.S) if rest else None
    choices: list[str] = []
    if match:
        kind, default = "enum", match.group(2)
        choices = [c.strip() for c in match.group(1).split("|") if c.strip()]
    elif ":" in rest:
        kind, default = rest.split(":", 1)
    data: dict[str, Any] = {"name": name.strip(), "type": kind.strip() or "str"}
    if choices:
        data["choices"] = choices
    if default is not None:
        data["default"] = default
    return Variable.from_dict(data)


def placeholders(template: str) -> list[str]:
    """Variable names a template uses, in order of first use (escaped `\\{{` excluded).
    Raises TemplateError for a placeholder that is not a valid name."""
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(template):
        if match.group(1):
            continue
        name = match.group(2)
        if not NAME.match(name):
            raise TemplateError(
                f"invalid placeholder {{{{{name}}}}}: use {{{{name}}}} with letters, digits "
                "and _ (write \\{{ for literal braces)"
            )
        if name not in found:
            found.append(name)
    return found


def fill(template: str, values: dict[str, str]) -> str:
    """Replace placeholders with already-formatted text; `\\{{` becomes `{{`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)[1:]
        return values[match.group(2)]

    return _PLACEHOLDER.sub(replace, template)


def as_text(value: Any) -> str:
    """How a typed value appears in the prompt: lists one item per line, bools true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(as_text(v) for v in value)
    return str(value)


@dataclass
class Template:
    """A text template or chat messages, with its declared variables."""

    body: str | list[dict[str, str]]
    variables: list[Variable] = field(default_factory=list)

    def texts(self) -> list[str]:
        if isinstance(self.body, str):
            return [self.body]
        return [m["content"] for m in self.body]

    def check(self) -> None:
        """Every placeholder is declared and every declared variable is used.
        Raises TemplateError naming the first one that is not."""
        used: list[str] = []
        for text in self.texts():
            used += [n for n in placeholders(text) if n not in used]
        declared = [v.name for v in self.variables]
        if len(set(declared)) != len(declared):
            dup = next(n for n in declared if declared.count(n) > 1)
            raise TemplateError(f"variable {dup} is declared twice")
        for name in used:
            if name not in declared:
                raise TemplateError(
                    f"placeholder {{{{{name}}}}} is not declared: add --var {name}:str "
                    "(or write \\{{ for literal braces)"
                )
        for name in declared:
            if name not in used:
                raise TemplateError(f"variable {name} is declared but the template never uses it")

    def values(self, given: dict[str, Any]) -> dict[str, Any]:
        """Typed values for every variable: given ones coerced, defaults filled in.
        Raises MissingVariable (naming every missing one), VariableTypeError, TemplateError
        for a value whose variable is not declared."""
        declared = {v.name: v for v in self.variables}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise TemplateError(
                f"unknown variable {unknown[0]}: this prompt takes "
                + (", ".join(declared) or "no variables")
            )
        missing = [v.name for v in self.variables if v.required and given.get(v.name) is None]
        if missing:
            plural = "s" if len(missing) > 1 else ""
            raise MissingVariable(f"missing required variable{plural} " + ", ".join(missing))
        out: dict[str, Any] = {}
        for var in self.variables:
            value = given.get(var.name)
            out[var.name] = var.default if value is None else var.coerce(value)
        return out

    def render(self, given: dict[str, Any]) -> str | list[dict[str, str]]:
        """The text, or the chat messages, with the variables filled in."""
        values = {k: as_text(v) for k, v in self.values(given).items()}
        if isinstance(self.body, str):
            return fill(self.body, values)
        return [{**m, "content": fill(m["content"], values)} for m in self.body]
