"""Reports over the daily rollups (never the raw events, so they stay fast as events grow):
spend by department / scenario / model / user / day, cost per outcome and ROI per scenario,
format-error rates and availability per model and per prompt, and the COGS export.

A rollup row is one (day, department, user, scenario, agent, provider, model, kind, tier,
prompt) key: every report sums over the keys it does not group by, so adding a key (as
`prompt_name` was, migration 0012) splits rows without changing any figure.

Date ranges are local days (`ledger.timezone`): `start` inclusive, `end` exclusive.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, func, select

from ..db.schema import departments, outcomes, usage_daily, users
from .errors import LedgerInputError

BY = ("department", "scenario", "model", "user", "day")
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
NONE_LABEL = "(none)"


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(MICRO)


def _ratio(numerator: Any, denominator: Any, places: str = "0.0001") -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(places), rounding=ROUND_HALF_UP
    )


@dataclass
class SpendRow:
    key: str  # department/user id, scenario, "provider/model" or YYYY-MM-DD
    label: str  # department path, username, ... (what a person reads)
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_cny: Decimal = Decimal(0)
    unpriced_calls: int = 0
    estimated_calls: int = 0

    def add(self, other: SpendRow) -> None:
        self.calls += other.calls
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_tokens += other.cached_tokens
        self.cost_cny += other.cost_cny
        self.unpriced_calls += other.unpriced_calls
        self.estimated_calls += other.estimated_calls

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cost_cny": str(self.cost_cny),
            "unpriced_calls": self.unpriced_calls,
            "estimated_calls": self.estimated_calls,
        }


@dataclass
class SpendReport:
    by: str
    start: date
    end: date  # exclusive
    rows: list[SpendRow] = field(default_factory=list)
    total: SpendRow = field(default_factory=lambda: SpendRow("total", "total"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "rows": [r.to_dict() for r in self.rows],
            "total": self.total.to_dict(),
        }


def department_paths(conn: Connection) -> dict[int, str]:
    """Department id -> 'root/child/leaf' (the cost centre)."""
    rows = {int(r.id): (r.name, r.parent_id) for r in conn.execute(select(departments))}
    paths: dict[int, str] = {}
    for dept_id in rows:
        parts, node, seen = [], dept_id, set()
        while node is not None and node in rows and node not in seen:
            seen.add(node)
            name, parent = rows[node]
            parts.append(name)
            node = parent
        paths[dept_id] = "/".join(reversed(parts))
    return paths


def _key_columns(by: str) -> list[Any]:
    d = usage_daily.c
    return {
        "department": [d.department_id],
        "scenario": [d.scenario],
        "model": [d.provider, d.model],
        "user": [d.user_id],
        "day": [d.day],
    }[by]


def _spend_metrics() -> list[Any]:
    d = usage_daily.c
    return [
        func.sum(d.calls),
        func.sum(d.prompt_tokens),
        func.sum(d.completion_tokens),
        func.sum(d.cached_tokens),
        func.sum(d.cost_cny),
        func.sum(d.unpriced_calls),
        func.sum(d.estimated_calls),
    ]


def spend(
    conn: Connection,
    by: str,
    start: date,
    end: date,
    *,
    department_ids: Collection[int] | None = None,
    user_id: int | None = None,
) -> SpendReport:
    """Spend grouped by one dimension, most expensive first (by day: in date order).

    `department_ids` / `user_id` narrow it to those departments' (or that user's) calls,
    in the query itself — a member's view of their own department."""
    if by not in BY:
        raise LedgerInputError(f"unknown report dimension {by!r}: use {', '.join(BY)}")
    keys = _key_columns(by)
    query = (
        select(*keys, *_spend_metrics())
        .where(usage_daily.c.day >= start, usage_daily.c.day < end)
        .group_by(*keys)
    )
    if department_ids is not None:
        query = query.where(usage_daily.c.department_id.in_(sorted(department_ids)))
    if user_id is not None:
        query = query.where(usage_daily.c.user_id == user_id)
    labels = _labeller(conn, by)
    report = SpendReport(by, start, end)
    for row in conn.execute(query):
        n = len(keys)
        key = "/".join(str(v) for v in row[:n]) if by != "day" else _day(row[0]).isoformat()
        calls, prompt, completion, cached, cost, unpriced, estimated = row[n:]
        item = SpendRow(
            key,
            labels(key),
            int(calls or 0),
            int(prompt or 0),
            int(completion or 0),
            int(cached or 0),
            _money(cost),
            int(unpriced or 0),
            int(estimated or 0),
        )
        report.rows.append(item)
        report.total.add(item)
    if by == "day":
        report.rows.sort(key=lambda r: r.key)
    else:
        report.rows.sort(key=lambda r: (-r.cost_cny, r.label))
    return report


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _labeller(conn: Connection, by: str):  # type: ignore[no-untyped-def]
    if by == "department":
        paths = department_paths(conn)
        return lambda key: paths.get(int(key), f"department {key}") if key != "0" else NONE_LABEL
    if by == "user":
        names = {str(r.id): r.username for r in conn.execute(select(users.c.id, users.c.username))}
        return lambda key: names.get(key, f"user {key}") if key != "0" else NONE_LABEL
    return lambda key: key or NONE_LABEL


# -- unit economics ---------------------------------------------------------------------------
def roi(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Per scenario: cost, outcomes (count and value, by kind), cost per outcome and ROI
    (outcome value / cost). None where a ratio has a zero denominator."""
    d = usage_daily.c
    costs = {
        r.scenario: (_money(r.cost), int(r.calls or 0))
        for r in conn.execute(
            select(d.scenario, func.sum(d.cost_cny).label("cost"), func.sum(d.calls).label("calls"))
            .where(d.day >= start, d.day < end)
            .group_by(d.scenario)
        )
    }
    o = outcomes.c
    produced: dict[str, dict[str, Any]] = {}
    for r in conn.execute(
        select(
            o.scenario,
            o.kind,
            func.sum(o.count).label("n"),
            func.sum(o.value_cny).label("value"),
        )
        .where(o.day >= start, o.day < end)
        .group_by(o.scenario, o.kind)
    ):
        slot = produced.setdefault(r.scenario, {"count": 0, "value": Decimal(0), "kinds": {}})
        slot["count"] += int(r.n or 0)
        slot["value"] += _money(r.value)
        slot["kinds"][r.kind] = int(r.n or 0)
    rows = []
    for scenario in sorted(set(costs) | set(produced)):
        cost, calls = costs.get(scenario, (Decimal(0), 0))
        made = produced.get(scenario, {"count": 0, "value": Decimal(0), "kinds": {}})
        per = _ratio(cost, made["count"], "0.000001")
        rows.append(
            {
                "scenario": scenario or NONE_LABEL,
                "calls": calls,
                "cost_cny": str(cost),
                "outcomes": made["count"],
                "outcome_kinds": made["kinds"],
                "outcome_value_cny": str(made["value"].quantize(CENT)),
                "cost_per_outcome_cny": str(per) if per is not None else None,
                "roi": str(_ratio(made["value"], cost)) if cost else None,
            }
        )
    return rows


def quality(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Per provider/model: availability = ok / (ok + error), budget blocks excluded; format
    errors among structured calls before repair ((repaired + invalid) / structured) and after
    ((invalid) / structured); mean latency; cost per call."""
    d = usage_daily.c
    sums = [
        func.sum(c)
        for c in (
            d.calls,
            d.ok_calls,
            d.error_calls,
            d.blocked_calls,
            d.format_valid,
            d.format_repaired,
            d.format_invalid,
            d.latency_ms_sum,
            d.cost_cny,
        )
    ]
    rows = []
    for r in conn.execute(
        select(d.provider, d.model, *sums)
        .where(d.day >= start, d.day < end)
        .group_by(d.provider, d.model)
        .order_by(d.provider, d.model)
    ):
        calls, ok, error, blocked, valid, repaired, invalid, latency, cost = (v or 0 for v in r[2:])
        structured = valid + repaired + invalid
        cost = _money(cost)
        rows.append(
            {
                "model": f"{r.provider}/{r.model}",
                "calls": int(calls),
                "ok_calls": int(ok),
                "error_calls": int(error),
                "blocked_calls": int(blocked),
                "availability": _str(_ratio(ok, ok + error)),
                "structured_calls": int(structured),
                "format_error_rate_before_repair": _str(_ratio(repaired + invalid, structured)),
                "format_error_rate_after_repair": _str(_ratio(invalid, structured)),
                "mean_latency_ms": round(float(latency) / calls, 1) if calls else None,
                "cost_cny": str(cost),
                "cost_per_call_cny": _str(_ratio(cost, calls, "0.000001")),
            }
        )
    return rows


def format_by_prompt(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """Per prompt and model: structured-output attempts and their format-error rates before
    and after repair. From the rollups (`prompt_name` is part of their key, and the row is
    written with each event, so a new prompt version shows up the day it ships)."""
    d = usage_daily.c
    structured = func.sum(d.format_valid + d.format_repaired + d.format_invalid)
    counts = [structured, func.sum(d.format_repaired), func.sum(d.format_invalid)]
    rows = []
    for r in conn.execute(
        select(d.prompt_name, d.provider, d.model, *counts)
        .where(d.day >= start, d.day < end)
        .group_by(d.prompt_name, d.provider, d.model)
        .having(structured > 0)
        .order_by(d.prompt_name, d.provider, d.model)
    ):
        structured_calls, repaired, invalid = (int(v or 0) for v in r[3:])
        rows.append(
            {
                "prompt": r.prompt_name,
                "model": f"{r.provider}/{r.model}",
                "structured_calls": structured_calls,
                "format_error_rate_before_repair": _str(
                    _ratio(repaired + invalid, structured_calls)
                ),
                "format_error_rate_after_repair": _str(_ratio(invalid, structured_calls)),
            }
        )
    return rows


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# -- COGS export ------------------------------------------------------------------------------
EXPORT_COLUMNS = (
    "month",
    "department",
    "cost_centre",
    "scenario",
    "model",
    "calls",
    "tokens",
    "cost_cny",
)


def export_csv(conn: Connection, month: str, start: date, end: date) -> str:
    """One row per department x scenario x model for the month, shaped for booking AI cost
    into each department's COGS: cost centre = department path, cost to the fen. Starts
    with a UTF-8 byte-order mark so Excel reads Chinese names correctly."""
    d = usage_daily.c
    paths = department_paths(conn)
    query = (
        select(
            d.department_id,
            d.scenario,
            d.provider,
            d.model,
            func.sum(d.calls),
            func.sum(d.prompt_tokens + d.completion_tokens),
            func.sum(d.cost_cny),
        )
        .where(d.day >= start, d.day < end)
        .group_by(d.department_id, d.scenario, d.provider, d.model)
    )
    rows = []
    for dept_id, scenario, provider, model, calls, tokens, cost in conn.execute(query):
        path = paths.get(int(dept_id), "") if dept_id else ""
        rows.append(
            (
                month,
                path.rsplit("/", 1)[-1] if path else NONE_LABEL,
                path or NONE_LABEL,
                scenario or NONE_LABEL,
                f"{provider}/{model}",
                int(calls or 0),
                int(tokens or 0),
                str(_money(cost).quantize(CENT, rounding=ROUND_HALF_UP)),
            )
        )
    rows.sort(key=lambda r: (r[2], r[3], r[4]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()
