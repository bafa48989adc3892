"""Governance over HTTP: the audit log, approvals (red line 2), answer feedback and bad cases.

- `GET /audit`, `GET /audit/verify`, `GET /badcases/export.jsonl`: administrators.
- `GET /approvals`: administrators see every request; others see their own and the pending
  ones they could decide. `POST /approvals` (write scope) files a request; `POST
  /approvals/{id}/approve|reject` (write scope) decides it — the decider needs the request's
  role, and never decides their own request. An approved action runs once, after the commit.
- `POST /feedback`: anyone signed in with the read scope, on an answer's trace id; a
  thumbs-down becomes a bad case. `GET /badcases`: admins see all, others their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from ...guard import approvals as approvals_mod
from ...guard import audit, badcases
from ...guard.approvals import ApprovalError
from ..deps import AdminCaller, Caller, ReadCaller, State, WriteCaller
from ..errors import ApiError

router = APIRouter(tags=["governance"])

ROLE_RANK = {"member": 0, "admin": 1}


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ApprovalError as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc
    except badcases.BadCaseError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    except audit.AuditError as exc:
        raise ApiError(503, "audit_unavailable", str(exc)) from exc


# -- audit -------------------------------------------------------------------------------------
class AuditEntryPublic(BaseModel):
    seq: int
    at: str
    actor_id: int | None
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    alg: str
    prev_hash: str
    hash: str


class AuditVerifyPublic(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str
    last_seq: int
    last_hash: str
    unkeyed: int


@router.get("/audit", operation_id="list_audit")
def list_audit(
    caller: AdminCaller,
    state: State,
    limit: int = Query(50, ge=1, le=1000),
    before_seq: int | None = Query(None, description="Page back: entries below this seq."),
    action: str | None = Query(None, description="Actions starting with this ('approval.')."),
    actor: str | None = None,
) -> list[AuditEntryPublic]:
    """Audit entries, newest first."""
    with state.platform.db.engine.connect() as conn:
        found = audit.entries(conn, limit=limit, before_seq=before_seq, action=action, actor=actor)
    return [AuditEntryPublic(**e.to_dict()) for e in found]


@router.get("/audit/verify", operation_id="verify_audit")
def verify_audit(
    caller: AdminCaller, state: State, unkeyed_until: int = Query(0, ge=0)
) -> AuditVerifyPublic:
    """Walk the whole hash chain; `ok` is false at the first edited, deleted, inserted or
    reordered entry, which `first_bad_seq` and `problem` name."""
    with _errors():
        result = audit.verify(
            state.platform.db.engine, settings=state.settings, unkeyed_until=unkeyed_until
        )
    return AuditVerifyPublic(**result.to_dict())


# -- approvals ---------------------------------------------------------------------------------
class ApprovalCreate(BaseModel):
    kind: str = Field(
        min_length=1,
        max_length=120,
        description="send_external, write_external_system, publish, or a custom kind.",
    )
    summary: str = Field("", max_length=2000, description="What will happen, for the approver.")
    payload: dict[str, Any] = Field(
        default_factory=dict, description="What the action needs. Never secrets (refused)."
    )
    required_role: Literal["admin", "member"] | None = Field(
        None, description="Raise the role needed to approve (never below the configured one)."
    )


class ApprovalDecision(BaseModel):
    reason: str = Field("", max_length=2000, description="Why (required to reject).")


class ApprovalPublic(BaseModel):
    id: int
    kind: str
    summary: str
    payload: dict[str, Any]
    requested_by: int | None
    requested_by_name: str
    required_role: str
    status: str
    decided_by: int | None
    decided_by_name: str
    reason: str
    created_at: str
    expires_at: str
    decided_at: str | None
    execution: str
    executed_at: str | None
    result: Any
    error: str


def _visible(caller: Caller, approval: approvals_mod.Approval) -> bool:
    if caller.is_admin or approval.requested_by == caller.id:
        return True
    return approval.status == "pending" and approval.required_role == "member"


@router.get("/approvals", operation_id="list_approvals")
def list_approvals(
    caller: ReadCaller,
    state: State,
    status_filter: Literal["pending", "approved", "rejected", "expired"] | None = Query(
        None, alias="status"
    ),
    limit: int = Query(100, ge=1, le=1000),
) -> list[ApprovalPublic]:
    """Approval requests, newest first."""
    with state.platform.db.engine.connect() as conn:
        found = approvals_mod.list_approvals(conn, status=status_filter, limit=limit)
    return [ApprovalPublic(**a.to_dict()) for a in found if _visible(caller, a)]


@router.post("/approvals", status_code=status.HTTP_201_CREATED, operation_id="request_approval")
def create_approval(body: ApprovalCreate, caller: WriteCaller, state: State) -> ApprovalPublic:
    """File a high-impact action for a person to approve. Nothing runs until then."""
    configured = state.settings.guard.governance.approval_role
    role = max(body.required_role or configured, configured, key=ROLE_RANK.__getitem__)
    with _errors(), state.platform.db.engine.begin() as conn:
        approval = approvals_mod.request_approval(
            conn,
            body.kind,
            body.payload,
            caller,
            summary=body.summary,
            required_role=role,
            settings=state.settings,
        )
    return ApprovalPublic(**approval.to_dict())


def _decide(
    approval_id: int, body: ApprovalDecision, caller: Caller, state: State, approve: bool
) -> ApprovalPublic:
    with _errors():
        with state.platform.db.engine.connect() as conn:
            current = approvals_mod.get_approval(conn, approval_id)
        if current.required_role == "admin" and caller.user.is_admin:
            caller.require_scope("admin")  # an admin deciding with a key that lacks admin
        result = approvals_mod.decide_and_execute(
            state.platform.db.engine,
            approval_id,
            caller,
            approve,
            body.reason,
            settings=state.settings,
        )
    return ApprovalPublic(**result.to_dict())


@router.post("/approvals/{approval_id}/approve", operation_id="approve_approval")
def approve(
    approval_id: int, caller: WriteCaller, state: State, body: ApprovalDecision | None = None
) -> ApprovalPublic:
    """Approve a pending request (not your own; you need its role). Its action then runs
    once; `execution` and `result` say how it went. 409 when someone decided first."""
    return _decide(approval_id, body or ApprovalDecision(), caller, state, True)


@router.post("/approvals/{approval_id}/reject", operation_id="reject_approval")
def reject(
    approval_id: int, body: ApprovalDecision, caller: WriteCaller, state: State
) -> ApprovalPublic:
    """Reject a pending request with a reason; its action never runs."""
    return _decide(approval_id, body, caller, state, False)


# -- feedback and bad cases --------------------------------------------------------------------
class FeedbackCreate(BaseModel):
    trace_id: str = Field(min_length=1, max_length=64, description="The answer's trace id.")
    rating: Literal["up", "down"]
    correction: str = Field("", max_length=20000, description="What the answer should say.")
    comment: str = Field("", max_length=2000)
    question: str = Field(
        "", max_length=20000, description="The question asked (needed to replay the case)."
    )
    answer: str = Field("", max_length=50000, description="The answer given.")


class FeedbackPublic(BaseModel):
    feedback_id: int
    badcase_id: int | None


class BadCasePublic(BaseModel):
    id: int
    created_at: str
    trace_id: str
    kind: str
    question: str
    answer: str
    correction: str
    expected: str
    detail: dict[str, Any]
    user_id: int | None
    status: str


@router.post("/feedback", status_code=status.HTTP_201_CREATED, operation_id="send_feedback")
def send_feedback(body: FeedbackCreate, caller: ReadCaller, state: State) -> FeedbackPublic:
    """Thumbs up or down on an answer; thumbs-down (with an optional correction) becomes a
    bad case linked to the trace."""
    with _errors(), state.platform.db.engine.begin() as conn:
        result = badcases.record_feedback(
            conn,
            body.trace_id,
            caller.id,
            body.rating,
            correction=body.correction,
            comment=body.comment,
            question=body.question,
            answer=body.answer,
        )
    return FeedbackPublic(feedback_id=result.feedback_id, badcase_id=result.badcase_id)


@router.get("/badcases", operation_id="list_badcases")
def list_badcases(
    caller: ReadCaller,
    state: State,
    kind: str | None = None,
    trace_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[BadCasePublic]:
    """Bad cases, newest first (administrators: all; others: their own feedback)."""
    with state.platform.db.engine.connect() as conn:
        found = badcases.list_badcases(
            conn,
            kind=kind,
            trace_id=trace_id,
            limit=limit,
            user_id=None if caller.is_admin else caller.id,
        )
    return [BadCasePublic(**c.to_dict()) for c in found]


@router.get(
    "/badcases/export.jsonl",
    operation_id="export_badcases",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
def export_badcases(caller: AdminCaller, state: State, kind: str | None = None) -> Response:
    """The bad cases as an evaluation set, one JSON object a line (question, expected, kind,
    trace_id, created_at), for `tokenbase eval run`. The export is audited."""
    with _errors(), state.platform.db.engine.begin() as conn:
        lines = list(badcases.export_jsonl(conn, kind=kind))
        audit.append(
            conn,
            caller,
            "badcase.export",
            "badcases",
            {"cases": len(lines), "kind": kind},
            settings=state.settings,
        )
    return Response(
        "".join(lines).encode("utf-8"),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="tokenbase-badcases.jsonl"'},
    )
