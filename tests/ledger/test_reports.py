"""Reports against hand-computed figures: spend by each dimension, ROI and cost per outcome,
format-error rates and availability, the COGS CSV."""

from __future__ import annotations

import csv
import io
import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokenbase.ledger import Attribution, LedgerInputError

from .conftest import add_department, call

NOV = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)
DEC = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


@pytest.fixture(params=["one prompt", "prompts"])
def booked(ledger, request):  # type: ignore[no-untyped-def]
    """acme/big 10/20 per M, acme/small 1/2 per M.

    sales (under HQ), scenario "proposal", big, 3 ok calls of 1000/500 -> 3 x 0.02 = 0.06
    support, scenario "ticket", small, 2 structured calls (1 valid, 1 repaired) + 1 invalid
      + 1 error + 1 blocked, 1000/500 tokens each when ok -> 3 x 0.002 = 0.006
    one December call, which a November report must not show.
    With "prompts", the calls take turns at three prompt names: the rollup rows split by
    prompt, and every figure (which no report groups by prompt) must stay the same.
    """
    names = itertools.cycle(["", "a@1", "b@2"] if request.param == "prompts" else [""])

    def named(*args, **fields):  # type: ignore[no-untyped-def]
        return call(*args, prompt_name=next(names), **fields)

    hq = add_department(ledger, "总部")
    sales = add_department(ledger, "销售部", hq)
    support = add_department(ledger, "客服部", hq)
    for i in range(3):
        who = Attribution(user_id=1, department_id=sales, scenario="proposal", trace_id=f"p{i}")
        ledger.record(named("big", at=NOV), who)
    who = Attribution(user_id=2, department_id=support, scenario="ticket", trace_id="t1")
    for fmt in ("valid", "repaired", "invalid"):
        ledger.record(named("small", at=NOV, output_format=fmt), who)
    ledger.record(named("small", at=NOV, status="error", prompt=0, completion=0), who)
    ledger.record(
        named(
            "small", at=NOV, status="blocked", error_class="budget_blocked", prompt=0, completion=0
        ),
        who,
    )
    ledger.record(named("big", at=DEC), who)
    return {"sales": sales, "support": support}


def test_spend_by_each_dimension(ledger, booked):  # type: ignore[no-untyped-def]
    by_dept = ledger.report("department", month="2026-11")
    assert [(r.label, r.calls, r.cost_cny) for r in by_dept.rows] == [
        ("总部/销售部", 3, Decimal("0.06")),
        ("总部/客服部", 5, Decimal("0.006")),
    ]
    assert by_dept.total.cost_cny == Decimal("0.066") and by_dept.total.calls == 8
    assert {r.key: r.cost_cny for r in ledger.report("scenario", month="2026-11").rows} == {
        "proposal": Decimal("0.06"),
        "ticket": Decimal("0.006"),
    }
    by_model = ledger.report("model", month="2026-11").rows
    assert [(r.key, r.prompt_tokens, r.completion_tokens) for r in by_model] == [
        ("acme/big", 3000, 1500),
        ("acme/small", 3000, 1500),
    ]
    assert [r.key for r in ledger.report("user", month="2026-11").rows] == ["1", "2"]
    december = ledger.report("day", month="2026-12")
    assert [(r.key, r.cost_cny) for r in december.rows] == [("2026-12-01", Decimal("0.02"))]
    with pytest.raises(LedgerInputError, match="department, scenario, model, user, day"):
        ledger.report("colour", month="2026-11")


def test_roi_and_cost_per_outcome(ledger, booked):  # type: ignore[no-untyped-def]
    ledger.record_outcome(kind="proposal sent", count=2, value_cny="150", scenario="proposal")
    ledger.record_outcome(kind="deal won", count=1, value_cny="900", scenario="proposal")
    # Linked by trace only: scenario and department come from the trace's events.
    linked = ledger.record_outcome(kind="ticket resolved", count=1, value_cny="20", trace_id="t1")
    assert (linked.scenario, linked.department_id) == ("ticket", booked["support"])
    rows = {r["scenario"]: r for r in ledger.roi(month="2026-11")}
    proposal, ticket = rows["proposal"], rows["ticket"]
    assert proposal["outcomes"] == 3 and proposal["outcome_value_cny"] == "1050.00"
    assert proposal["cost_per_outcome_cny"] == "0.020000"  # 0.06 / 3
    assert proposal["roi"] == "17500.0000"  # 1050 / 0.06
    assert ticket["cost_per_outcome_cny"] == "0.006000" and ticket["roi"] == "3333.3333"
    assert proposal["outcome_kinds"] == {"proposal sent": 2, "deal won": 1}


def test_format_error_rates_and_availability(ledger, booked):  # type: ignore[no-untyped-def]
    rows = {r["model"]: r for r in ledger.quality(month="2026-11")}
    small = rows["acme/small"]
    # ok 3, error 1, blocked 1 (a budget block is not the model's fault): 3 / 4
    assert small["availability"] == "0.7500" and small["blocked_calls"] == 1
    assert small["structured_calls"] == 3
    assert small["format_error_rate_before_repair"] == "0.6667"  # (repaired + invalid) / 3
    assert small["format_error_rate_after_repair"] == "0.3333"  # invalid / 3
    assert rows["acme/big"]["availability"] == "1.0000"
    assert rows["acme/big"]["format_error_rate_before_repair"] is None  # no structured calls


def test_format_error_rates_per_prompt(ledger):  # type: ignore[no-untyped-def]
    who = Attribution(scenario="extract")
    for prompt, formats in {
        "invoice.v1": ["valid", "repaired", "invalid", "invalid"],
        "invoice.v2": ["valid", "valid", "repaired"],
    }.items():
        for fmt in formats:
            ledger.record(call("small", at=NOV, prompt_name=prompt, output_format=fmt), who)
    ledger.record(call("small", at=NOV, prompt_name="chat.v1"), who)  # not structured
    rows = {r["prompt"]: r for r in ledger.quality(month="2026-11", by="prompt")}
    assert set(rows) == {"invoice.v1", "invoice.v2"}
    assert rows["invoice.v1"]["structured_calls"] == 4
    assert rows["invoice.v1"]["format_error_rate_before_repair"] == "0.7500"
    assert rows["invoice.v1"]["format_error_rate_after_repair"] == "0.5000"
    assert rows["invoice.v2"]["format_error_rate_before_repair"] == "0.3333"
    assert rows["invoice.v2"]["format_error_rate_after_repair"] == "0.0000"
    with pytest.raises(LedgerInputError, match="prompt"):
        ledger.quality(month="2026-11", by="scenario")


def test_cogs_csv(ledger, booked):  # type: ignore[no-untyped-def]
    text = ledger.export_csv("2026-11")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == [
        "month",
        "department",
        "cost_centre",
        "scenario",
        "model",
        "calls",
        "tokens",
        "cost_cny",
    ]
    assert rows[1:] == [
        ["2026-11", "客服部", "总部/客服部", "ticket", "acme/small", "5", "4500", "0.01"],
        ["2026-11", "销售部", "总部/销售部", "proposal", "acme/big", "3", "4500", "0.06"],
    ]
