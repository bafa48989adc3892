"""Per-version and per-contributor reports against hand-computed figures, from real ledger
events and real feedback rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tokenbase.config import LedgerSettings
from tokenbase.guard import badcases
from tokenbase.ledger import Ledger
from tokenbase.ledger.attribution import Attribution
from tokenbase.prompts.library import PromptLibrary
from tokenbase.prompts.reports import report

from ..ledger.conftest import TEST_PRICES, add_department, call
from .conftest import make_user, settings


def test_version_and_contributor_figures(lib: PromptLibrary):
    ledger = Ledger(lib.engine, LedgerSettings(prices=TEST_PRICES, budget_cache_s=0))
    sales = add_department(ledger, "销售部")
    alice = make_user(lib, "alice")
    bob = make_user(lib, "bob", department_id=sales)
    lib.create("p", "v1", message="m", author=alice)
    lib.commit("p", "v2", message="m", author=alice)

    def use(ref: str, user, trace: str, n: int = 1, **fields) -> None:  # type: ignore[no-untyped-def]
        who = Attribution(user_id=user.id, department_id=user.department_id, trace_id=trace)
        for _ in range(n):
            ledger.record(call(prompt_name=ref, **fields), who)

    # p@1: bob 6 calls on six traces (two structured, one repaired), alice 1 call of her own.
    for i in range(1, 7):
        fmt = {1: "valid", 2: "repaired"}.get(i, "")
        use("p@1", bob, f"t{i}", output_format=fmt)
    use("p@1", alice, "own")
    # Out of the month, unversioned and unknown refs are not counted.
    use("p@1", bob, "old", at=datetime(2026, 10, 31, 15, 59, tzinfo=UTC))  # 23:59 Beijing
    use("kb.answer.v1", bob, "x")
    use("gone@9", bob, "y")
    # p@2: bob 5 calls on one trace, at 1,000 prompt + 500 completion tokens of acme/small.
    use("p@2", bob, "u1", n=5, model="small")
    with lib.engine.begin() as conn:
        for trace, rating in [("t1", "up"), ("t2", "up"), ("t3", "up"), ("t4", "down")]:
            badcases.record_feedback(conn, trace, bob.id, rating)
        badcases.record_feedback(conn, "t5", alice.id, "up")
        badcases.record_feedback(conn, "old", bob.id, "down")  # its trace is out of the month
        badcases.record_feedback(conn, "u1", bob.id, "up")
        badcases.record_feedback(conn, "u1", alice.id, "down")
        badcases.record_feedback(conn, "u1", alice.id, "down")
        badcases.record(conn, "t6", "guard_flag", question="q")

    with lib.engine.connect() as conn:
        data = report(conn, settings(), by="version", month="2026-11")
    rows = {r["ref"]: r for r in data["rows"]}
    assert set(rows) == {"p@1", "p@2", "kb.answer.zh@1", "kb.answer.en@1"}
    one, two = rows["p@1"], rows["p@2"]
    # acme/big: 1000 x 10 + 500 x 20 per million = 0.02 CNY a call; acme/small 0.002.
    assert {k: one[k] for k in one if k not in ("created_at",)} == {
        "ref": "p@1",
        "name": "p",
        "version": 1,
        "author_id": alice.id,
        "author": "alice",
        "labels": [],
        "calls": 7,
        "users": 2,
        "departments": ["销售部"],
        "prompt_tokens": 7000,
        "completion_tokens": 3500,
        "cost_cny": "0.140000",
        "structured_calls": 2,
        "format_error_rate": "0.5000",
        "accepted": 4,
        "rejected": 1,
        "acceptance": "0.8000",
        "badcases": 2,  # t4's thumbs-down and t6's guard flag
        "uses_by_others": 6,
        "effective": True,
    }
    assert (two["calls"], two["cost_cny"], two["labels"]) == (5, "0.010000", ["latest"])
    assert (two["accepted"], two["rejected"], two["acceptance"]) == (1, 2, "0.3333")
    assert (two["format_error_rate"], two["effective"]) == (None, False)
    assert rows["kb.answer.zh@1"]["calls"] == 0 and rows["kb.answer.zh@1"]["acceptance"] is None
    assert data["rows"][0]["ref"] == "p@1"  # most used first

    with lib.engine.connect() as conn:
        people = report(conn, settings(), by="contributor", month="2026-11")["rows"]
        october = report(conn, settings(), by="version", month="2026-10")["rows"]
    assert people[0] == {
        "contributor": "alice",
        "prompts": 1,
        "versions": 2,
        "calls": 12,
        "cost_cny": "0.150000",
        "effective_versions": 1,
        "effective_prompts": 1,
        "effective_prompt_names": ["p"],
    }
    assert people[1]["contributor"] == "system" and people[1]["prompts"] == 2
    assert {r["ref"]: r["calls"] for r in october}["p@1"] == 1


def test_thresholds_come_from_settings(lib: PromptLibrary):
    ledger = Ledger(lib.engine, LedgerSettings(prices=TEST_PRICES, budget_cache_s=0))
    bob = make_user(lib, "bob")
    lib.create("p", "v1", message="m")
    for i in range(3):
        ledger.record(call(prompt_name="p@1"), Attribution(user_id=bob.id, trace_id=f"t{i}"))
    with lib.engine.begin() as conn:
        badcases.record_feedback(conn, "t0", bob.id, "up")
        badcases.record_feedback(conn, "t1", bob.id, "down")
    with lib.engine.connect() as conn:
        strict = report(conn, settings(), month="2026-11")["rows"][0]
        loose = report(
            conn,
            settings(effective_min_uses=3, effective_min_acceptance=0.5),
            month="2026-11",
        )["rows"][0]
    assert strict["effective"] is False and loose["effective"] is True
    assert Decimal(loose["acceptance"]) == Decimal("0.5")
