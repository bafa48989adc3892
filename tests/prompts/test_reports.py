"""Per-version and per-contributor reports against hand-computed figures, from real ledger
events and real feedback rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tokenbase.config import LedgerSettings
from tokenbase.guard import badcases
from tokenbase.ledger import Ledger
from tokenbase.ledger.attribution import Attribution
from tokenbase.ledger.reports import _ratio
from tokenbase.prompts.library import PromptLibrary
from tokenbase.prompts.reports import report, usage_query, version_stats

from ..ledger.conftest import TEST_PRICES, add_department, call
from .conftest import make_user, settings

# November 2026 in Beijing (ledger.timezone), in UTC.
NOV_START = datetime(2026, 10, 31, 16, tzinfo=UTC)
NOV_END = datetime(2026, 11, 30, 16, tzinfo=UTC)


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
    assert set(rows) == {"p@1", "p@2", "kb.answer.zh@1", "kb.answer.en@1", "agent.route@1"}
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
    assert people[1]["contributor"] == "system" and people[1]["prompts"] == 3
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


def test_figures_equal_a_recompute_from_the_events(lib: PromptLibrary):
    """Random calls around a month: the report (read from the daily rollups) and
    `version_stats` over bounds that are not whole days (read from the events) both equal
    the figures computed here from what was recorded."""
    ledger = Ledger(lib.engine, LedgerSettings(prices=TEST_PRICES, budget_cache_s=0))
    depts = [add_department(ledger, "销售部"), add_department(ledger, "客服部")]
    names = {depts[0]: "销售部", depts[1]: "客服部"}
    people = [make_user(lib, f"u{i}", department_id=depts[i % 2]) for i in range(4)]
    alice, bob = people[0], people[1]
    lib.create("p", "v1", message="m", author=alice)
    lib.commit("p", "v2", message="m", author=alice)
    lib.create("q", "v1", message="m", author=bob)
    refs = ["p@1", "p@2", "q@1", "kb.answer.zh@1", "gone@9", "plain", ""]
    authors = {"p@1": alice.id, "p@2": alice.id, "q@1": bob.id, "kb.answer.zh@1": None}
    rng = random.Random(11)
    recorded = []
    for i in range(400):
        at = datetime(2026, 10, 30, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60 * 24 * 33))
        user = rng.choice([*people, None])
        ref = rng.choice(refs)
        fmt = rng.choice(["", "", "valid", "repaired", "invalid"])
        who = Attribution(
            user_id=user.id if user else None,
            department_id=rng.choice([*depts, None]),
            trace_id=f"t{i}",
        )
        event = ledger.record(
            call(
                rng.choice(["big", "small"]),
                at=at,
                prompt=rng.randint(0, 3000),
                completion=rng.randint(0, 900),
                prompt_name=ref,
                output_format=fmt,
                status=rng.choice(["ok", "ok", "error"]),
                request_id=f"r{i}",
            ),
            who,
        )
        recorded.append((event, who, ref, fmt))

    def expected(start: datetime, end: datetime) -> dict[str, dict]:
        out = {}
        for ref, author in authors.items():
            mine = [(e, w, f) for e, w, r, f in recorded if r == ref and start <= e.at < end]
            structured = [f for _, _, f in mine if f]
            bad = [f for f in structured if f in ("repaired", "invalid")]
            rate = _ratio(len(bad), len(structured))
            out[ref] = {
                "calls": len(mine),
                "users": len({w.user_id for _, w, _ in mine if w.user_id is not None}),
                "departments": sorted(
                    {names[w.department_id] for _, w, _ in mine if w.department_id is not None}
                ),
                "prompt_tokens": sum(e.prompt_tokens for e, _, _ in mine),
                "completion_tokens": sum(e.completion_tokens for e, _, _ in mine),
                "cost_cny": sum((e.cost_cny for e, _, _ in mine), Decimal(0)),
                "structured_calls": len(structured),
                "format_error_rate": None if rate is None else str(rate),
                "uses_by_others": sum(
                    1 for _, w, _ in mine if w.user_id is not None and w.user_id != author
                ),
            }
        return out

    def figures(row: dict) -> dict:
        got = {k: row[k] for k in expected(NOV_START, NOV_END)["p@1"]}
        return {**got, "cost_cny": Decimal(got["cost_cny"])}

    with lib.engine.connect() as conn:
        month = report(conn, settings(), month="2026-11")["rows"]
        start, end = (
            datetime(2026, 11, 3, 5, 30, tzinfo=UTC),
            datetime(2026, 11, 20, 13, tzinfo=UTC),
        )
        window = [v.to_dict() for v in version_stats(conn, start, end, settings())]
    # Whole local days are answered from the rollups, anything else from the events.
    assert "FROM usage_daily" in str(usage_query(NOV_START, NOV_END, "Asia/Shanghai"))
    assert "FROM usage_events" in str(usage_query(start, end, "Asia/Shanghai"))
    for rows, want in ((month, expected(NOV_START, NOV_END)), (window, expected(start, end))):
        got = {r["ref"]: figures(r) for r in rows if r["ref"] in authors}
        assert got == want
        assert sum(w["calls"] for w in want.values()) > 50
