"""The tool-call trace: one `agent_tool_calls` row per call an agent made, under the turn's
trace id (a consulted agent's calls share it, with depth 1+). Arguments are stored as the
model gave them (they are the user's data, not credentials: HTTP header secrets never enter
them); results are stored as the model was shown them, cut to `agents.tool_result_chars`.

    record_call(conn, ToolCallRecord(...)) -> id
    calls_for_trace(conn, trace_id)        # [{tool, status, ...}, ...] in order
    tool_report(conn)                      # per tool: calls, ok, errors, pending, latency
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update

from ...db.schema import agent_tool_calls
from ...identity.clock import utcnow

STATUSES = ("ok", "error", "denied", "pending_approval")


@dataclass
class ToolCallRecord:
    trace_id: str
    agent: str
    tool: str
    arguments: dict[str, Any]
    status: str
    result: str = ""
    error: str = ""
    depth: int = 0
    approval_id: int | None = None
    user_id: int | None = None
    latency_ms: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)  # not stored: returned to the caller


def record_call(conn: Connection, record: ToolCallRecord) -> int:
    values = {k: v for k, v in asdict(record).items() if k != "detail"}
    result = conn.execute(insert(agent_tool_calls).values(**values, created_at=utcnow()))
    return int(result.inserted_primary_key[0])


def settle_approved_call(conn: Connection, approval_id: int, status: str, result: str) -> None:
    """An approved high-impact call ran (or failed): its trace row says how it ended."""
    conn.execute(
        update(agent_tool_calls)
        .where(agent_tool_calls.c.approval_id == approval_id)
        .values(
            status=status,
            result=result if status == "ok" else "",
            error=result if status != "ok" else "",
        )
    )


def _row(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "trace_id": row.trace_id,
        "depth": row.depth,
        "agent": row.agent,
        "tool": row.tool,
        "arguments": row.arguments,
        "status": row.status,
        "result": row.result,
        "error": row.error,
        "approval_id": row.approval_id,
        "user_id": row.user_id,
        "latency_ms": round(row.latency_ms, 1),
        "created_at": row.created_at.isoformat(),
    }


def calls_for_trace(conn: Connection, trace_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(agent_tool_calls)
        .where(agent_tool_calls.c.trace_id == trace_id)
        .order_by(agent_tool_calls.c.id)
    )
    return [_row(r) for r in rows]


def tool_report(conn: Connection, *, agent: str | None = None) -> list[dict[str, Any]]:
    """Per (agent, tool): calls, ok, errors, denied, pending approval, mean latency."""
    c = agent_tool_calls.c

    def count(status: str) -> Any:
        return func.sum(case((c.status == status, 1), else_=0))

    query = select(
        c.agent,
        c.tool,
        func.count().label("calls"),
        count("ok").label("ok"),
        count("error").label("errors"),
        count("denied").label("denied"),
        count("pending_approval").label("pending"),
        func.avg(c.latency_ms).label("latency_ms"),
    ).group_by(c.agent, c.tool)
    if agent is not None:
        query = query.where(c.agent == agent)
    return [
        {
            "agent": r.agent,
            "tool": r.tool,
            "calls": int(r.calls),
            "ok": int(r.ok or 0),
            "errors": int(r.errors or 0),
            "denied": int(r.denied or 0),
            "pending_approval": int(r.pending or 0),
            "mean_latency_ms": round(float(r.latency_ms or 0), 1),
        }
        for r in conn.execute(query.order_by(c.agent, c.tool))
    ]
