"""Concurrent reservations never overshoot a hard limit: many threads, and two processes,
against one budget on SQLite and PostgreSQL (the database arbitrates, not a Python lock)."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from decimal import Decimal

from tokenbase.config import LedgerSettings
from tokenbase.db import open_database
from tokenbase.ledger import Attribution, BudgetExceeded, Ledger

from .conftest import TEST_PRICES, call

WHO = Attribution(user_id=1, department_id=1, scenario="load")
HOLD = {
    "provider": "acme",
    "model": "big",
    "deployment": "public",
    "tier": "standard",
    "prompt_tokens": 1000,
    "max_output_tokens": 500,  # 0.02 CNY each
    "attribution": WHO,
}
LIMIT = Decimal("1.00")  # room for exactly 50 holds


def _attempts(ledger: Ledger, n: int, settle_every: int = 0) -> int:
    won = 0
    for i in range(n):
        try:
            held = ledger.reserve(**HOLD)
        except BudgetExceeded:
            continue
        won += 1
        if settle_every and i % settle_every == 0:
            ledger.record(call(prompt=1000, completion=100), WHO, held)  # costs 0.012
    return won


def _usage(ledger: Ledger) -> tuple[Decimal, Decimal]:
    [budget] = ledger.budgets()
    return Decimal(budget["spent_cny"]), Decimal(budget["reserved_cny"])


def test_many_threads_cannot_overshoot(ledger):  # type: ignore[no-untyped-def]
    ledger.set_budget(scope_kind="department", scope_value=1, hard_limit_cny=LIMIT)
    start = threading.Barrier(12)

    def worker(_: int) -> int:
        start.wait()
        return _attempts(ledger, 10)

    with ThreadPoolExecutor(12) as pool:
        won = sum(pool.map(worker, range(12)))
    spent, reserved = _usage(ledger)
    assert won == 50 and reserved == Decimal("1.00") and spent == 0


def test_threads_reserving_and_settling_stay_under_the_limit(ledger):  # type: ignore[no-untyped-def]
    ledger.set_budget(scope_kind="user", scope_value=1, hard_limit_cny=LIMIT)
    with ThreadPoolExecutor(8) as pool:
        won = sum(pool.map(lambda _: _attempts(ledger, 15, settle_every=2), range(8)))
    spent, reserved = _usage(ledger)
    assert won >= 50 and spent + reserved <= LIMIT
    assert spent > 0


def _process_worker(url: str, n: int) -> int:
    db = open_database(url, upgrade=False)
    ledger = Ledger(db.engine, LedgerSettings(prices=TEST_PRICES, budget_cache_s=0))
    with ThreadPoolExecutor(3) as pool:
        won = sum(pool.map(lambda _: _attempts(ledger, n), range(3)))
    db.engine.dispose()
    return won


def test_two_processes_cannot_overshoot(ledger, database_url):  # type: ignore[no-untyped-def]
    ledger.set_budget(scope_kind="scenario", scope_value="load", hard_limit_cny=LIMIT)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        won = sum(pool.map(_process_worker, [database_url] * 2, [15, 15]))
    spent, reserved = _usage(ledger)
    assert won == 50 and reserved == LIMIT and spent == 0
