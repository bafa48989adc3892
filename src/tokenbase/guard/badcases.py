"""Bad cases: answers people marked wrong, and everything the guard blocked or flagged, each
linked to its trace, exported as an evaluation set for `tokenbase eval run`.

    badcases.record(conn, trace_id, "guard_block", question=text, detail={"reason": ...})
    badcases.record_feedback(conn, trace_id, user_id, "down", correction="报销上限是500元", ...)
    for line in badcases.export_jsonl(conn): ...

Export rows (JSONL, one case a line)::

    {"question": ..., "expected": ..., "kind": ..., "trace_id": ..., "created_at": ...,
     "badcase_id": 3, "avoid": "<the bad answer, when there is no correction>"}

`expected` is the correction for feedback; for a guard case it is the constraint the guard
must still enforce, `guard:block` or `guard:flag` (or `detail["expected"]` when the recorder
gave one). A thumbs-down without a correction exports `expected: ""` with the bad answer in
`avoid`: the case passes when a later answer is found and differs from it. Cases without a
question cannot be replayed and are left out of the export.

Bad-case rows hold question and answer text, so only administrators list or export them
(through the API and CLI); a reader sees their own feedback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from ..db.schema import answer_feedback, badcases
from ..identity.clock import as_utc, utcnow

GUARD_EXPECTATIONS = {"guard_block": "guard:block", "guard_flag": "guard:flag"}
RATINGS = ("up", "down")


class BadCaseError(ValueError):
    """A bad case or feedback value is invalid; the message names the field."""


@dataclass
class BadCase:
    id: int
    created_at: datetime
    trace_id: str
    kind: str
    question: str
    answer: str
    correction: str
    detail: dict[str, Any]
    user_id: int | None
    status: str

    @property
    def expected(self) -> str:
        """What a replay must produce: the correction, or the guard's constraint."""
        if self.correction:
            return self.correction
        if "expected" in self.detail:
            return str(self.detail["expected"])
        return GUARD_EXPECTATIONS.get(self.kind, "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "trace_id": self.trace_id,
            "kind": self.kind,
            "question": self.question,
            "answer": self.answer,
            "correction": self.correction,
            "expected": self.expected,
            "detail": self.detail,
            "user_id": self.user_id,
            "status": self.status,
        }

    def eval_case(self) -> dict[str, Any]:
        """This case as one line of an evaluation set."""
        row: dict[str, Any] = {
            "question": self.question,
            "expected": self.expected,
            "kind": self.kind,
            "trace_id": self.trace_id,
            "created_at": self.created_at.isoformat(),
            "badcase_id": self.id,
        }
        if not row["expected"] and self.answer:
            row["avoid"] = self.answer
        return row


def record(
    conn: Connection | Engine,
    trace_id: str,
    kind: str,
    *,
    question: str = "",
    answer: str = "",
    correction: str = "",
    detail: dict[str, Any] | None = None,
    user_id: int | None = None,
) -> int:
    """Store a bad case and return its id. `kind`: "feedback", "guard_block", "guard_flag" or
    any other short name ("output_block", ...). `detail` is small JSON (the guard's reasons,
    scores, rule names). Accepts a Connection (joins its transaction) or an Engine (commits
    at once). Raises BadCaseError for an empty or over-long kind."""
    if not kind or len(kind) > 40:
        raise BadCaseError("kind must be 1–40 characters (feedback, guard_block, guard_flag, …)")
    if isinstance(conn, Engine):
        with conn.begin() as tx:
            return record(
                tx,
                trace_id,
                kind,
                question=question,
                answer=answer,
                correction=correction,
                detail=detail,
                user_id=user_id,
            )
    result = conn.execute(
        badcases.insert().values(
            created_at=utcnow(),
            trace_id=(trace_id or "")[:64],
            kind=kind,
            question=question or "",
            answer=answer or "",
            correction=correction or "",
            detail=json.loads(json.dumps(detail or {}, default=str, ensure_ascii=False)),
            user_id=user_id,
            status="open",
        )
    )
    return int(result.inserted_primary_key[0])


@dataclass
class FeedbackResult:
    feedback_id: int
    badcase_id: int | None  # set for a thumbs-down


def record_feedback(
    conn: Connection,
    trace_id: str,
    user_id: int | None,
    rating: str,
    *,
    correction: str = "",
    comment: str = "",
    question: str = "",
    answer: str = "",
) -> FeedbackResult:
    """Store a thumbs-up/down on an answer; a thumbs-down also becomes a bad case (kind
    "feedback") carrying the correction. Raises BadCaseError for an unknown rating or a
    missing trace id."""
    if rating not in RATINGS:
        raise BadCaseError("rating must be 'up' or 'down'")
    if not trace_id:
        raise BadCaseError("trace_id is required: it is in every answer")
    result = conn.execute(
        answer_feedback.insert().values(
            at=utcnow(),
            trace_id=trace_id[:64],
            user_id=user_id,
            rating=rating,
            correction=correction or "",
            comment=comment or "",
        )
    )
    feedback_id = int(result.inserted_primary_key[0])
    case_id = None
    if rating == "down":
        case_id = record(
            conn,
            trace_id,
            "feedback",
            question=question,
            answer=answer,
            correction=correction,
            detail={"feedback_id": feedback_id, "comment": comment}
            if comment
            else {"feedback_id": feedback_id},
            user_id=user_id,
        )
    return FeedbackResult(feedback_id, case_id)


def _case(row: Any) -> BadCase:
    detail = row.detail if isinstance(row.detail, dict) else json.loads(row.detail or "{}")
    return BadCase(
        int(row.id),
        as_utc(row.created_at),  # type: ignore[arg-type]
        row.trace_id,
        row.kind,
        row.question,
        row.answer,
        row.correction,
        detail,
        row.user_id,
        row.status,
    )


def list_badcases(
    conn: Connection,
    *,
    kind: str | None = None,
    user_id: int | None = None,
    trace_id: str | None = None,
    limit: int | None = 100,
) -> list[BadCase]:
    """Newest first."""
    query = select(badcases).order_by(badcases.c.id.desc())
    if kind:
        query = query.where(badcases.c.kind == kind)
    if user_id is not None:
        query = query.where(badcases.c.user_id == user_id)
    if trace_id:
        query = query.where(badcases.c.trace_id == trace_id)
    if limit:
        query = query.limit(limit)
    return [_case(r) for r in conn.execute(query)]


def eval_rows(conn: Connection, *, kind: str | None = None) -> Iterator[dict[str, Any]]:
    """Every replayable bad case (one with a question) as an evaluation-set row, oldest first."""
    query = select(badcases).where(badcases.c.question != "").order_by(badcases.c.id)
    if kind:
        query = query.where(badcases.c.kind == kind)
    for row in conn.execute(query):
        yield _case(row).eval_case()


def export_jsonl(conn: Connection, *, kind: str | None = None) -> Iterator[str]:
    """The evaluation set as JSONL lines (each ends with a newline)."""
    for row in eval_rows(conn, kind=kind):
        yield json.dumps(row, ensure_ascii=False) + "\n"
