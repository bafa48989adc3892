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


def describe_http_error(exc: Exception) -> str:
    """A short reason for a failed HTTP call, with the server's own error message if any."""
    import httpx

    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        detail = response.text[:300]
        try:
            body = response.json()
            error = body.get("error", body) if isinstance(body, dict) else body
            detail = error.get("message", detail) if isinstance(error, dict) else str(error)
        except ValueError:
            pass
        return f"HTTP {response.status_code}: {detail}"
    return f"{type(exc).__name__}: {exc}"
