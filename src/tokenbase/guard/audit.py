"""The audit log: append-only and hash-chained, so `verify` detects an edited, deleted,
inserted or reordered entry.

    audit.append(conn, caller, "grant.set", "kb:3", {"user": 7, "level": "read"})
    audit.verify(engine).ok

Each entry is (seq, at, actor_id, actor, action, target, detail, alg, prev_hash, hash). `hash`
is SHA-256 (or HMAC-SHA256 with `guard.governance.audit_hmac_key_env`) over the entry's
*canonical form*: the UTF-8 bytes of

    json.dumps({"v": 1, "seq": 12, "at": "2026-11-24T14:35:00.123456+00:00",
                "actor_id": 3, "actor": "alice", "action": "login", "target": "user:3",
                "detail": {...}, "alg": "sha256", "prev_hash": "<64 hex>"},
               sort_keys=True, separators=(",", ":"), ensure_ascii=False)

`at` is UTC, ISO 8601 with microseconds; `prev_hash` of entry 1 is 64 zeros; `detail` is
stored exactly as hashed (it is passed through JSON first). `seq` is gapless: appenders take it
from the one-row `audit_head` table, whose UPDATE is the serialisation point — SQLite's writer
lock, or the row lock on PostgreSQL (a concurrent appender on another replica waits there,
then reads the head the first one committed), so the chain cannot fork. The head also records
the last hash, so deleting entries at the end is detected as well.

What the chain protects against: an edit, deletion, insertion or reordering made by someone who
does not also rewrite every later entry and the head. Without a key, anyone with write access
to the database *can* rewrite all of that; with the HMAC key (kept out of the database, in an
env var) they cannot, short of the key. What it cannot prevent: the log being truncated or
replaced wholesale by someone holding both the database and the key, or rolled back to an
earlier valid state — keep `verify`'s last hash somewhere else (a ticket, a signed mail) to
anchor it.

Errors::

    AuditError          the head row is missing, or a configured HMAC key is not set
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..config import Settings
from ..db.schema import audit_head, audit_log
from ..identity.clock import as_utc, utcnow

GENESIS = "0" * 64
CANONICAL_VERSION = 1


class AuditError(Exception):
    """The audit log cannot be written or checked; the message says what to fix."""


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (id and name), or a named non-user (id None: "system", "cli:root")."""

    id: int | None
    name: str


SYSTEM = Actor(None, "system")


def cli_actor() -> Actor:
    """The person running the CLI, by their operating-system login."""
    try:
        name = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers): still say it was the CLI
        name = "unknown"
    return Actor(None, f"cli:{name}")


def actor_of(who: Any) -> Actor:
    """An Actor from an Actor, a User (`.id`, `.username`), an API Caller (`.user`), a plain
    string, or None (the system)."""
    if who is None:
        return SYSTEM
    if isinstance(who, Actor):
        return who
    if isinstance(who, str):
        return Actor(None, who)
    user = getattr(who, "user", who)
    return Actor(int(user.id), str(user.username))


@dataclass
class AuditEntry:
    seq: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    alg: str
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": self.detail,
            "alg": self.alg,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def hmac_key(settings: Settings | None) -> bytes | None:
    """The HMAC key named by `guard.governance.audit_hmac_key_env`, or None when unset.

    Raises AuditError when a variable is named but empty: a silently unkeyed log would look
    protected and not be."""
    if settings is None:
        return None
    env = settings.guard.governance.audit_hmac_key_env
    if not env:
        return None
    value = os.environ.get(env, "")
    if not value:
        raise AuditError(
            f"guard.governance.audit_hmac_key_env names {env}, but {env} is not set: "
            f"export {env}=<secret> (or clear the setting)"
        )
    return value.encode("utf-8")


def _at_text(at: datetime) -> str:
    return as_utc(at).astimezone(UTC).isoformat(timespec="microseconds")  # type: ignore[union-attr]


def canonical(
    *,
    seq: int,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any],
    alg: str,
    prev_hash: str,
) -> bytes:
    """The bytes an entry's hash covers (see the module docstring)."""
    body = {
        "v": CANONICAL_VERSION,
        "seq": int(seq),
        "at": _at_text(at),
        "actor_id": actor_id,
        "actor": actor,
        "action": action,
        "target": target,
        "detail": detail,
        "alg": alg,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _digest(data: bytes, alg: str, key: bytes | None) -> str:
    if alg == "hmac-sha256":
        if key is None:
            raise AuditError("an HMAC entry needs the key")
        return hmac.new(key, data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def _plain(detail: dict[str, Any] | None) -> dict[str, Any]:
    """Detail as the database will hand it back: JSON types only."""
    return json.loads(json.dumps(detail or {}, default=str, ensure_ascii=False))


def append(
    conn: Connection,
    actor: Any,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change
    it records). `actor`: a User, an API Caller, an Actor, a name, or None for the system.
    `target` names what was acted on ("user:7", "kb:3", "approval:12"); `detail` is small JSON
    and must never hold secrets or document text. Pass `settings` so a configured HMAC key is
    used. Holds the audit head's lock until the transaction ends: append last, commit soon.

    Raises AuditError (head row missing, HMAC key configured but not set)."""
    who = actor_of(actor)
    key = hmac_key(settings)
    alg = "hmac-sha256" if key is not None else "sha256"
    body = _plain(detail)
    # The first write of this statement order takes the lock, *then* we read the head, so the
    # previous hash is always the one the last committed appender wrote.
    bumped = conn.execute(
        update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq + 1)
    )
    if bumped.rowcount != 1:
        raise AuditError("the audit head row is missing; run `tokenbase audit verify`")
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1))
    seq, prev_hash = head.one()
    at = utcnow()
    fields = {
        "seq": int(seq),
        "at": at,
        "actor_id": who.id,
        "actor": who.name[:200],
        "action": action[:120],
        "target": target[:500],
        "detail": body,
        "alg": alg,
        "prev_hash": prev_hash,
    }
    digest = _digest(canonical(**fields), alg, key)
    conn.execute(audit_log.insert().values(**fields, hash=digest))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=digest))
    return AuditEntry(**fields, hash=digest)


def record(
    engine: Engine,
    actor: Any,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> AuditEntry:
    """`append` in a transaction of its own (for callers that hold no connection)."""
    with engine.begin() as conn:
        return append(conn, actor, action, target, detail, settings=settings)


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        int(row.seq),
        as_utc(row.at),  # type: ignore[arg-type]
        row.actor_id,
        row.actor,
        row.action,
        row.target,
        row.detail if isinstance(row.detail, dict) else json.loads(row.detail),
        row.alg,
        row.prev_hash,
        row.hash,
    )


def entries(
    conn: Connection,
    *,
    limit: int = 50,
    before_seq: int | None = None,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """The newest entries first; `action` matches a prefix ("approval." for all of them)."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(audit_log.c.seq < before_seq)
    if action:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(audit_log.c.actor == actor)
    return [_entry(r) for r in conn.execute(query)]


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    last_seq: int = 0
    last_hash: str = GENESIS
    unkeyed: int = 0  # plain SHA-256 entries (written without the HMAC key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "unkeyed": self.unkeyed,
        }


def verify(
    engine: Engine,
    *,
    settings: Settings | None = None,
    unkeyed_until: int = 0,
    batch: int = 2000,
) -> VerifyResult:
    """Walk the whole chain in seq order and stop at the first problem.

    Checks, per entry: seq follows the previous one (a gap = deleted entry), prev_hash equals
    the previous entry's hash (deleted, inserted or reordered), the hash matches the content
    (edited); finally that the head names the last entry (deleted at the end). With an HMAC
    key configured, a plain SHA-256 entry after `unkeyed_until` fails too: it was written
    without the key, or rewritten by someone who does not have it."""
    key = hmac_key(settings)
    expected, prev, checked, unkeyed = 1, GENESIS, 0, 0

    def bad(seq: int, problem: str) -> VerifyResult:
        return VerifyResult(False, checked, seq, problem, expected - 1, prev, unkeyed)

    with engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(audit_log)
                .where(audit_log.c.seq >= expected)
                .order_by(audit_log.c.seq)
                .limit(batch)
            ).all()
            for row in rows:
                entry = _entry(row)
                if entry.seq != expected:
                    return bad(expected, f"entry {expected} is missing (deleted)")
                if entry.prev_hash != prev:
                    return bad(
                        entry.seq,
                        f"entry {entry.seq} does not follow entry {entry.seq - 1}: its prev_hash "
                        "differs (an entry was deleted, inserted or reordered)",
                    )
                if entry.alg == "sha256":
                    unkeyed += 1
                    if key is not None and entry.seq > unkeyed_until:
                        return bad(
                            entry.seq,
                            f"entry {entry.seq} is not keyed although an HMAC key is set: "
                            "written without the key, or rewritten by someone without it",
                        )
                elif entry.alg == "hmac-sha256" and key is None:
                    return bad(
                        entry.seq,
                        f"entry {entry.seq} is HMAC-keyed: set the key's env var "
                        "(guard.governance.audit_hmac_key_env) to verify it",
                    )
                elif entry.alg not in ("sha256", "hmac-sha256"):
                    return bad(entry.seq, f"entry {entry.seq} has unknown alg {entry.alg!r}")
                fields = {
                    k: getattr(entry, k)
                    for k in (
                        "seq",
                        "at",
                        "actor_id",
                        "actor",
                        "action",
                        "target",
                        "detail",
                        "alg",
                        "prev_hash",
                    )
                }
                digest = _digest(canonical(**fields), entry.alg, key)
                if not hmac.compare_digest(digest, entry.hash):
                    return bad(
                        entry.seq,
                        f"entry {entry.seq} was changed: its hash does not match its content",
                    )
                prev = entry.hash
                expected += 1
                checked += 1
            if len(rows) < batch:
                break
        head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
    if head is None:
        return bad(expected, "the audit head row is missing")
    if int(head.seq) != expected - 1 or head.hash != prev:
        return bad(
            expected,
            f"the log ends at entry {expected - 1} but its head records entry {head.seq}: "
            "entries at the end were deleted (or the head was changed)",
        )
    return VerifyResult(True, checked, None, "", expected - 1, prev, unkeyed)
