"""Business outcomes ("ticket resolved", "proposal sent", "deal won"): what model calls
produced, with a count and a value in CNY, linked to a scenario, trace or task, so reports
can set cost against value (cost per outcome, ROI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select

from ..db.schema import outcomes, usage_events
from ..identity.clock import as_utc
from .errors import LedgerInputError


@dataclass(frozen=True)
class Outcome:
    id: int
    at: datetime
    day: date
    kind: str
    count: int
    value_cny: Decimal
    scenario: str
    trace_id: str
    task: str
    department_id: int | None
    user_id: int | None
    note: str
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "day": self.day.isoformat(),
            "kind": self.kind,
            "count": self.count,
            "value_cny": str(self.value_cny),
            "scenario": self.scenario,
            "trace_id": self.trace_id,
            "task": self.task,
            "department_id": self.department_id,
            "user_id": self.user_id,
            "note": self.note,
            "created_by": self.created_by,
        }


def _outcome(row: Any) -> Outcome:
    data = dict(row._mapping)
    data["at"] = as_utc(data["at"])
    data["value_cny"] = Decimal(str(data["value_cny"])).quantize(Decimal("0.01"))
    return Outcome(**data)


def record_outcome(
    conn: Connection,
    *,
    kind: str,
    count: int = 1,
    value_cny: Decimal = Decimal(0),
    scenario: str = "",
    trace_id: str = "",
    task: str = "",
    department_id: int | None = None,
    user_id: int | None = None,
    note: str = "",
    created_by: str = "",
    at: datetime,
    day: date,
) -> Outcome:
    """Store an outcome. With a trace id and no scenario (department, user), those are taken
    from the trace's first usage event, so the outcome lands where its cost did."""
    kind = kind.strip()
    if not kind:
        raise LedgerInputError("an outcome needs a kind, e.g. --kind 'ticket resolved'")
    if count < 1:
        raise LedgerInputError("an outcome's count is at least 1")
    if value_cny < 0:
        raise LedgerInputError("an outcome's value is CNY >= 0")
    if not (scenario or trace_id or task):
        raise LedgerInputError(
            "link the outcome to a scenario, trace or task (fields scenario / trace_id / task; "
            "CLI: --scenario, --trace, --task), or its cost cannot be found"
        )
    if trace_id and not (scenario and department_id is not None and user_id is not None):
        first = conn.execute(
            select(usage_events.c.scenario, usage_events.c.department_id, usage_events.c.user_id)
            .where(usage_events.c.trace_id == trace_id)
            .order_by(usage_events.c.id)
            .limit(1)
        ).first()
        if first is not None:
            scenario = scenario or first.scenario
            department_id = department_id if department_id is not None else first.department_id
            user_id = user_id if user_id is not None else first.user_id
    new_id = conn.execute(
        insert(outcomes)
        .values(
            at=at,
            day=day,
            kind=kind,
            count=count,
            value_cny=Decimal(value_cny),
            scenario=scenario,
            trace_id=trace_id,
            task=task,
            department_id=department_id,
            user_id=user_id,
            note=note,
            created_by=created_by,
        )
        .returning(outcomes.c.id)
    ).scalar_one()
    return _outcome(conn.execute(select(outcomes).where(outcomes.c.id == new_id)).one())


def list_outcomes(
    conn: Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    scenario: str | None = None,
    limit: int = 100,
) -> list[Outcome]:
    """Newest first; `start` inclusive, `end` exclusive (local days)."""
    query = select(outcomes).order_by(outcomes.c.id.desc()).limit(limit)
    if start is not None:
        query = query.where(outcomes.c.day >= start)
    if end is not None:
        query = query.where(outcomes.c.day < end)
    if scenario:
        query = query.where(outcomes.c.scenario == scenario)
    return [_outcome(r) for r in conn.execute(query)]
