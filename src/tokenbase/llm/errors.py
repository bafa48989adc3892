"""Model errors.

ModelError
 ├── ModelConfigError      a provider is misconfigured or an optional package is missing
 └── ModelCallError        a call to a model failed (HTTP error, bad response)
"""


class ModelError(Exception):
    """Base class for model gateway errors."""


class ModelConfigError(ModelError):
    pass


class ModelCallError(ModelError):
    pass
