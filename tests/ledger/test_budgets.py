"""Budgets: hard block, downgrade allowance, soft alert once, daily vs monthly periods,
department ancestors, expired-reservation sweep."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokenbase.ledger import Attribution, BudgetExceeded, LedgerInputError

from .conftest import add_department, call

# acme/big: 10 CNY input, 20 output per million -> 1000 prompt + 500 max output = 0.02 CNY
HOLD = {"provider": "acme", "model": "big", "deployment": "public", "prompt_tokens": 1000}


def reserve(ledger, who: Attribution, tier: str = "standard", max_output: int = 500):  # type: ignore[no-untyped-def]
    return ledger.reserve(**HOLD, tier=tier, max_output_tokens=max_output, attribution=who)


def test_no_budget_no_reservation(ledger):  # type: ignore[no-untyped-def]
    assert reserve(ledger, Attribution(user_id=1)) is None
    ledger.set_budget(scope_kind="scenario", scope_value="other", hard_limit_cny=1)
    assert reserve(ledger, Attribution(user_id=1, scenario="kb.ask")) is None


def test_hard_limit_blocks_and_settling_frees_the_hold(ledger):  # type: ignore[no-untyped-def]
    ledger.set_budget(scope_kind="user", scope_value=7, hard_limit_cny="0.055")
    who = Attribution(user_id=7)
    first, second = reserve(ledger, who), reserve(ledger, who)  # 0.02 + 0.02 held
    with pytest.raises(BudgetExceeded) as info:
        reserve(ledger, who)  # 0.06 > 0.055
    assert info.value.action == "block" and "hard limit" in str(info.value)
    # The call used less than it reserved: 1000 prompt + 100 completion = 0.012.
    event = ledger.record(call(prompt=1000, completion=100), who, first)
    assert event.cost_cny == Decimal("0.012000")
    [budget] = ledger.budgets()
    assert Decimal(budget["spent_cny"]) == Decimal("0.012")
    assert Decimal(budget["reserved_cny"]) == Decimal("0.02")
    assert reserve(ledger, who) is not None  # 0.012 + 0.02 + 0.02 <= 0.055
    ledger.release(second)
    [budget] = ledger.budgets()
    assert Decimal(budget["reserved_cny"]) == Decimal("0.02")


def test_downgrade_budget_lets_its_cheaper_tier_through(ledger):  # type: ignore[no-untyped-def]
    ledger.set_budget(
        scope_kind="scenario",
        scope_value="kb.ask",
        hard_limit_cny="0.03",
        action="downgrade",
        downgrade_tier="fast",
    )
    who = Attribution(scenario="kb.ask")
    assert reserve(ledger, who) is not None
    with pytest.raises(BudgetExceeded) as info:
        reserve(ledger, who)
    assert (info.value.action, info.value.downgrade_tier) == ("downgrade", "fast")
    assert reserve(ledger, who, tier="fast") is not None  # past the limit, allowed
    with pytest.raises(LedgerInputError, match="downgrade-tier"):
        ledger.set_budget(
            scope_kind="scenario", scope_value="x", hard_limit_cny=1, action="downgrade"
        )


def test_soft_alert_is_noted_once_per_period(ledger):  # type: ignore[no-untyped-def]
    budget = ledger.set_budget(scope_kind="user", scope_value=1, hard_limit_cny="0.05", soft_pct=50)
    who = Attribution(user_id=1)
    for _ in range(4):  # 0.02 each: 0.02, 0.04 (soft crossed), 0.06 (hard crossed), 0.08
        ledger.record(call(), who)  # charged without a reservation (e.g. embeddings)
    alerts = ledger.alerts(budget.id)
    assert [a["kind"] for a in alerts] == ["soft", "hard"]
    assert Decimal(alerts[0]["spent_cny"]) == Decimal("0.04")


def test_daily_and_monthly_periods_roll_over_at_local_midnight(ledger, clock):  # type: ignore[no-untyped-def]
    clock.now = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 on 30 Nov in Beijing
    ledger.set_budget(scope_kind="user", scope_value=1, period="daily", hard_limit_cny="0.02")
    ledger.set_budget(scope_kind="user", scope_value=2, period="monthly", hard_limit_cny="0.02")
    day_user, month_user = Attribution(user_id=1), Attribution(user_id=2)
    for who in (day_user, month_user):
        reserve(ledger, who)
        with pytest.raises(BudgetExceeded):
            reserve(ledger, who)
    clock.advance(minutes=45)  # 00:15 on 1 Dec in Beijing: new day and new month
    assert reserve(ledger, day_user) is not None
    assert reserve(ledger, month_user) is not None
    clock.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 2 Dec: new day, same month
    assert reserve(ledger, day_user) is not None
    with pytest.raises(BudgetExceeded):
        reserve(ledger, month_user)


def test_a_division_budget_covers_its_teams(ledger):  # type: ignore[no-untyped-def]
    division = add_department(ledger, "研发中心")
    team = add_department(ledger, "搜索组", division)
    ledger.set_budget(scope_kind="department", scope_value=division, hard_limit_cny="0.03")
    who = Attribution(department_id=team, user_id=3)
    held = reserve(ledger, who)
    assert held is not None and len(held.holds) == 1
    with pytest.raises(BudgetExceeded):
        reserve(ledger, who)
    # Spend without a reservation (an embedding call) still counts against the division.
    ledger.record(call(prompt=1000, completion=0), Attribution(department_id=team))
    [budget] = ledger.budgets()
    assert Decimal(budget["spent_cny"]) == Decimal("0.01")


def test_expired_reservations_are_swept_and_never_released_twice(make_ledger, clock):  # type: ignore[no-untyped-def]
    ledger = make_ledger(reservation_ttl_s=60)
    ledger.set_budget(scope_kind="user", scope_value=1, hard_limit_cny="0.03")
    who = Attribution(user_id=1)
    held = reserve(ledger, who)  # a process that dies before it settles
    with pytest.raises(BudgetExceeded):
        reserve(ledger, who)
    clock.advance(seconds=30)
    assert ledger.sweep() == 0  # not expired yet
    clock.advance(seconds=31)
    assert ledger.sweep() == 1
    [budget] = ledger.budgets()
    assert Decimal(budget["reserved_cny"]) == 0
    # A late settle of the swept reservation charges the cost but releases nothing again.
    ledger.record(call(prompt=1000, completion=0), who, held)
    [budget] = ledger.budgets()
    assert (Decimal(budget["spent_cny"]), Decimal(budget["reserved_cny"])) == (
        Decimal("0.01"),
        0,
    )


def test_bad_budget_input_names_the_fix(ledger):  # type: ignore[no-untyped-def]
    with pytest.raises(LedgerInputError, match="daily or monthly"):
        ledger.set_budget(scope_kind="user", scope_value=1, period="weekly", hard_limit_cny=1)
    with pytest.raises(LedgerInputError, match="positive"):
        ledger.set_budget(scope_kind="user", scope_value=1, hard_limit_cny=0)
    with pytest.raises(LedgerInputError, match="department, scenario, user"):
        ledger.set_budget(scope_kind="team", scope_value=1, hard_limit_cny=1)


def test_a_budget_deleted_by_another_replica_never_fails_a_call(make_ledger):  # type: ignore[no-untyped-def]
    stale, admin = make_ledger(budget_cache_s=3600), make_ledger()
    budget = admin.set_budget(scope_kind="user", scope_value=1, hard_limit_cny="0.03")
    who = Attribution(user_id=1)
    assert reserve(stale, who) is not None  # caches the budget and its counter row
    admin.delete_budget(budget.id)
    held = reserve(stale, who)  # still cached here, gone in the database
    assert held is not None and held.holds == ()
    stale.record(call(), who, held)
    stale.record(call(), who)  # charged to the cached (deleted) budget: skipped, not an error
    assert admin.budgets() == [] and len(admin.events()) == 2
