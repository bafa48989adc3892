"""Login throttling, shared by every replica through the `login_failures` table.

Failures are counted per username (`user:<name>`) and per client address (`ip:<address>`)
within a window; at the limit the key is locked for a while and every login attempt on it —
right password or not — is refused with the seconds left, until the lock ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, DateTime, bindparam, delete, select, text, update

from ..db.schema import login_failures
from .clock import as_utc, utcnow


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int  # per key within `window`
    window: timedelta
    lock: timedelta


_UPSERT = text(
    "INSERT INTO login_failures (key, failures, first_at, locked_until) "
    "VALUES (:key, 1, :now, NULL) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN login_failures.first_at < :window_start THEN 1 "
    "ELSE login_failures.failures + 1 END, "
    "first_at = CASE WHEN login_failures.first_at < :window_start THEN :now "
    "ELSE login_failures.first_at END"
).bindparams(
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("window_start", type_=DateTime(timezone=True)),
)


def seconds_locked(conn: Connection, keys: list[str], now: datetime | None = None) -> int:
    """Seconds until every one of `keys` is unlocked (0 = none is locked)."""
    now = now or utcnow()
    rows = conn.execute(
        select(login_failures.c.locked_until).where(login_failures.c.key.in_(keys))
    ).all()
    remaining = [
        (as_utc(r.locked_until) - now).total_seconds()
        for r in rows
        if r.locked_until is not None and as_utc(r.locked_until) > now
    ]
    return int(max(remaining) + 0.999) if remaining else 0


def record_failure(
    conn: Connection, key: str, policy: ThrottlePolicy, now: datetime | None = None
) -> int:
    """Count one failure on `key`; lock it once the policy's limit is reached.

    Returns the seconds the key is now locked for (0 = not locked)."""
    now = now or utcnow()
    conn.execute(_UPSERT, {"key": key, "now": now, "window_start": now - policy.window})
    failures = conn.execute(
        select(login_failures.c.failures).where(login_failures.c.key == key)
    ).scalar()
    if failures is not None and failures >= policy.max_failures:
        conn.execute(
            update(login_failures)
            .where(login_failures.c.key == key)
            .values(locked_until=now + policy.lock, failures=0, first_at=now)
        )
        return int(policy.lock.total_seconds())
    return 0


def clear(conn: Connection, key: str) -> None:
    """Forget the failures of `key` (after a successful login)."""
    conn.execute(delete(login_failures).where(login_failures.c.key == key))
