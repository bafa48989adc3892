"""Browser sessions: a random token in an HttpOnly cookie, stored as its sha256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Connection, delete, select, update

from ..db.schema import sessions, users
from .clock import as_utc, utcnow


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(conn: Connection, user_id: int, ttl: timedelta) -> str:
    """Start a session; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        sessions.insert().values(
            token_hash=_hash(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + ttl,
            last_seen_at=now,
        )
    )
    # Housekeeping: expired sessions are useless; drop them while we are writing anyway.
    conn.execute(delete(sessions).where(sessions.c.expires_at < now))
    return token


def resolve_session(conn: Connection, token: str) -> int | None:
    """The user id of a live session for an active user, else None."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        select(sessions.c.id, sessions.c.user_id, sessions.c.expires_at, sessions.c.last_seen_at)
        .join(users, users.c.id == sessions.c.user_id)
        .where(sessions.c.token_hash == _hash(token), users.c.active.is_(True))
    ).first()
    now = utcnow()
    if row is None or as_utc(row.expires_at) <= now:
        return None
    if (now - as_utc(row.last_seen_at)).total_seconds() >= 60:
        conn.execute(update(sessions).where(sessions.c.id == row.id).values(last_seen_at=now))
    return int(row.user_id)


def end_session(conn: Connection, token: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.token_hash == _hash(token)))


def end_user_sessions(conn: Connection, user_id: int, *, keep_token: str | None = None) -> None:
    """End every session of a user (after a password change or deactivation)."""
    stmt = delete(sessions).where(sessions.c.user_id == user_id)
    if keep_token:
        stmt = stmt.where(sessions.c.token_hash != _hash(keep_token))
    conn.execute(stmt)
