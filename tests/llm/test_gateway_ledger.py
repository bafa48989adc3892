"""The gateway with the real Ledger (SQLite file): every attempt is a usage event with its CNY
cost, and hard budgets block or downgrade before any request is sent."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert

from tokenbase.config import LedgerSettings
from tokenbase.db import open_database
from tokenbase.db.schema import departments
from tokenbase.ledger import Ledger, attributed
from tokenbase.ledger.errors import BudgetExceeded
from tokenbase.llm.gateway import Gateway

from .conftest import SECRET, llm_settings
from .openai_server import Reply, Status, Stream, usage

HI = [{"role": "user", "content": "差旅住宿标准？"}]
PRICES = [
    {"model": "cloud/m1", "input": "4", "output": "16", "cached_input": "1"},
    {"model": "cloud/m2", "input": "2", "output": "8"},
]


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    db = open_database(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield Ledger(db.engine, LedgerSettings(prices=PRICES, budget_cache_s=0))
    db.engine.dispose()


@pytest.fixture
def gateway(server, ledger, monkeypatch) -> Gateway:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TB_TEST_KEY", SECRET)
    return Gateway(llm_settings(server.base_url), ledger)


def department(ledger: Ledger, name: str) -> int:
    with ledger.engine.begin() as conn:
        return int(
            conn.execute(
                insert(departments)
                .values(name=name, parent_id=None, created_at=datetime.now(UTC))
                .returning(departments.c.id)
            ).scalar_one()
        )


def test_each_attempt_is_a_costed_attributed_event(gateway, server, ledger):
    dept = department(ledger, "研发部")
    server.script("m1", Status(500), Status(500), Status(500))
    server.script("m2", Reply("答", usage=usage(1_000_000, 500_000)))
    with attributed(department_id=dept, scenario="kb.ask", trace_id="t-9"):
        result = gateway.chat(HI)
    events = sorted(ledger.events(limit=10), key=lambda e: e.attempt)
    assert [(e.model, e.status, e.error_class) for e in events] == [
        ("m1", "error", "server_error"),
        ("m1", "error", "server_error"),
        ("m1", "error", "server_error"),
        ("m2", "ok", ""),
    ]
    assert {e.request_id for e in events} == {result.request_id}
    assert events[-1].cost_cny == Decimal("6")  # 1M × ¥2 + 0.5M × ¥8
    assert all(e.cost_cny == 0 for e in events[:3])
    assert all(e.department_id == dept and e.trace_id == "t-9" for e in events)
    assert result.attempts[-1].event_id == events[-1].id


def test_streamed_call_without_usage_is_estimated_in_the_ledger(gateway, server, ledger):
    server.script("m1", Stream(["一线城市", "每晚500元"], usage=None))
    list(gateway.stream_chat(HI))
    [event] = ledger.events()
    assert event.estimated and event.completion_tokens > 0 and event.cost_cny > 0


def test_a_hard_budget_blocks_before_the_request(gateway, server, ledger):
    dept = department(ledger, "市场部")
    ledger.set_budget(scope_kind="department", scope_value=dept, hard_limit_cny="0.000001")
    with attributed(department_id=dept), pytest.raises(BudgetExceeded):
        gateway.chat(HI)
    assert server.chat_requests() == []
    [event] = ledger.events()
    assert (event.status, event.error_class, event.cost_cny) == ("blocked", "budget_blocked", 0)


def test_a_downgrade_budget_moves_the_call_to_the_cheaper_tier(gateway, server, ledger):
    dept = department(ledger, "客服部")
    ledger.set_budget(
        scope_kind="department",
        scope_value=dept,
        hard_limit_cny="0.000001",
        action="downgrade",
        downgrade_tier="cheap",
    )
    server.script("m3", Reply("本地模型回答"))
    with attributed(department_id=dept):
        result = gateway.chat(HI)
    assert (result.model, result.tier, result.downgraded_from) == ("m3", "cheap", "fast")
    statuses = sorted((e.attempt, e.model, e.status) for e in ledger.events())
    assert statuses == [(1, "m1", "blocked"), (2, "m3", "ok")]
