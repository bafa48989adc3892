"""Per-version and per-contributor reports for a period (default: this month, local to
`ledger.timezone`).

Per version (every version in the library, used or not):
- calls: usage events whose `prompt_name` is the version's ref ("name@3") — every attempt the
  gateway metered, as in the ledger; users, departments (distinct, attributed);
- prompt/completion tokens and cost (CNY, Decimal) from those events;
- format-error rate: (repaired + invalid) / structured calls, as `ledger quality --by prompt`;
- acceptance: accepted / rated over the traces that used the version. The built-in source is
  answer feedback (thumbs-up = accepted, thumbs-down = rejected; every rating row counts);
  `badcases` counts the bad cases filed on those traces (thumbs-downs and guard blocks/flags).
  Other sources (RAVI verification, a later issue) plug in with `register_acceptance_source`
  exactly as the feedback source is registered below; their counts add up.

Per contributor (the author of versions): prompts created, versions authored, calls of their
versions, and **effective prompts**: versions used at least `prompts.effective_min_uses` times
by someone other than the author (attributed calls whose user differs) whose acceptance is at
least `prompts.effective_min_acceptance`; `effective_prompts` counts distinct prompts with
such a version. Built-in prompts count for the contributor "system".

Cost at scale: calls, users, departments, tokens, cost and format errors come from the
ledger's daily rollups (`usage_daily`, keyed by prompt_name, user and department among
others), summed over the month's local days and grouped by (prompt_name, user, department) in
the database: the cost follows the number of rollup rows, not of events. Bounds that are not
local midnights (`version_stats` called directly) fall back to the raw events, filtered on
the indexed `usage_events.at`. Feedback and bad cases are mapped to versions through the
indexed `usage_events.trace_id`. See bench/RESULTS.md for the timing at 1M events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, case, func, select

from ..config import LedgerSettings, Settings
from ..db.schema import (
    answer_feedback,
    badcases,
    prompt_labels,
    prompt_versions,
    prompts,
    usage_daily,
    usage_events,
    users,
)
from ..ledger.periods import local_day, parse_month, zone
from ..ledger.reports import _money, _ratio, department_paths
from .errors import PromptError

BY = ("version", "contributor")
# A source of acceptance: (conn, start, end) -> {ref: (accepted, rejected)} over the traces
# that used each version in [start, end). `refs_by_trace` maps trace ids to the versions
# they used, through the indexed usage_events.trace_id.
AcceptanceSource = Callable[[Connection, datetime, datetime], dict[str, tuple[int, int]]]
ACCEPTANCE_SOURCES: list[AcceptanceSource] = []
_BATCH = 500


def register_acceptance_source(source: AcceptanceSource) -> AcceptanceSource:
    """Add a source of accepted/rejected counts per version (usable as a decorator)."""
    ACCEPTANCE_SOURCES.append(source)
    return source


def refs_by_trace(
    conn: Connection, trace_ids: Iterable[str], start: datetime, end: datetime
) -> dict[str, set[str]]:
    """trace id -> the library versions ("name@3") its model calls used in [start, end).
    Looked up in batches through the trace index: the cost follows the number of traces
    asked about (feedback is rare next to calls), not the number of events in the month.

    The time bounds are applied here, not in SQL: with `at` in the WHERE clause, PostgreSQL's
    generic plan for the repeated (prepared) batch query scans the month through the `at`
    index instead (1.4 s a batch at 100k events, against 5 ms)."""
    e = usage_events.c
    wanted = sorted({t for t in trace_ids if t})
    out: dict[str, set[str]] = {}
    for i in range(0, len(wanted), _BATCH):
        for trace, ref, at in conn.execute(
            select(e.trace_id, e.prompt_name, e.at).where(
                e.trace_id.in_(wanted[i : i + _BATCH]), e.prompt_name.like("%@%")
            )
        ):
            if start <= (at if at.tzinfo else at.replace(tzinfo=UTC)) < end:  # SQLite: naive
                out.setdefault(trace, set()).add(ref)
    return out


@register_acceptance_source
def feedback_acceptance(
    conn: Connection, start: datetime, end: datetime
) -> dict[str, tuple[int, int]]:
    """Thumbs-up / thumbs-down on answers whose trace used the version (each rating row once,
    however many model calls the trace made). Feedback comes after the answer, so only rows
    given since `start` are read."""
    f = answer_feedback.c
    rows = conn.execute(select(f.trace_id, f.rating).where(f.at >= start, f.trace_id != "")).all()
    refs = refs_by_trace(conn, (r.trace_id for r in rows), start, end)
    out: dict[str, list[int]] = {}
    for trace, rating in rows:
        for ref in refs.get(trace, ()):
            out.setdefault(ref, [0, 0])[0 if rating == "up" else 1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def month_bounds(month: str | None, timezone: str) -> tuple[str, datetime, datetime]:
    """('2026-11', UTC start, UTC end) of a local month (None: the current one)."""
    tz = zone(timezone)
    if not month:
        month = local_day(datetime.now(UTC), tz).strftime("%Y-%m")
    first, following = parse_month(month)

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tz).astimezone(UTC)

    return first.strftime("%Y-%m"), utc(first), utc(following)


@dataclass
class VersionStats:
    name: str
    version: int
    author_id: int | None
    author: str
    created_at: datetime
    labels: list[str] = field(default_factory=list)
    calls: int = 0
    users: int = 0
    departments: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_cny: Decimal = Decimal(0)
    structured_calls: int = 0
    format_errors: int = 0
    accepted: int = 0
    rejected: int = 0
    badcases: int = 0
    uses_by_others: int = 0
    effective: bool = False

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def acceptance(self) -> Decimal | None:
        return _ratio(self.accepted, self.accepted + self.rejected)

    @property
    def format_error_rate(self) -> Decimal | None:
        return _ratio(self.format_errors, self.structured_calls)

    def to_dict(self) -> dict[str, Any]:
        acceptance, rate = self.acceptance, self.format_error_rate
        return {
            "ref": self.ref,
            "name": self.name,
            "version": self.version,
            "author_id": self.author_id,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
            "labels": self.labels,
            "calls": self.calls,
            "users": self.users,
            "departments": self.departments,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_cny": str(self.cost_cny),
            "structured_calls": self.structured_calls,
            "format_error_rate": None if rate is None else str(rate),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "acceptance": None if acceptance is None else str(acceptance),
            "badcases": self.badcases,
            "uses_by_others": self.uses_by_others,
            "effective": self.effective,
        }


def _local_days(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    """[start, end) as local days [first, following) when both bounds are local midnights
    (whole ledger days: what the rollups can answer), else None."""
    days = []
    for bound in (start, end):
        local = (bound if bound.tzinfo else bound.replace(tzinfo=UTC)).astimezone(tz)
        if local.time() != time(0):
            return None
        days.append(local.date())
    return days[0], days[1]


def _from_rollups(first: date, following: date) -> Select[Any]:
    d = usage_daily.c
    # 0 is the rollups' "none" for user and department (ids start at 1).
    return (
        select(
            d.prompt_name,
            d.user_id,
            d.department_id,
            func.sum(d.calls).label("calls"),
            func.sum(d.prompt_tokens).label("prompt_tokens"),
            func.sum(d.completion_tokens).label("completion_tokens"),
            func.sum(d.cost_cny).label("cost"),
            func.sum(d.format_valid + d.format_repaired + d.format_invalid).label("structured"),
            func.sum(d.format_repaired + d.format_invalid).label("bad"),
        )
        .where(d.day >= first, d.day < following, d.prompt_name.like("%@%"))
        # Integers first: the sort behind the grouping compares them faster (SQLite).
        .group_by(d.user_id, d.department_id, d.prompt_name)
    )


def _from_events(start: datetime, end: datetime) -> Select[Any]:
    e = usage_events.c
    return (
        select(
            e.prompt_name,
            func.coalesce(e.user_id, 0).label("user_id"),
            func.coalesce(e.department_id, 0).label("department_id"),
            func.count().label("calls"),
            func.sum(e.prompt_tokens).label("prompt_tokens"),
            func.sum(e.completion_tokens).label("completion_tokens"),
            func.sum(e.cost_cny).label("cost"),
            func.sum(case((e.output_format != "", 1), else_=0)).label("structured"),
            func.sum(case((e.output_format.in_(("repaired", "invalid")), 1), else_=0)).label("bad"),
        )
        .where(e.at >= start, e.at < end, e.prompt_name.like("%@%"))
        .group_by(e.prompt_name, e.user_id, e.department_id)
    )


def usage_query(start: datetime, end: datetime, timezone: str) -> Select[Any]:
    """Calls, tokens, cost and format counts per (prompt_name, user_id, department_id) for
    the versioned refs used in [start, end) (UTC); user/department 0 = none. From the daily
    rollups when the bounds are whole days in `timezone` (ledger.timezone), else from the
    events."""
    days = _local_days(start, end, zone(timezone))
    return _from_rollups(*days) if days else _from_events(start, end)


def version_stats(
    conn: Connection, start: datetime, end: datetime, settings: Settings | None = None
) -> list[VersionStats]:
    """Every version's figures for [start, end) (UTC), most-called first."""
    min_acc = Decimal(str(settings.prompts.effective_min_acceptance if settings else 0.6))
    min_uses = settings.prompts.effective_min_uses if settings else 5
    timezone = (settings.ledger if settings else LedgerSettings()).timezone
    stats: dict[str, VersionStats] = {}
    p, v = prompts.c, prompt_versions.c
    by_id: dict[int, str] = {}
    for r in conn.execute(
        select(v.id, p.name, v.version, v.author_id, v.author_name, v.created_at).join(
            prompts, p.id == v.prompt_id
        )
    ):
        created = r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)
        by_id[int(r.id)] = f"{r.name}@{r.version}"
        stats[by_id[int(r.id)]] = VersionStats(
            r.name, int(r.version), r.author_id, r.author_name, created
        )
    for r in conn.execute(select(prompt_labels.c.version_id, prompt_labels.c.label)):
        ref = by_id.get(int(r.version_id))
        if ref in stats:
            stats[ref].labels.append(r.label)
    paths = department_paths(conn)
    users_of: dict[str, set[int]] = {}
    depts_of: dict[str, set[int]] = {}
    for r in conn.execute(usage_query(start, end, timezone)):
        item = stats.get(r.prompt_name)
        if item is None:
            continue  # a ref the library does not know (deleted, or another naming scheme)
        calls = int(r.calls or 0)
        item.calls += calls
        item.prompt_tokens += int(r.prompt_tokens or 0)
        item.completion_tokens += int(r.completion_tokens or 0)
        item.cost_cny += _money(r.cost)
        item.structured_calls += int(r.structured or 0)
        item.format_errors += int(r.bad or 0)
        if r.user_id:
            users_of.setdefault(item.ref, set()).add(int(r.user_id))
            if r.user_id != item.author_id:
                item.uses_by_others += calls
        if r.department_id:
            depts_of.setdefault(item.ref, set()).add(int(r.department_id))
    for source in ACCEPTANCE_SOURCES:
        for ref, (accepted, rejected) in source(conn, start, end).items():
            if ref in stats:
                stats[ref].accepted += accepted
                stats[ref].rejected += rejected
    b = badcases.c
    cases = (
        conn.execute(select(b.trace_id).where(b.created_at >= start, b.trace_id != ""))
        .scalars()
        .all()
    )
    refs = refs_by_trace(conn, cases, start, end)
    for trace in cases:
        for ref in refs.get(trace, ()):
            if ref in stats:
                stats[ref].badcases += 1
    for ref, item in stats.items():
        item.users = len(users_of.get(ref, ()))
        item.departments = sorted(paths.get(d, f"department {d}") for d in depts_of.get(ref, ()))
        item.labels.sort()
        acceptance = item.acceptance
        item.effective = (
            item.uses_by_others >= min_uses and acceptance is not None and acceptance >= min_acc
        )
    return sorted(stats.values(), key=lambda s: (-s.calls, s.name, -s.version))


def contributor_stats(conn: Connection, versions: list[VersionStats]) -> list[dict[str, Any]]:
    """Per author: prompts created, versions, calls, cost, effective versions and prompts."""
    names = {int(r.id): r.username for r in conn.execute(select(users.c.id, users.c.username))}

    def who(author_id: int | None, name: str) -> str:
        return names.get(author_id, name) if author_id is not None else name

    rows: dict[str, dict[str, Any]] = {}

    def row(key: str) -> dict[str, Any]:
        return rows.setdefault(
            key,
            {
                "contributor": key,
                "prompts": 0,
                "versions": 0,
                "calls": 0,
                "cost_cny": Decimal(0),
                "effective_versions": 0,
                "effective_prompts": set(),
            },
        )

    for r in conn.execute(select(prompts.c.created_by, prompts.c.created_by_name)):
        row(who(r.created_by, r.created_by_name))["prompts"] += 1
    for item in versions:
        slot = row(who(item.author_id, item.author))
        slot["versions"] += 1
        slot["calls"] += item.calls
        slot["cost_cny"] += item.cost_cny
        if item.effective:
            slot["effective_versions"] += 1
            slot["effective_prompts"].add(item.name)
    out = []
    for slot in rows.values():
        effective = sorted(slot.pop("effective_prompts"))
        out.append(
            {
                **slot,
                "cost_cny": str(slot["cost_cny"]),
                "effective_prompts": len(effective),
                "effective_prompt_names": effective,
            }
        )
    out.sort(key=lambda r: (-r["effective_prompts"], -r["calls"], r["contributor"]))
    return out


def report(
    conn: Connection, settings: Settings, *, by: str = "version", month: str | None = None
) -> dict[str, Any]:
    """The report as JSON-ready data: {"by", "month", "rows": [...]}. Raises PromptError for
    an unknown dimension, LedgerInputError for a bad month."""
    if by not in BY:
        raise PromptError(f"unknown report dimension {by!r}: use {', '.join(BY)}")
    label, start, end = month_bounds(month, settings.ledger.timezone)
    versions = version_stats(conn, start, end, settings)
    rows = [v.to_dict() for v in versions] if by == "version" else contributor_stats(conn, versions)
    return {
        "by": by,
        "month": label,
        "effective_min_acceptance": settings.prompts.effective_min_acceptance,
        "effective_min_uses": settings.prompts.effective_min_uses,
        "rows": rows,
    }
