"""API keys: each user manages their own; admins may list and revoke anyone's. The secret is
returned once, at creation."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from ...guard import audit
from ...identity.clock import utcnow
from ...identity.keys import create_key, expand_scopes, get_key, list_keys, revoke_key
from ..deps import AnyCaller, State
from ..errors import forbidden, not_found

router = APIRouter(prefix="/keys", tags=["api keys"])


class KeyPublic(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: str | None
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(["read"], description="read, write and/or admin.")
    expires_in_days: float | None = Field(None, gt=0, le=3650)
    expires_at: datetime | None = None


class KeyCreated(KeyPublic):
    key: str = Field(description="The secret key. Shown only now: store it safely.")


@router.get("", operation_id="list_keys")
def list_my_keys(caller: AnyCaller, state: State, all_users: bool = False) -> list[KeyPublic]:
    """Your keys (admins: everyone's with all_users=true). Secrets are never listed."""
    if all_users and not caller.is_admin:
        raise forbidden("only administrators may list everyone's keys", "admin_required")
    with state.platform.db.engine.connect() as conn:
        keys = list_keys(conn, None if all_users else caller.id)
    return [KeyPublic(**k.to_dict()) for k in keys]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_key")
def create_my_key(body: KeyCreate, caller: AnyCaller, state: State) -> KeyCreated:
    """A new key for yourself, with at most the scopes of the credential you call with."""
    wanted = expand_scopes(body.scopes)
    if not wanted <= caller.scopes:
        raise forbidden(
            "a key cannot have more scopes than the credential that creates it",
            "insufficient_scope",
        )
    if "admin" in wanted and not caller.user.is_admin:
        raise forbidden("only administrators may hold admin-scoped keys", "admin_required")
    expires = body.expires_at
    if body.expires_in_days is not None:
        expires = utcnow() + timedelta(days=body.expires_in_days)
    with state.platform.db.engine.begin() as conn:
        key, secret = create_key(conn, caller.id, body.name, body.scopes, expires_at=expires)
        audit.append(
            conn,
            caller,
            "key.create",
            f"key:{key.id}",
            {"name": key.name, "scopes": sorted(key.scopes)},
            settings=state.settings,
        )
    return KeyCreated(**key.to_dict(), key=secret)


@router.delete("/{key_id}", operation_id="revoke_key")
def revoke(key_id: int, caller: AnyCaller, state: State) -> KeyPublic:
    """Revoke one of your keys (admins: anyone's). Revoked keys answer 401 at once."""
    with state.platform.db.engine.begin() as conn:
        try:
            key = get_key(conn, key_id)
        except Exception as exc:
            raise not_found("API key", "key_not_found") from exc
        if key.user_id != caller.id and not caller.is_admin:
            raise not_found("API key", "key_not_found")
        audit.append(
            conn,
            caller,
            "key.revoke",
            f"key:{key_id}",
            {"user_id": key.user_id},
            settings=state.settings,
        )
        return KeyPublic(**revoke_key(conn, key_id).to_dict())
