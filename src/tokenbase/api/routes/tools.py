"""Agent tools and traces: which tools agents may be given, what each call did, and the whole
trace of one answer (its model calls with tokens and cost, and its tool calls — a consulted
agent's included). A trace is visible to the user it belongs to and to administrators; to
anyone else it answers exactly like a missing one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from ...agents.tools import HttpTool, calls_for_trace, known_tools, tool_report
from ...db.schema import usage_events
from ..deps import AdminCaller, ReadCaller, State
from ..errors import ApiError

router = APIRouter(tags=["agents"])


@router.get("/tools", operation_id="list_tools")
def list_tools(caller: ReadCaller, state: State) -> list[dict[str, Any]]:
    """Every tool an agent may list: the built-ins and `[[agents.http_tools]]`."""
    tools = []
    for name, tool in known_tools(state.settings).items():
        http = isinstance(tool, HttpTool)
        tools.append(
            {
                "name": name,
                "kind": "http" if http else "builtin",
                "summary": tool.summary,
                "impact": tool.spec().impact if isinstance(tool, HttpTool) else "low",
                "parameters": tool.spec().parameters if isinstance(tool, HttpTool) else None,
            }
        )
    return tools


@router.get("/tools/report", operation_id="tool_report")
def tools_report(caller: AdminCaller, state: State, agent: str | None = None) -> list[dict]:
    """Per agent and tool: calls, ok, errors, denied, pending approval, mean latency."""
    with state.platform.db.engine.connect() as conn:
        return tool_report(conn, agent=agent)


def _event(row: Any) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "kind": row.kind,
        "provider": row.provider,
        "model": row.model,
        "deployment": row.deployment,
        "status": row.status,
        "error_class": row.error_class,
        "agent": row.agent,
        "scenario": row.scenario,
        "prompt": row.prompt_name,
        "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens,
        "cost_cny": str(row.cost_cny),
        "latency_ms": round(row.latency_ms, 1),
        "user_id": row.user_id,
    }


@router.get("/traces/{trace_id}", operation_id="get_trace")
def get_trace(trace_id: str, caller: ReadCaller, state: State) -> dict[str, Any]:
    """One answer's model calls and tool calls, in order."""
    with state.platform.db.engine.connect() as conn:
        events = conn.execute(
            select(usage_events)
            .where(usage_events.c.trace_id == trace_id)
            .order_by(usage_events.c.at, usage_events.c.id)
        ).all()
        calls = calls_for_trace(conn, trace_id)
    owners = {e.user_id for e in events} | {c["user_id"] for c in calls}
    if not (events or calls) or (not caller.is_admin and owners != {caller.user.id}):
        raise ApiError(404, "not_found", f"no trace {trace_id!r}")
    rows = [_event(e) for e in events]
    return {
        "trace_id": trace_id,
        "model_calls": rows,
        "tool_calls": calls,
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "completion_tokens": sum(r["completion_tokens"] for r in rows),
        "cost_cny": str(sum((e.cost_cny for e in events), start=0)),
    }
