"""The ledger page against a served instance with a priced chat model on a scripted server:
charts render, an outcome recorded by hand feeds ROI, a new model call shows after a refresh,
the COGS CSV downloads, and a member sees only their department's spend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tokenbase.identity.departments import create_department
from tokenbase.identity.users import update_user
from tokenbase.kb.platform import Platform
from tokenbase.ledger import Attribution, CallRecord
from tokenbase.web.pages.ledger_format import cny, percent, tokens

from ..llm.openai_server import Reply, ScriptedServer, usage
from .conftest import Served, login, shot, start_server, stop_server

expect = pytest.importorskip("playwright.sync_api").expect
PRICE = {"model": "cloud/m1", "input": 2, "output": 8}  # CNY per million tokens
TASK = {"title": "给王总回电话", "due": None, "owner": None, "priority": "高"}


def _call(platform: Platform, user: int, dept: int, scenario: str, prompt: int, out: int) -> None:
    platform.ledger.record(
        CallRecord(
            kind="chat",
            provider="cloud",
            model="m1",
            deployment="public",
            started_at=datetime.now(UTC),
            request_id=f"seed-{user}-{scenario}-{prompt}",
            prompt_tokens=prompt,
            completion_tokens=out,
        ),
        Attribution(user_id=user, department_id=dept, scenario=scenario),
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    def prepare(platform: Platform) -> None:
        with platform.db.engine.begin() as conn:
            sales = create_department(conn, "销售部")
            east = create_department(conn, "华东", sales.id)
            finance = create_department(conn, "财务部")
            update_user(conn, 2, department_id=sales.id)  # alice
            update_user(conn, 3, department_id=finance.id)  # bob
        platform.ledger.set_budget(scope_kind="scenario", scope_value="finance", hard_limit_cny=10)
        platform.ledger.set_budget(scope_kind="department", scope_value=sales.id, hard_limit_cny=5)
        for _ in range(3):  # ¥4.00 each: the finance budget passes its alert line and its limit
            _call(platform, 3, finance.id, "finance", 1_000_000, 250_000)
        _call(platform, 2, east.id, "proposal", 100_000, 50_000)  # ¥0.60, below alice's dept

    with ScriptedServer() as llm:
        llm.default["m1"] = Reply(json.dumps(TASK, ensure_ascii=False), usage(120_000, 30_000))
        process, served = start_server(
            tmp_path_factory.mktemp("ledger"),
            prepare=prepare,
            llm={
                "providers": [
                    {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}
                ],
                "tiers": {"standard": ["cloud/m1"]},
                "max_retries": 0,
            },
            ledger={"prices": [PRICE], "seed_prices": False},
        )
        yield served
        stop_server(process)


def test_formatting() -> None:
    assert [cny("0"), cny("0.021300"), cny("0.5"), cny("1234.5"), cny("0.00001")] == [
        "¥0.00",
        "¥0.0213",
        "¥0.50",
        "¥1,234.50",
        "<¥0.0001",
    ]
    assert (tokens(1234567), percent("0.9876"), percent(None)) == ("1,234,567", "98.8%", "—")
    assert cny(Decimal("12.6")) == "¥12.60"


def test_root_dashboards_outcome_refresh_and_export(page: Any, served: Served) -> None:
    login(page, served, "root", "/ui/ledger")
    for chart in ("day", "department", "scenario", "model"):
        page.locator(f"[data-testid=chart-{chart}] canvas").first.wait_for()
    total = page.get_by_test_id("ledger-total-cost")
    assert total.inner_text() == "¥12.60"
    assert page.get_by_test_id("ledger-scope").inner_text() == "全公司的 AI 花费"
    assert "财务部" in page.get_by_test_id("ledger-details").inner_text()
    budgets = page.get_by_test_id("budget")
    assert budgets.count() == 2 and "¥12.00 / ¥10.00" in budgets.all_inner_texts()[0]
    page.get_by_text("达到上限").first.wait_for()  # the finance budget's limit crossing

    # An outcome by hand: ROI per scenario follows.
    page.get_by_test_id("outcome-kind").fill("工单解决")
    page.get_by_test_id("outcome-count").fill("3")
    page.get_by_test_id("outcome-value").fill("300")
    page.get_by_test_id("outcome-scenario").fill("finance")
    page.get_by_test_id("outcome-save").click()
    page.get_by_text("已记录：工单解决 × 3").wait_for()
    page.get_by_test_id("outcome").filter(has_text="工单解决 × 3").wait_for()
    roi = page.get_by_test_id("ledger-roi")
    roi.get_by_text("25.0×").wait_for()  # ¥300 of outcomes for ¥12 of spend
    assert "¥4.00" in roi.inner_text()  # cost per outcome

    # A model call made elsewhere (alice, through the API) shows after a refresh.
    with served.api("alice") as api:
        made = api.post("/voice/intents", json={"text": "提醒我给王总回电话", "schema": "task"})
        assert made.status_code == 201 and made.json()["extracted_by"] == "model", made.text
    page.get_by_test_id("ledger-refresh").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=ledger-total-cost]').innerText === '¥13.08'"
    )
    page.get_by_test_id("ledger-detail-by").get_by_text("场景").click()
    page.get_by_test_id("ledger-details").get_by_text("voice").wait_for()
    assert "cloud/m1" in page.get_by_test_id("ledger-quality").inner_text()

    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download = info.value
    month = datetime.now().strftime("%Y-%m")
    assert download.suggested_filename == f"tokenbase-cost-{month}.csv"
    text = open(download.path(), encoding="utf-8-sig").read()
    assert text.startswith("month,department,cost_centre") and "销售部/华东" in text
    page.evaluate("window.scrollTo(0, 0)")  # the fixed header at the top of the picture
    page.wait_for_timeout(500)  # the charts' animations
    shot(page, "ledger")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.locator("[data-testid=chart-day] canvas").first.wait_for()
    page.wait_for_timeout(800)
    shot(page, "ledger-mobile")


def test_a_member_sees_her_departments_spend_only(page: Any, served: Served) -> None:
    login(page, served, "alice", "/ui/ledger")
    page.locator("[data-testid=chart-day] canvas").first.wait_for()
    assert "销售部 及其下级部门" in page.get_by_test_id("ledger-scope").inner_text()
    details = page.get_by_test_id("ledger-details").inner_text()
    assert "销售部/华东" in details and "财务部" not in details
    assert page.get_by_test_id("ledger-total-cost").inner_text() in ("¥0.60", "¥1.08")
    assert page.get_by_test_id("budget").count() == 0  # budgets, ROI, export: admins only
    assert page.get_by_test_id("export-csv").count() == 0
    page.get_by_test_id("ledger-period").get_by_text("近30天").click()
    page.wait_for_timeout(300)
    assert "财务部" not in page.get_by_test_id("ledger-details").inner_text()
    page.get_by_test_id("ledger-period").get_by_text("自定义").click()
    expect(page.get_by_test_id("ledger-from")).not_to_have_value("")  # the last week, first
    page.get_by_test_id("ledger-from").fill("2020-01-01")
    page.get_by_test_id("ledger-to").fill("2020-01-31")
    page.wait_for_function(
        "document.querySelector('[data-testid=ledger-total-cost]').innerText === '¥0.00'"
    )
    page.get_by_text("这段时间还没有模型调用").wait_for()
    page.get_by_test_id("lang-switch").click()
    page.get_by_text("Spend per day").wait_for()
    page.wait_for_timeout(500)  # the charts' animations
    shot(page, "ledger-en")
