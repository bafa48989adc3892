"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()  # argon2id; parameters are encoded in every hash it writes
# Verified against when the user does not exist, so both paths cost one argon2 computation.
_DUMMY_HASH = _hasher.hash("tokenbase-dummy-password")


def check_password_policy(password: str) -> None:
    """Raise InvalidInput unless the password is acceptable (length only: NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD_LENGTH} characters "
            f"(密码至少需要 {MIN_PASSWORD_LENGTH} 个字符)",
            code="weak_password",
        )


def hash_password(password: str) -> str:
    """An argon2id hash string (salt and parameters included)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches. A missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def generate_password() -> str:
    """A random one-time password (about 96 bits), easy to copy from a console."""
    return secrets.token_urlsafe(12)
