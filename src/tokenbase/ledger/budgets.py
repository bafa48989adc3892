"""Budgets: limits per department (and everything below it), scenario or user, per day or
month, enforced by reserve-then-settle.

Before a call, `reserve` holds its worst-case cost (prompt tokens x input price + max output x
output price) on one counter row per (budget, period) with a conditional UPDATE

    UPDATE budget_usage SET reserved = reserved + :x
     WHERE budget_id = :b AND period_start = :p AND spent + reserved + :x <= :hard

so the database, not a Python lock, decides who gets the last yuan: concurrent calls in any
number of processes or replicas cannot overshoot. All budgets of one call are held in one
transaction (rowcount 0 on any -> BudgetExceeded, nothing held). After the call, `settle`
releases the hold and adds the actual cost to `spent`. A reservation expires after
`ledger.reservation_ttl_s`; `sweep_expired` releases those a crashed process left behind.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, literal, select, update

from ..db.schema import (
    MONEY,
    budget_alerts,
    budget_reservations,
    budget_usage,
    budgets,
    departments,
)
from ..identity.clock import as_utc
from .attribution import Attribution
from .errors import BudgetExceeded, LedgerInputError, LedgerNotFound
from .events import dialect_insert
from .periods import PERIODS, period_start

SCOPES = ("department", "scenario", "user")
ACTIONS = ("block", "downgrade")
ZERO = Decimal("0")


@dataclass(frozen=True)
class Budget:
    id: int
    scope_kind: str  # department | scenario | user
    scope_value: str  # department id, scenario name or user id
    period: str  # daily | monthly
    hard_limit_cny: Decimal
    soft_pct: int
    action: str  # block | downgrade
    downgrade_tier: str
    active: bool
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope_kind": self.scope_kind,
            "scope_value": self.scope_value,
            "period": self.period,
            "hard_limit_cny": str(self.hard_limit_cny),
            "soft_pct": self.soft_pct,
            "action": self.action,
            "downgrade_tier": self.downgrade_tier,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Reservation:
    """Amounts held on budget counters for one call, until settled or expired."""

    id: int
    expires_at: datetime
    holds: tuple[tuple[int, date, Decimal], ...]  # (budget id, period start, amount)

    @property
    def amount_cny(self) -> Decimal:
        return max((h[2] for h in self.holds), default=ZERO)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.000001"))


def _budget(row: Any) -> Budget:
    data = dict(row._mapping)
    data["created_at"] = as_utc(data["created_at"])
    data["hard_limit_cny"] = _money(data["hard_limit_cny"])
    return Budget(**data)


# -- CRUD -------------------------------------------------------------------------------------
def set_budget(
    conn: Connection,
    *,
    scope_kind: str,
    scope_value: str,
    period: str,
    hard_limit_cny: Decimal,
    soft_pct: int = 80,
    action: str = "block",
    downgrade_tier: str = "",
    now: datetime,
) -> Budget:
    """Create the budget for this scope and period, or replace its limits (one budget per
    scope and period). Raises LedgerInputError for a bad value."""
    if scope_kind not in SCOPES:
        raise LedgerInputError(f"unknown budget scope {scope_kind!r}: use {', '.join(SCOPES)}")
    if period not in PERIODS:
        raise LedgerInputError(f"unknown budget period {period!r}: use daily or monthly")
    if action not in ACTIONS:
        raise LedgerInputError(f"unknown budget action {action!r}: use block or downgrade")
    if action == "downgrade" and not downgrade_tier:
        raise LedgerInputError("a downgrade budget needs --downgrade-tier (e.g. fast)")
    if hard_limit_cny <= 0:
        raise LedgerInputError("the hard limit must be a positive amount of CNY")
    if not 0 <= soft_pct <= 100:
        raise LedgerInputError("the soft limit is a percentage of the hard limit, 0-100")
    if not scope_value:
        raise LedgerInputError(f"a {scope_kind} budget needs the {scope_kind} it applies to")
    values = {
        "hard_limit_cny": Decimal(hard_limit_cny),
        "soft_pct": soft_pct,
        "action": action,
        "downgrade_tier": downgrade_tier if action == "downgrade" else "",
        "active": True,
    }
    key = (
        (budgets.c.scope_kind == scope_kind)
        & (budgets.c.scope_value == scope_value)
        & (budgets.c.period == period)
    )
    existing = conn.execute(select(budgets.c.id).where(key)).scalar()
    if existing is None:
        conn.execute(
            insert(budgets).values(
                scope_kind=scope_kind,
                scope_value=scope_value,
                period=period,
                created_at=now,
                **values,
            )
        )
    else:
        conn.execute(update(budgets).where(budgets.c.id == existing).values(**values))
    return _budget(conn.execute(select(budgets).where(key)).one())


def get_budget(conn: Connection, budget_id: int) -> Budget:
    row = conn.execute(select(budgets).where(budgets.c.id == budget_id)).first()
    if row is None:
        raise LedgerNotFound(f"no budget with id {budget_id}; `tokenbase budget ls` shows them")
    return _budget(row)


def list_budgets(conn: Connection) -> list[Budget]:
    return [_budget(r) for r in conn.execute(select(budgets).order_by(budgets.c.id))]


def delete_budget(conn: Connection, budget_id: int) -> None:
    get_budget(conn, budget_id)
    conn.execute(delete(budgets).where(budgets.c.id == budget_id))


def usage_for(conn: Connection, budget: Budget, day: date) -> tuple[Decimal, Decimal]:
    """(spent, reserved) of the budget's period containing `day`."""
    row = conn.execute(
        select(budget_usage.c.spent_cny, budget_usage.c.reserved_cny).where(
            budget_usage.c.budget_id == budget.id,
            budget_usage.c.period_start == period_start(budget.period, day),
        )
    ).first()
    return (_money(row[0]), _money(row[1])) if row else (_money(0), _money(0))


def list_alerts(conn: Connection, budget_id: int | None = None) -> list[dict[str, Any]]:
    query = select(budget_alerts).order_by(budget_alerts.c.id)
    if budget_id is not None:
        query = query.where(budget_alerts.c.budget_id == budget_id)
    return [
        {
            "budget_id": r.budget_id,
            "period_start": r.period_start.isoformat(),
            "kind": r.kind,
            "at": r.at.isoformat(),
            "spent_cny": str(_money(r.spent_cny)),
            "limit_cny": str(_money(r.limit_cny)),
        }
        for r in conn.execute(query)
    ]


# -- which budgets apply ----------------------------------------------------------------------
@dataclass
class ActiveBudgets:
    """Active budgets by scope, plus the department tree to find a department's ancestors."""

    by_scope: dict[tuple[str, str], list[Budget]] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.by_scope)

    @property
    def by_id(self) -> dict[int, Budget]:
        return {b.id: b for found in self.by_scope.values() for b in found}

    def matching(self, who: Attribution) -> list[Budget]:
        """Budgets of the caller's user, department and its ancestors, and scenario (by id)."""
        keys: list[tuple[str, str]] = []
        if who.user_id is not None:
            keys.append(("user", str(who.user_id)))
        dept, seen = who.department_id, set()
        while dept is not None and dept not in seen:  # a division budget covers its teams
            seen.add(dept)
            keys.append(("department", str(dept)))
            dept = self.parents.get(dept)
        if who.scenario:
            keys.append(("scenario", who.scenario))
        found = [b for key in keys for b in self.by_scope.get(key, ())]
        return sorted(found, key=lambda b: b.id)  # one lock order: no deadlocks


def load_active(conn: Connection) -> ActiveBudgets:
    active = ActiveBudgets()
    for row in conn.execute(select(budgets).where(budgets.c.active.is_(True))):
        b = _budget(row)
        active.by_scope.setdefault((b.scope_kind, b.scope_value), []).append(b)
    if active.by_scope:
        for dept_id, parent_id in conn.execute(select(departments.c.id, departments.c.parent_id)):
            active.parents[int(dept_id)] = parent_id
    return active


class BudgetCache:
    """Active budgets per process, reloaded after `ttl_s` (or at once after a change here),
    so a call with no budget in force costs no query."""

    def __init__(self, engine: Engine, ttl_s: float) -> None:
        self._engine = engine
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._value: ActiveBudgets | None = None
        self._loaded = 0.0

    def get(self) -> ActiveBudgets:
        value = self._value
        if value is not None and time.monotonic() - self._loaded < self._ttl:
            return value
        with self._lock:
            with self._engine.connect() as conn:
                self._value = load_active(conn)
            self._loaded = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        self._value = None


# -- reserve, settle, sweep -------------------------------------------------------------------
class _Statements:
    """The reserve/settle statements for one dialect, built once and executed with
    parameters (statement construction per call cost more than the statements themselves)."""

    def __init__(self, conn: Connection) -> None:
        u = budget_usage.c
        key = (u.budget_id == bindparam("b")) & (u.period_start == bindparam("p"))
        x = bindparam("x", type_=MONEY)
        # Create the counter row only while its budget exists: a budget another replica just
        # deleted (this one's cache is up to budget_cache_s old) must not fail the call.
        exists = select(budgets.c.id).where(budgets.c.id == bindparam("b")).exists()
        row = select(
            bindparam("b"), bindparam("p"), literal(ZERO, MONEY), literal(ZERO, MONEY)
        ).where(exists)
        self.counter = (
            dialect_insert(conn)(budget_usage)
            .from_select(["budget_id", "period_start", "spent_cny", "reserved_cny"], row)
            .on_conflict_do_nothing()
        )
        self.hold = (
            update(budget_usage)
            .where(key, u.spent_cny + u.reserved_cny + x <= bindparam("hard", type_=MONEY))
            .values(reserved_cny=u.reserved_cny + x)
        )
        self.hold_past_limit = (
            update(budget_usage).where(key).values(reserved_cny=u.reserved_cny + x)
        )
        self.release = update(budget_usage).where(key).values(reserved_cny=u.reserved_cny - x)
        self.spend = (
            update(budget_usage).where(key).values(spent_cny=u.spent_cny + x).returning(u.spent_cny)
        )
        self.reservation = insert(budget_reservations).returning(budget_reservations.c.id)
        self.forget = delete(budget_reservations).where(
            budget_reservations.c.id == bindparam("rid")
        )
        self.alert = dialect_insert(conn)(budget_alerts).on_conflict_do_nothing()


_BY_DIALECT: dict[str, _Statements] = {}


def _sql(conn: Connection) -> _Statements:
    name = conn.dialect.name
    if name not in _BY_DIALECT:
        _BY_DIALECT[name] = _Statements(conn)
    return _BY_DIALECT[name]


# Counter rows this process has created or seen, per engine: the next call skips the INSERT
# (one round trip less). A row that vanished shows up as rowcount 0 and is created again.
_COUNTERS: weakref.WeakKeyDictionary[Engine, set[tuple[int, date]]] = weakref.WeakKeyDictionary()


def _ensure_counter(conn: Connection, budget_id: int, start: date, *, force: bool = False) -> None:
    seen = _COUNTERS.setdefault(conn.engine, set())
    if (budget_id, start) in seen and not force:
        return
    conn.execute(_sql(conn).counter, {"b": budget_id, "p": start})
    if len(seen) > 100_000:
        seen.clear()
    seen.add((budget_id, start))


def _counter_exists(conn: Connection, budget_id: int, start: date) -> bool:
    u = budget_usage.c
    found = conn.execute(
        select(u.budget_id).where(u.budget_id == budget_id, u.period_start == start)
    ).first()
    return found is not None


def reserve(
    conn: Connection,
    matches: list[Budget],
    *,
    amount: Decimal,
    tier: str,
    day: date,
    now: datetime,
    ttl_s: float,
) -> Reservation:
    """Hold `amount` on every budget in `matches` (in the caller's transaction), or raise
    BudgetExceeded for the first one it would take past its hard limit."""
    sql = _sql(conn)
    holds: list[tuple[int, date, Decimal]] = []
    for b in matches:
        start = period_start(b.period, day)
        _ensure_counter(conn, b.id, start)
        params = {"b": b.id, "p": start, "x": amount, "hard": b.hard_limit_cny}
        allowed_past_limit = b.action == "downgrade" and tier == b.downgrade_tier
        statement = sql.hold_past_limit if allowed_past_limit else sql.hold
        result = conn.execute(statement, params)
        if result.rowcount == 0 and not _counter_exists(conn, b.id, start):
            _ensure_counter(conn, b.id, start, force=True)
            result = conn.execute(statement, params)
            if result.rowcount == 0 and not _counter_exists(conn, b.id, start):
                continue  # the budget was deleted since this process cached it
        if result.rowcount == 0:
            raise _exceeded(conn, b, start, amount)
        holds.append((b.id, start, amount))
    expires = now + timedelta(seconds=ttl_s)
    stored = [[bid, start.isoformat(), str(amt)] for bid, start, amt in holds]
    reservation_id = conn.execute(
        sql.reservation, {"created_at": now, "expires_at": expires, "amounts": stored}
    ).scalar_one()
    return Reservation(int(reservation_id), expires, tuple(holds))


def _exceeded(conn: Connection, b: Budget, start: date, amount: Decimal) -> BudgetExceeded:
    spent, reserved = conn.execute(
        select(budget_usage.c.spent_cny, budget_usage.c.reserved_cny).where(
            budget_usage.c.budget_id == b.id, budget_usage.c.period_start == start
        )
    ).one()
    what = f"{b.scope_kind} {b.scope_value}"
    message = (
        f"{b.period} budget {b.id} of {what} would pass its hard limit "
        f"¥{b.hard_limit_cny:.2f} (spent ¥{_money(spent):.2f}, reserved "
        f"¥{_money(reserved):.2f}, this call up to ¥{amount:.4f}) — 预算已用尽"
    )
    if b.action == "downgrade":
        message += f"; use tier {b.downgrade_tier!r}"
    return BudgetExceeded(message, budget_id=b.id, action=b.action, downgrade_tier=b.downgrade_tier)


def _release(conn: Connection, holds: list[tuple[int, date, Decimal]]) -> None:
    for budget_id, start, amount in holds:
        conn.execute(_sql(conn).release, {"b": budget_id, "p": start, "x": amount})


def _holds(stored: Any) -> list[tuple[int, date, Decimal]]:
    if isinstance(stored, str):
        stored = json.loads(stored)
    return [(int(b), date.fromisoformat(s), Decimal(a)) for b, s, a in stored]


def settle(
    conn: Connection,
    *,
    reservation: Reservation | None,
    matches: list[Budget],
    limits: Mapping[int, Budget],
    cost: Decimal,
    day: date,
    now: datetime,
) -> None:
    """Release the reservation's hold (unless the sweep already did) and add `cost` to the
    spent of each budget charged; note a soft/hard limit crossing once per budget per period
    (`limits`: the active budgets by id). Without a reservation, `matches` (the budgets in
    force for the call) are charged."""
    sql = _sql(conn)
    if reservation is not None:
        gone = conn.execute(sql.forget, {"rid": reservation.id})
        if gone.rowcount:
            _release(conn, sorted(reservation.holds))
        charged = [(bid, start) for bid, start, _ in sorted(reservation.holds)]
    else:
        charged = [(b.id, period_start(b.period, day)) for b in matches]
    if cost == 0 or not charged:
        return
    for budget_id, start in charged:
        if reservation is None:
            _ensure_counter(conn, budget_id, start)
        spent = conn.execute(sql.spend, {"b": budget_id, "p": start, "x": cost}).scalar()
        budget = limits.get(budget_id)
        if spent is not None and budget is not None:
            _note_crossings(conn, budget, start, before=spent - cost, after=spent, now=now)


def _note_crossings(
    conn: Connection, b: Budget, start: date, *, before: Decimal, after: Decimal, now: datetime
) -> None:
    """An alert row when this charge took spent across the soft or the hard limit (ON
    CONFLICT DO NOTHING keeps it to one per budget, period and kind across replicas)."""
    thresholds = [("hard", b.hard_limit_cny)]
    if b.soft_pct:
        thresholds.insert(0, ("soft", b.hard_limit_cny * b.soft_pct / 100))
    for kind, limit in thresholds:
        if before < limit <= after:
            conn.execute(
                _sql(conn).alert,
                {
                    "budget_id": b.id,
                    "period_start": start,
                    "kind": kind,
                    "at": now,
                    "spent_cny": after,
                    "limit_cny": limit,
                },
            )


def sweep_expired(conn: Connection, now: datetime, limit: int = 500) -> int:
    """Release reservations that expired unsettled (their process died). Returns how many."""
    rows = conn.execute(
        select(budget_reservations.c.id, budget_reservations.c.amounts)
        .where(budget_reservations.c.expires_at < now)
        .order_by(budget_reservations.c.id)
        .limit(limit)
    ).all()
    released = 0
    for reservation_id, stored in rows:
        gone = conn.execute(
            delete(budget_reservations).where(budget_reservations.c.id == reservation_id)
        )
        if gone.rowcount:  # a concurrent settle or sweep may have taken it first
            _release(conn, sorted(_holds(stored)))
            released += 1
    return released
