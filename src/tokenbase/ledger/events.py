"""Usage events and their daily rollups.

Each event is one attempt at one model call (CallRecord) with its attribution and CNY cost.
The rollup row for its (day, department, user, scenario, agent, provider, model, kind, tier,
prompt_name) is upserted in the same transaction, so reports read a few thousand rollup rows
instead of millions of events; `rebuild_rollups` recomputes them from the events (repair,
bulk loads). A report that groups by fewer keys sums over the rest (`prompt_name` is there
for the prompt library's reports).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Select, case, delete, func, insert, select

from ..db.schema import ROLLUP_KEYS, usage_daily, usage_events
from ..identity.clock import as_utc
from .attribution import Attribution
from .calls import CallRecord

ROLLUP_METRICS = (
    "calls",
    "ok_calls",
    "error_calls",
    "blocked_calls",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_cny",
    "estimated_calls",
    "unpriced_calls",
    "format_valid",
    "format_repaired",
    "format_invalid",
    "latency_ms_sum",
)


@dataclass
class UsageEvent:
    """One stored usage event (what `Ledger.record` returns and `events` lists)."""

    id: int
    at: datetime
    day: date
    kind: str
    provider: str
    model: str
    deployment: str
    tier: str
    status: str
    error_class: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_cny: Decimal
    estimated: bool
    priced: bool
    price_ref: str
    latency_ms: float
    request_id: str
    attempt: int
    user_id: int | None
    department_id: int | None
    scenario: str
    agent: str
    task: str
    trace_id: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["day"] = self.day.isoformat()
        data["cost_cny"] = str(self.cost_cny)
        return data


def event_row(
    call: CallRecord,
    who: Attribution,
    *,
    day: date,
    cost_cny: Decimal,
    priced: bool,
    price_ref: str,
) -> dict[str, Any]:
    """The usage_events row for a call; prompt and response text have no column to go in."""
    return {
        "at": call.started_at,
        "day": day,
        "kind": call.kind,
        "provider": call.provider,
        "model": call.model,
        "deployment": call.deployment,
        "tier": call.tier,
        "request_id": call.request_id,
        "attempt": call.attempt,
        "status": call.status,
        "error_class": call.error_class,
        "latency_ms": float(call.latency_ms),
        "ttft_ms": call.ttft_ms,
        "prompt_tokens": call.prompt_tokens,
        "completion_tokens": call.completion_tokens,
        "cached_tokens": call.cached_tokens,
        "estimated": call.estimated,
        "cost_cny": cost_cny,
        "priced": priced,
        "price_ref": price_ref,
        "provider_cost": call.provider_cost,
        "prompt_name": call.prompt_name,
        "output_format": call.output_format,
        "user_id": who.user_id,
        "department_id": who.department_id,
        "scenario": who.scenario,
        "agent": who.agent,
        "task": who.task,
        "trace_id": who.trace_id,
        "extra": dict(call.extra),
    }


def rollup_row(row: dict[str, Any]) -> dict[str, Any]:
    """The rollup increment one event row contributes."""
    status = row["status"]
    fmt = row["output_format"]
    return {
        "day": row["day"],
        "department_id": row["department_id"] or 0,
        "user_id": row["user_id"] or 0,
        "scenario": row["scenario"],
        "agent": row["agent"],
        "provider": row["provider"],
        "model": row["model"],
        "kind": row["kind"],
        "tier": row["tier"],
        "prompt_name": row["prompt_name"],
        "calls": 1,
        "ok_calls": int(status == "ok"),
        "error_calls": int(status == "error"),
        "blocked_calls": int(status == "blocked"),
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "cached_tokens": row["cached_tokens"],
        "cost_cny": row["cost_cny"],
        "estimated_calls": int(bool(row["estimated"])),
        "unpriced_calls": int(not row["priced"]),
        "format_valid": int(fmt == "valid"),
        "format_repaired": int(fmt == "repaired"),
        "format_invalid": int(fmt == "invalid"),
        "latency_ms_sum": row["latency_ms"],
    }


def dialect_insert(conn: Connection):  # type: ignore[no-untyped-def]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


_STATEMENTS: dict[str, tuple[Any, Any]] = {}


def _statements(conn: Connection) -> tuple[Any, Any]:
    """(event insert, rollup upsert) for this dialect, built once: values come as execute()
    parameters, so each call skips statement construction and cache-key work."""
    name = conn.dialect.name
    if name not in _STATEMENTS:
        event = insert(usage_events).returning(usage_events.c.id)
        upsert = dialect_insert(conn)(usage_daily)
        upsert = upsert.on_conflict_do_update(
            index_elements=list(ROLLUP_KEYS),
            set_={m: usage_daily.c[m] + upsert.excluded[m] for m in ROLLUP_METRICS},
        )
        _STATEMENTS[name] = (event, upsert)
    return _STATEMENTS[name]


def insert_event(conn: Connection, row: dict[str, Any]) -> int:
    """Insert the event and upsert its rollup row; the caller owns the transaction."""
    event, upsert = _statements(conn)
    event_id = conn.execute(event, row).scalar_one()
    conn.execute(upsert, rollup_row(row))
    return int(event_id)


def _rollup_select(since: date | None) -> Select:
    """usage_daily's rows (ROLLUP_KEYS, then ROLLUP_METRICS) aggregated from the events."""
    e = usage_events.c

    def count_if(condition) -> Any:  # type: ignore[no-untyped-def]
        return func.sum(case((condition, 1), else_=0))

    keys = [
        e.day,
        func.coalesce(e.department_id, 0),
        func.coalesce(e.user_id, 0),
        e.scenario,
        e.agent,
        e.provider,
        e.model,
        e.kind,
        e.tier,
        e.prompt_name,
    ]
    metrics = [
        func.count(),
        count_if(e.status == "ok"),
        count_if(e.status == "error"),
        count_if(e.status == "blocked"),
        func.sum(e.prompt_tokens),
        func.sum(e.completion_tokens),
        func.sum(e.cached_tokens),
        func.sum(e.cost_cny),
        count_if(e.estimated.is_(True)),
        count_if(e.priced.is_(False)),
        count_if(e.output_format == "valid"),
        count_if(e.output_format == "repaired"),
        count_if(e.output_format == "invalid"),
        func.sum(e.latency_ms),
    ]
    query = select(*keys, *metrics).group_by(*keys)
    if since is not None:
        query = query.where(e.day >= since)
    return query


def rebuild_rollups(conn: Connection, since: date | None = None) -> int:
    """Recompute usage_daily from usage_events (every day, or days from `since` on).
    Returns the number of rollup rows written; the caller owns the transaction."""
    stale = delete(usage_daily)
    if since is not None:
        stale = stale.where(usage_daily.c.day >= since)
    conn.execute(stale)
    columns = [*ROLLUP_KEYS, *ROLLUP_METRICS]
    result = conn.execute(insert(usage_daily).from_select(columns, _rollup_select(since)))
    return int(result.rowcount or 0)


_EVENT_COLUMNS = [usage_events.c[name] for name in UsageEvent.__dataclass_fields__]


def _event(row: Any) -> UsageEvent:
    data = dict(row._mapping)
    data["at"] = as_utc(data["at"])
    data["cost_cny"] = Decimal(data["cost_cny"]).quantize(Decimal("0.000001"))
    return UsageEvent(**data)


def get_event(conn: Connection, event_id: int) -> UsageEvent | None:
    row = conn.execute(select(*_EVENT_COLUMNS).where(usage_events.c.id == event_id)).first()
    return _event(row) if row is not None else None


def list_events(
    conn: Connection,
    *,
    limit: int = 50,
    before_id: int | None = None,
    user_id: int | None = None,
    trace_id: str | None = None,
) -> list[UsageEvent]:
    """Newest first; page with `before_id` (the last id of the previous page)."""
    query = select(*_EVENT_COLUMNS).order_by(usage_events.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(usage_events.c.id < before_id)
    if user_id is not None:
        query = query.where(usage_events.c.user_id == user_id)
    if trace_id:
        query = query.where(usage_events.c.trace_id == trace_id)
    return [_event(r) for r in conn.execute(query)]
