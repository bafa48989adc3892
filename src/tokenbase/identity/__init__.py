"""Identity: users, departments, grants, API keys, sessions and login throttling.

Every function takes a SQLAlchemy Connection (or Engine, for login) and raises an
`IdentityError` subclass (see `errors.py` for the tree); the API and the CLI translate those.
Who may read what is computed from these tables by `tokenbase.access`.
"""

from .errors import (
    AuthenticationFailed,
    Conflict,
    IdentityError,
    InvalidInput,
    LoginLocked,
    NotFound,
)

__all__ = [
    "AuthenticationFailed",
    "Conflict",
    "IdentityError",
    "InvalidInput",
    "LoginLocked",
    "NotFound",
]
