"""Ledger fixtures: a Ledger on a fresh database of each backend, with a clock the test moves,
and helpers to make call records and departments."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from tokenbase.config import LedgerSettings
from tokenbase.db import open_database
from tokenbase.db.schema import departments
from tokenbase.ledger import CallRecord, Ledger

# Contract prices used by most tests: simple numbers, so expected costs are easy to check.
TEST_PRICES = [
    {"model": "acme/big", "input": "10", "output": "20", "cached_input": "1"},
    {"model": "acme/small", "input": "1", "output": "2"},
]


class Clock:
    """A settable UTC clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def call(
    model: str = "big",
    *,
    provider: str = "acme",
    at: datetime | None = None,
    prompt: int = 1000,
    completion: int = 500,
    cached: int = 0,
    deployment: str = "public",
    **fields: Any,
) -> CallRecord:
    return CallRecord(
        kind=fields.pop("kind", "chat"),
        provider=provider,
        model=model,
        deployment=deployment,  # type: ignore[arg-type]
        started_at=at or datetime(2026, 11, 10, 4, 0, tzinfo=UTC),
        request_id=fields.pop("request_id", "req"),
        prompt_tokens=prompt,
        completion_tokens=completion,
        cached_tokens=cached,
        **fields,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 10, 4, 0, tzinfo=UTC))  # 12:00 in Beijing


@pytest.fixture
def make_ledger(database_url: str, clock: Clock) -> Iterator[Callable[..., Ledger]]:
    """`make_ledger(**ledger_settings)` -> a Ledger on this test's database."""
    db = open_database(database_url)

    def make(**overrides: Any) -> Ledger:
        values = {"prices": TEST_PRICES, "budget_cache_s": 0, **overrides}
        return Ledger(db.engine, LedgerSettings(**values), clock=clock)

    yield make
    db.engine.dispose()


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    return make_ledger()


def add_department(ledger: Ledger, name: str, parent_id: int | None = None) -> int:
    with ledger.engine.begin() as conn:
        return int(
            conn.execute(
                insert(departments)
                .values(name=name, parent_id=parent_id, created_at=datetime.now(UTC))
                .returning(departments.c.id)
            ).scalar_one()
        )


def money(value: str) -> Decimal:
    return Decimal(value)
