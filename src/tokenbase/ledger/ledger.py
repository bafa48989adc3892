"""`Ledger`: the one object the gateway, CLI and API use to meter, budget and report.

    ledger = platform.ledger
    held = ledger.reserve(provider="deepseek", model="deepseek-chat", deployment="public",
                          tier="standard", prompt_tokens=900, max_output_tokens=1024,
                          attribution=current_attribution())      # may raise BudgetExceeded
    event = ledger.record(call_record, current_attribution(), held)  # one transaction
    ledger.report("department", month="2026-11")

Each job lives in its own module (prices, events, budgets, outcomes, reports); this class
holds the engine, settings, price book and budget cache, and owns the transactions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from ..config import LedgerSettings
from ..identity.clock import utcnow
from . import budgets as budget_store
from . import events as event_store
from . import outcomes as outcome_store
from . import reports
from .attribution import Attribution
from .budgets import Budget, BudgetCache, Reservation
from .calls import CallRecord
from .errors import LedgerInputError
from .events import UsageEvent
from .outcomes import Outcome
from .periods import local_day, parse_day, parse_month, zone
from .prices import PriceBook, PriceEntry


class Ledger:
    """Usage events, budgets, outcomes and reports on one database."""

    def __init__(
        self,
        engine: Engine,
        settings: LedgerSettings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings or LedgerSettings()
        self.tz = zone(self.settings.timezone)
        self.prices = PriceBook.from_settings(self.settings)
        self._clock = clock
        self._budgets = BudgetCache(engine, self.settings.budget_cache_s)
        self._sweep_every = max(self.settings.reservation_ttl_s / 4, 1.0)
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()

    def today(self) -> date:
        return local_day(self._clock(), self.tz)

    # -- metering (the gateway's two calls) ------------------------------------------------
    def reserve(
        self,
        *,
        provider: str,
        model: str,
        deployment: str,
        tier: str,
        prompt_tokens: int,
        max_output_tokens: int,
        attribution: Attribution,
    ) -> Reservation | None:
        """Hold prompt_tokens x input price + max_output_tokens x output price (CNY) against
        every budget in force for `attribution` this day/month, in one transaction.

        Returns None, without touching the database, when no budget applies. Raises
        BudgetExceeded when a hard limit would be passed (a "downgrade" budget lets calls at
        its downgrade tier through)."""
        active = self._budgets.get()
        if not active:
            return None
        matches = active.matching(attribution)
        if not matches:
            return None
        now = self._clock()
        day = local_day(now, self.tz)
        amount = self.prices.price(
            provider=provider,
            model=model,
            deployment=deployment,
            day=day,
            prompt_tokens=prompt_tokens,
            completion_tokens=max_output_tokens,
        ).cost_cny
        self._maybe_sweep(now)
        with self.engine.begin() as conn:
            return budget_store.reserve(
                conn,
                matches,
                amount=amount,
                tier=tier,
                day=day,
                now=now,
                ttl_s=self.settings.reservation_ttl_s,
            )

    def record(
        self, call: CallRecord, attribution: Attribution, reservation: Reservation | None = None
    ) -> UsageEvent:
        """Write one usage event, costed from the price book on the call's own day, in ONE
        transaction with its rollup row and the budget settlement (release the hold, add the
        actual cost to each budget's spent, note soft/hard limit crossings once per period)."""
        day = local_day(call.started_at, self.tz)
        priced = self.prices.price(
            provider=call.provider,
            model=call.model,
            deployment=call.deployment,
            day=day,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            cached_tokens=call.cached_tokens,
        )
        row = event_store.event_row(
            call,
            attribution,
            day=day,
            cost_cny=priced.cost_cny,
            priced=priced.priced,
            price_ref=priced.ref,
        )
        matches: list[Budget] = []
        active = self._budgets.get() if (reservation is not None or priced.cost_cny) else None
        if reservation is None and active:
            matches = active.matching(attribution)
        with self.engine.begin() as conn:
            event_id = event_store.insert_event(conn, row)
            if reservation is not None or matches:
                budget_store.settle(
                    conn,
                    reservation=reservation,
                    matches=matches,
                    limits=active.by_id if active else {},
                    cost=priced.cost_cny,
                    day=day,
                    now=self._clock(),
                )
        fields = UsageEvent.__dataclass_fields__
        return UsageEvent(id=event_id, **{k: v for k, v in row.items() if k in fields})

    def release(self, reservation: Reservation) -> None:
        """Give back a hold for a call that was abandoned before any attempt was recorded."""
        with self.engine.begin() as conn:
            budget_store.settle(
                conn,
                reservation=reservation,
                matches=[],
                limits={},
                cost=Decimal(0),
                day=self.today(),
                now=self._clock(),
            )

    def sweep(self) -> int:
        """Release reservations that expired unsettled; returns how many."""
        with self.engine.begin() as conn:
            return budget_store.sweep_expired(conn, self._clock())

    def _maybe_sweep(self, now: datetime) -> None:
        if time.monotonic() - self._last_sweep < self._sweep_every:
            return
        with self._sweep_lock:
            if time.monotonic() - self._last_sweep < self._sweep_every:
                return
            self._last_sweep = time.monotonic()
        with self.engine.begin() as conn:
            budget_store.sweep_expired(conn, now)

    # -- budgets ---------------------------------------------------------------------------
    def set_budget(
        self,
        *,
        scope_kind: str,
        scope_value: str | int,
        period: str = "monthly",
        hard_limit_cny: Decimal | int | str,
        soft_pct: int = 80,
        action: str = "block",
        downgrade_tier: str = "",
    ) -> Budget:
        """Create or replace the budget of a scope and period. Raises LedgerInputError."""
        try:
            hard = Decimal(str(hard_limit_cny))
        except ArithmeticError as exc:
            raise LedgerInputError(f"invalid hard limit {hard_limit_cny!r}: use CNY") from exc
        with self.engine.begin() as conn:
            budget = budget_store.set_budget(
                conn,
                scope_kind=scope_kind,
                scope_value=str(scope_value),
                period=period,
                hard_limit_cny=hard,
                soft_pct=soft_pct,
                action=action,
                downgrade_tier=downgrade_tier,
                now=self._clock(),
            )
        self._budgets.invalidate()
        return budget

    def budgets(self) -> list[dict[str, Any]]:
        """Every budget with the spend and holds of its current period."""
        today = self.today()
        out = []
        with self.engine.connect() as conn:
            for b in budget_store.list_budgets(conn):
                spent, reserved = budget_store.usage_for(conn, b, today)
                out.append({**b.to_dict(), "spent_cny": str(spent), "reserved_cny": str(reserved)})
        return out

    def delete_budget(self, budget_id: int) -> None:
        """Raises LedgerNotFound."""
        with self.engine.begin() as conn:
            budget_store.delete_budget(conn, budget_id)
        self._budgets.invalidate()

    def alerts(self, budget_id: int | None = None) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return budget_store.list_alerts(conn, budget_id)

    # -- outcomes --------------------------------------------------------------------------
    def record_outcome(self, *, kind: str, created_by: str = "", **fields: Any) -> Outcome:
        """Store a business outcome (see outcomes.record_outcome for the fields)."""
        now = self._clock()
        value = fields.pop("value_cny", Decimal(0))
        try:
            value = Decimal(str(value))
        except ArithmeticError as exc:
            raise LedgerInputError(f"invalid outcome value {value!r}: use CNY") from exc
        with self.engine.begin() as conn:
            return outcome_store.record_outcome(
                conn,
                kind=kind,
                value_cny=value,
                created_by=created_by,
                at=now,
                day=local_day(now, self.tz),
                **fields,
            )

    def outcomes(self, *, month: str | None = None, limit: int = 100) -> list[Outcome]:
        start, end = parse_month(month) if month else (None, None)
        with self.engine.connect() as conn:
            return outcome_store.list_outcomes(conn, start=start, end=end, limit=limit)

    # -- reports ---------------------------------------------------------------------------
    def period(
        self, month: str | None = None, start: str | None = None, end: str | None = None
    ) -> tuple[date, date]:
        """A month ('2026-11'), or a date range (`end` inclusive), or this month."""
        if start or end:
            if not (start and end):
                raise LedgerInputError("give both --from and --to (YYYY-MM-DD), or --month")
            first, last = parse_day(start), parse_day(end)
            if last < first:
                raise LedgerInputError("--to is before --from")
            return first, date.fromordinal(last.toordinal() + 1)
        return parse_month(month or self.today().strftime("%Y-%m"))

    def report(
        self,
        by: str,
        *,
        month: str | None = None,
        department_ids: Collection[int] | None = None,
        user_id: int | None = None,
        **range_: str,
    ) -> reports.SpendReport:
        """Spend by `by` over a period; `department_ids` / `user_id` narrow it (see
        reports.spend)."""
        start, end = self.period(month, **range_)
        with self.engine.connect() as conn:
            return reports.spend(
                conn, by, start, end, department_ids=department_ids, user_id=user_id
            )

    def roi(self, *, month: str | None = None, **range_: str) -> list[dict[str, Any]]:
        start, end = self.period(month, **range_)
        with self.engine.connect() as conn:
            return reports.roi(conn, start, end)

    def quality(
        self, *, month: str | None = None, by: str = "model", **range_: str
    ) -> list[dict[str, Any]]:
        """Per model (availability, format errors, latency, cost per call), or with
        by="prompt" format-error rates per prompt and model."""
        if by not in ("model", "prompt"):
            raise LedgerInputError(f"quality by {by!r}: use 'model' or 'prompt'")
        start, end = self.period(month, **range_)
        with self.engine.connect() as conn:
            if by == "prompt":
                return reports.format_by_prompt(conn, start, end)
            return reports.quality(conn, start, end)

    def export_csv(self, month: str) -> str:
        start, end = parse_month(month)
        with self.engine.connect() as conn:
            return reports.export_csv(conn, month, start, end)

    def events(self, *, limit: int = 50, **filters: Any) -> list[UsageEvent]:
        with self.engine.connect() as conn:
            return event_store.list_events(conn, limit=limit, **filters)

    def rebuild_rollups(self, since: date | None = None) -> int:
        """Recompute the daily rollups from the events; returns rollup rows written."""
        with self.engine.begin() as conn:
            return event_store.rebuild_rollups(conn, since)

    def price_list(self, day: date | None = None) -> list[PriceEntry]:
        return self.prices.entries(day)
