"""API keys: `tb_<prefix>_<secret>`, shown once at creation and stored as a sha256 hash.

The prefix (unique, not secret) finds the row; the hash of the whole key is compared in
constant time. Keys carry scopes — `read` (search, ask, view), `write` (also upload, change,
delete, create knowledge bases), `admin` (also users and departments, for admin users) —
and act as their user: grants and clearance still apply.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from ..db.schema import api_keys, users
from .clock import as_utc, utcnow
from .errors import AuthenticationFailed, InvalidInput, NotFound

KEY_PREFIX = "tb_"
SCOPES = ("read", "write", "admin")
# Each scope includes the ones before it: a write key can read, an admin key can write.
IMPLIED = {"read": {"read"}, "write": {"read", "write"}, "admin": {"read", "write", "admin"}}


def expand_scopes(scopes: list[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    """Validate scopes and add the ones they imply. Raises InvalidInput."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(
            f"unknown or missing scope {unknown or '[]'}: use read, write and/or admin",
            code="invalid_scope",
        )
    return frozenset(s for scope in scopes for s in IMPLIED[scope])


@dataclass
class ApiKey:
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "user_id": self.user_id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": sorted(self.scopes),
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "revoked_at": iso(self.revoked_at),
            "last_used_at": iso(self.last_used_at),
        }


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _key(row: Any) -> ApiKey:
    return ApiKey(
        int(row.id),
        int(row.user_id),
        row.name,
        row.prefix,
        frozenset(row.scopes or ()),
        as_utc(row.created_at),
        as_utc(row.expires_at),
        as_utc(row.revoked_at),
        as_utc(row.last_used_at),
    )


_COLUMNS = (
    api_keys.c.id,
    api_keys.c.user_id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.scopes,
    api_keys.c.created_at,
    api_keys.c.expires_at,
    api_keys.c.revoked_at,
    api_keys.c.last_used_at,
)


def create_key(
    conn: Connection,
    user_id: int,
    name: str,
    scopes: list[str],
    *,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns (the stored key, the full secret key to show once).

    Raises InvalidInput for an empty name, unknown scopes or an expiry in the past."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("a key needs a name of 1–200 characters", code="invalid_key_name")
    expanded = expand_scopes(scopes)
    if expires_at is not None and as_utc(expires_at) <= utcnow():
        raise InvalidInput("expires_at is in the past", code="invalid_expiry")
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    result = conn.execute(
        api_keys.insert().values(
            user_id=user_id,
            name=name,
            prefix=prefix,
            secret_hash=_hash(secret),
            scopes=sorted(expanded),
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    return get_key(conn, int(result.inserted_primary_key[0])), secret


def get_key(conn: Connection, key_id: int) -> ApiKey:
    row = conn.execute(select(*_COLUMNS).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"no API key with id {key_id}", code="key_not_found")
    return _key(row)


def list_keys(conn: Connection, user_id: int | None = None) -> list[ApiKey]:
    stmt = select(*_COLUMNS).order_by(api_keys.c.id)
    if user_id is not None:
        stmt = stmt.where(api_keys.c.user_id == user_id)
    return [_key(r) for r in conn.execute(stmt)]


def revoke_key(conn: Connection, key_id: int) -> ApiKey:
    """Revoke a key (idempotent). Raises NotFound."""
    key = get_key(conn, key_id)
    if key.revoked_at is None:
        conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=utcnow()))
    return get_key(conn, key_id)


def authenticate_key(conn: Connection, presented: str) -> ApiKey:
    """The active key matching `presented`; updates its last_used_at.

    Raises AuthenticationFailed for a malformed, unknown, revoked or expired key, or one whose
    user is inactive (the message never says which, beyond revoked/expired)."""
    invalid = AuthenticationFailed("invalid API key (API 密钥无效)")
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] + "_" != KEY_PREFIX:
        raise invalid
    row = conn.execute(
        select(*_COLUMNS, api_keys.c.secret_hash, users.c.active)
        .join(users, users.c.id == api_keys.c.user_id)
        .where(api_keys.c.prefix == parts[1])
    ).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(presented.strip())):
        raise invalid
    key = _key(row)
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise AuthenticationFailed(
            "this API key has been revoked or has expired (API 密钥已吊销或过期)",
            code="key_expired",
        )
    if not row.active:
        raise invalid
    # last_used_at at minute resolution: one write per key per minute, not per request.
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= 60:
        conn.execute(update(api_keys).where(api_keys.c.id == key.id).values(last_used_at=now))
        key.last_used_at = now
    return key
