"""Identity errors. The API maps each to one HTTP status; the CLI prints the message.

IdentityError
├── NotFound              a user, department, key or grant does not exist      (404)
├── Conflict              a name is taken, or a change would break the tree    (409)
├── InvalidInput          a value is out of range or malformed                 (422)
├── AuthenticationFailed  wrong or unusable credentials                        (401)
└── LoginLocked           too many failed logins; `retry_after` in seconds     (429)
"""

from __future__ import annotations


class IdentityError(Exception):
    """Base class; `code` is the stable machine-readable error code."""

    code = "identity_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class NotFound(IdentityError):
    code = "not_found"


class Conflict(IdentityError):
    code = "conflict"


class InvalidInput(IdentityError):
    code = "invalid_input"


class AuthenticationFailed(IdentityError):
    code = "invalid_credentials"


class LoginLocked(IdentityError):
    code = "login_locked"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
