"""Red line 2 (绝不脱离人): a high-impact action waits for a person.

    approval = request_approval(conn, "send_external", {"to": "x@example.com", "subject": …},
                                requested_by=user, summary="Send the Q3 summary to the client")
    ...
    decide(conn, approval.id, approver, approve=True, reason="checked")   # audited
    execute(engine, approval.id)    # runs the registered executor, at most once

Kinds: `send_external`, `write_external_system`, `publish`, or any custom name. An executor is
registered per kind (`register_executor`), the same way for built-in and custom kinds; nothing
runs before an approval, and an approved action runs at most once: `execute` claims the row
with a conditional UPDATE (`execution '' -> running`), so two approvers racing, or two
replicas executing, produce one run. A crash during a run leaves `running`, visible in the
list for a person to check — the action is never repeated behind their back.

Rules: the requester cannot decide their own request; the decider needs the request's
`required_role` (admins always qualify) and an active account; a pending request expires at
`expires_at` (`guard.governance.approval_ttl_hours`); a rejection needs a reason. The payload
is JSON and must not hold secrets (keys like `password`, `token`, `api_key`, or values that
look like credentials are refused): it is stored, listed and audited.

Errors::

    ApprovalError
    ├── ApprovalNotFound     no such request                       (404)
    ├── NotAllowed           own request, role too low, inactive   (403)
    ├── AlreadyDecided       someone decided first                 (409)
    ├── ApprovalExpired      past expires_at                       (409)
    └── InvalidApproval      secret in the payload, bad role, ...  (422)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from ..config import Settings
from ..db.schema import ROLES, approvals
from ..identity.clock import as_utc, utcnow
from . import audit

HIGH_IMPACT_KINDS = ("send_external", "write_external_system", "publish")
STATUSES = ("pending", "approved", "rejected", "expired")
DEFAULT_TTL = timedelta(hours=72)

_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|credential|private[_-]?key|cookie",
    re.I,
)
_SECRET_VALUE = re.compile(r"^(bearer\s+\S+|tb_[0-9a-f]+_\S{16,}|sk-[A-Za-z0-9_-]{16,})", re.I)


class ApprovalError(Exception):
    status = 400
    code = "approval_error"


class ApprovalNotFound(ApprovalError):
    status, code = 404, "approval_not_found"


class NotAllowed(ApprovalError):
    status, code = 403, "approval_not_allowed"


class AlreadyDecided(ApprovalError):
    status, code = 409, "approval_already_decided"


class ApprovalExpired(ApprovalError):
    status, code = 409, "approval_expired"


class InvalidApproval(ApprovalError):
    status, code = 422, "invalid_approval"


@dataclass
class Approval:
    id: int
    kind: str
    summary: str
    payload: dict[str, Any]
    requested_by: int | None
    requested_by_name: str
    required_role: str
    status: str  # effective: a pending request past expires_at reads as "expired"
    decided_by: int | None
    decided_by_name: str
    reason: str
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    execution: str  # "" | running | done | failed
    executed_at: datetime | None
    result: Any
    error: str

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "kind": self.kind,
            "summary": self.summary,
            "payload": self.payload,
            "requested_by": self.requested_by,
            "requested_by_name": self.requested_by_name,
            "required_role": self.required_role,
            "status": self.status,
            "decided_by": self.decided_by,
            "decided_by_name": self.decided_by_name,
            "reason": self.reason,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "decided_at": iso(self.decided_at),
            "execution": self.execution,
            "executed_at": iso(self.executed_at),
            "result": self.result,
            "error": self.error,
        }


@dataclass(frozen=True)
class ExecutionContext:
    """What an executor may use: the database and the settings of the deciding process."""

    engine: Engine
    settings: Settings | None = None


Executor = Callable[[Approval, ExecutionContext], Any]
_EXECUTORS: dict[str, Executor] = {}


def register_executor(kind: str, executor: Executor) -> None:
    """Run `executor(approval, context)` when a request of `kind` is approved. Its return value
    (JSON) is stored as the result; an exception marks the run failed with its message."""
    _EXECUTORS[kind] = executor


def unregister_executor(kind: str) -> None:
    _EXECUTORS.pop(kind, None)


def executor_for(kind: str) -> Executor | None:
    return _EXECUTORS.get(kind)


def _check_payload(value: Any, path: str = "payload") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if _SECRET_KEY.search(str(k)):
                raise InvalidApproval(
                    f"{path}.{k} looks like a secret; approval payloads are stored and shown: "
                    "reference the secret by name instead (e.g. an env var)"
                )
            _check_payload(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_payload(v, f"{path}[{i}]")
    elif isinstance(value, str) and _SECRET_VALUE.match(value.strip()):
        raise InvalidApproval(f"{path} looks like a credential; never put secrets in a payload")


def _approval(row: Any, now: datetime | None = None) -> Approval:
    now = now or utcnow()
    expires = as_utc(row.expires_at)
    status = row.status
    if status == "pending" and expires is not None and expires <= now:
        status = "expired"
    payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
    return Approval(
        int(row.id),
        row.kind,
        row.summary,
        payload,
        row.requested_by,
        row.requested_by_name,
        row.required_role,
        status,
        row.decided_by,
        row.decided_by_name,
        row.reason,
        as_utc(row.created_at),  # type: ignore[arg-type]
        expires,  # type: ignore[arg-type]
        as_utc(row.decided_at),
        row.execution,
        as_utc(row.executed_at),
        row.result,
        row.error,
    )


def _ttl(settings: Settings | None) -> timedelta:
    if settings is None:
        return DEFAULT_TTL
    return timedelta(hours=settings.guard.governance.approval_ttl_hours)


def request_approval(
    conn: Connection,
    kind: str,
    payload: dict[str, Any],
    requested_by: Any,
    *,
    summary: str = "",
    required_role: str | None = None,
    ttl: timedelta | None = None,
    settings: Settings | None = None,
) -> Approval:
    """Create a pending request (audited as `approval.request`). `requested_by`: a User, API
    Caller, audit Actor or None (the system). Nothing runs until someone approves.

    Raises InvalidApproval (empty kind, unknown role, a secret in the payload)."""
    kind = kind.strip()
    if not kind or len(kind) > 120:
        raise InvalidApproval("kind must be 1–120 characters (e.g. send_external)")
    role = required_role or (settings.guard.governance.approval_role if settings else "admin")
    if role not in ROLES:
        raise InvalidApproval(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    payload = json.loads(json.dumps(payload, default=str, ensure_ascii=False))
    _check_payload(payload)
    who = audit.actor_of(requested_by)
    now = utcnow()
    result = conn.execute(
        approvals.insert().values(
            kind=kind,
            summary=summary,
            payload=payload,
            requested_by=who.id,
            requested_by_name=who.name,
            required_role=role,
            status="pending",
            decided_by=None,
            decided_by_name="",
            reason="",
            created_at=now,
            expires_at=now + (ttl if ttl is not None else _ttl(settings)),
            execution="",
            error="",
        )
    )
    approval_id = int(result.inserted_primary_key[0])
    audit.append(
        conn,
        who,
        "approval.request",
        f"approval:{approval_id}",
        {"kind": kind, "summary": summary, "required_role": role},
        settings=settings,
    )
    return get_approval(conn, approval_id)


def get_approval(conn: Connection, approval_id: int) -> Approval:
    """Raises ApprovalNotFound."""
    row = conn.execute(select(approvals).where(approvals.c.id == approval_id)).first()
    if row is None:
        raise ApprovalNotFound(f"no approval request with id {approval_id}")
    return _approval(row)


def list_approvals(
    conn: Connection, *, status: str | None = None, limit: int = 100
) -> list[Approval]:
    """Newest first; `status` filters on the effective status (expiry included)."""
    now = utcnow()
    query = select(approvals).order_by(approvals.c.id.desc())
    if status == "pending":
        query = query.where(approvals.c.status == "pending", approvals.c.expires_at > now)
    elif status == "expired":
        query = query.where(
            (approvals.c.status == "expired")
            | ((approvals.c.status == "pending") & (approvals.c.expires_at <= now))
        )
    elif status:
        query = query.where(approvals.c.status == status)
    return [_approval(r, now) for r in conn.execute(query.limit(limit))]


def decide(
    conn: Connection,
    approval_id: int,
    user: Any,
    approve: bool,
    reason: str = "",
    *,
    settings: Settings | None = None,
) -> Approval:
    """Approve or reject a pending request as `user` (a User, or an API Caller), audited as
    `approval.approve` / `approval.reject` in the same transaction. Runs nothing: call
    `execute` after the commit (or `decide_and_execute`).

    Raises ApprovalNotFound, NotAllowed (own request, role, inactive), InvalidApproval (a
    rejection without a reason), ApprovalExpired, AlreadyDecided (someone decided first —
    the conditional UPDATE makes exactly one of two racing deciders win)."""
    person = getattr(user, "user", user)
    current = get_approval(conn, approval_id)
    if person is None or getattr(person, "id", None) is None:
        raise NotAllowed("a decision needs a signed-in person (绝不脱离人)")
    if not getattr(person, "active", True):
        raise NotAllowed("an inactive account cannot decide")
    if current.requested_by is not None and current.requested_by == person.id:
        raise NotAllowed(
            "you cannot decide your own request; ask someone else (不能审批自己的申请)"
        )
    if current.required_role == "admin" and person.role != "admin":
        raise NotAllowed("this request needs an administrator's approval (需要管理员审批)")
    if not approve and not reason.strip():
        raise InvalidApproval("say why you reject it: give a reason")
    if current.status == "expired":
        raise ApprovalExpired(
            f"approval {approval_id} expired at {current.expires_at:%Y-%m-%d %H:%M} UTC"
        )
    if current.status != "pending":
        raise AlreadyDecided(f"approval {approval_id} is already {current.status}")
    now = utcnow()
    status = "approved" if approve else "rejected"
    changed = conn.execute(
        update(approvals)
        .where(
            approvals.c.id == approval_id,
            approvals.c.status == "pending",
            approvals.c.expires_at > now,
        )
        .values(
            status=status,
            decided_by=person.id,
            decided_by_name=person.username,
            reason=reason.strip(),
            decided_at=now,
        )
    )
    if changed.rowcount != 1:
        latest = get_approval(conn, approval_id)
        if latest.status == "expired":
            raise ApprovalExpired(f"approval {approval_id} expired")
        raise AlreadyDecided(f"approval {approval_id} is already {latest.status}")
    audit.append(
        conn,
        person,
        f"approval.{'approve' if approve else 'reject'}",
        f"approval:{approval_id}",
        {"kind": current.kind, "reason": reason.strip(), "requested_by": current.requested_by},
        settings=settings,
    )
    return get_approval(conn, approval_id)


def execute(engine: Engine, approval_id: int, *, settings: Settings | None = None) -> Approval:
    """Run an approved request's executor, at most once across threads, processes and
    replicas. Does nothing (returns the request as it is) when it is not approved, has already
    been claimed, or no executor is registered for its kind. The run is audited as
    `approval.execute` (with `ok` and the error, if any)."""
    with engine.begin() as conn:
        current = get_approval(conn, approval_id)
        executor = executor_for(current.kind)
        if current.status != "approved" or current.execution or executor is None:
            return current
        claimed = conn.execute(
            update(approvals)
            .where(
                approvals.c.id == approval_id,
                approvals.c.status == "approved",
                approvals.c.execution == "",
            )
            .values(execution="running", executed_at=utcnow())
        )
        if claimed.rowcount != 1:
            return get_approval(conn, approval_id)
        current = get_approval(conn, approval_id)
    result, error = None, ""
    try:  # outside any transaction: an executor may take long or call other systems
        result = executor(current, ExecutionContext(engine, settings))
        result = json.loads(json.dumps(result, default=str, ensure_ascii=False))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the request
        error = f"{type(exc).__name__}: {exc}"[:2000]
    with engine.begin() as conn:
        conn.execute(
            update(approvals)
            .where(approvals.c.id == approval_id)
            .values(execution="failed" if error else "done", result=result, error=error)
        )
        audit.append(
            conn,
            audit.SYSTEM,
            "approval.execute",
            f"approval:{approval_id}",
            {"kind": current.kind, "ok": not error, "error": error},
            settings=settings,
        )
        return get_approval(conn, approval_id)


def decide_and_execute(
    engine: Engine,
    approval_id: int,
    user: Any,
    approve: bool,
    reason: str = "",
    *,
    settings: Settings | None = None,
) -> Approval:
    """`decide` in its own transaction, then (if approved) `execute`."""
    with engine.begin() as conn:
        decided = decide(conn, approval_id, user, approve, reason, settings=settings)
    if decided.status == "approved":
        return execute(engine, approval_id, settings=settings)
    return decided


def expire_due(conn: Connection, *, settings: Settings | None = None) -> int:
    """Mark pending requests past their expiry as expired (each audited); returns how many."""
    now = utcnow()
    due = conn.execute(
        select(approvals.c.id, approvals.c.kind).where(
            approvals.c.status == "pending", approvals.c.expires_at <= now
        )
    ).all()
    count = 0
    for row in due:
        changed = conn.execute(
            update(approvals)
            .where(approvals.c.id == row.id, approvals.c.status == "pending")
            .values(status="expired", decided_at=now)
        )
        if changed.rowcount == 1:
            count += 1
            audit.append(
                conn,
                audit.SYSTEM,
                "approval.expire",
                f"approval:{row.id}",
                {"kind": row.kind},
                settings=settings,
            )
    return count
