"""Price book: dated entries (a change never rewrites history), USD conversion, cached-input
pricing, exact Decimal sums, unpriced public models, bundled seeds and contract overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from tokenbase.config import LedgerSettings
from tokenbase.ledger import Attribution
from tokenbase.ledger.prices import PriceBook, load_seed_prices

from .conftest import call

WHO = Attribution(user_id=1, department_id=1, scenario="kb.ask")


def _book(**settings) -> PriceBook:  # type: ignore[no-untyped-def]
    return PriceBook.from_settings(LedgerSettings(**settings))


def test_a_price_change_does_not_rewrite_history(make_ledger):  # type: ignore[no-untyped-def]
    ledger = make_ledger(
        prices=[
            {"model": "acme/m", "input": "1", "output": "2", "effective_from": "2026-01-01"},
            {"model": "acme/m", "input": "3", "output": "5", "effective_from": "2026-06-01"},
        ]
    )
    before = ledger.record(call("m", at=datetime(2026, 5, 31, 15, 59, tzinfo=UTC)), WHO)
    # 16:00 UTC on 31 May is 00:00 on 1 June in Beijing: the new price applies.
    after = ledger.record(call("m", at=datetime(2026, 5, 31, 16, 0, tzinfo=UTC)), WHO)
    assert before.cost_cny == Decimal("0.002000")  # 1000 x 1 + 500 x 2 per million
    assert after.cost_cny == Decimal("0.005500")  # 1000 x 3 + 500 x 5 per million
    # Recording later calls (and rebuilding rollups) leaves the old event's cost alone.
    ledger.rebuild_rollups()
    old = next(e for e in ledger.events() if e.id == before.id)
    assert old.cost_cny == Decimal("0.002000") and old.price_ref.endswith("@2026-01-01")
    report = ledger.report("day", start="2026-05-31", end="2026-06-01")
    assert [(r.key, r.cost_cny) for r in report.rows] == [
        ("2026-05-31", Decimal("0.002000")),
        ("2026-06-01", Decimal("0.005500")),
    ]


def test_usd_prices_are_converted_at_the_configured_rate(make_ledger):  # type: ignore[no-untyped-def]
    ledger = make_ledger(
        usd_cny_rate="7.25",
        prices=[{"model": "gpt", "input": "2", "output": "8", "currency": "USD"}],
    )
    event = ledger.record(call("gpt", provider="openai", prompt=1_000_000, completion=0), WHO)
    assert event.cost_cny == Decimal("14.500000")


def test_cached_tokens_are_charged_at_the_cached_price(ledger):  # type: ignore[no-untyped-def]
    # acme/big: input 10, cached 1, output 20 per million
    event = ledger.record(call(prompt=10_000, cached=4_000, completion=1_000), WHO)
    assert event.cost_cny == Decimal("0.084000")  # 6000x10 + 4000x1 + 1000x20
    no_cached_price = ledger.record(call("small", prompt=10_000, cached=4_000, completion=0), WHO)
    assert no_cached_price.cost_cny == Decimal("0.010000")  # cached defaults to input


def test_costs_are_exact_decimals(make_ledger):  # type: ignore[no-untyped-def]
    ledger = make_ledger(prices=[{"model": "acme/tenth", "input": "100", "output": "0"}])
    for _ in range(10):
        event = ledger.record(call("tenth", prompt=1000, completion=0), WHO)
        assert isinstance(event.cost_cny, Decimal) and event.cost_cny == Decimal("0.1")
    total = ledger.report("model", month="2026-11").total.cost_cny
    assert isinstance(total, Decimal) and total == Decimal("1.000000")  # not 0.9999999999


def test_unpriced_public_model_costs_zero_and_is_counted(ledger):  # type: ignore[no-untyped-def]
    public = ledger.record(call("mystery", provider="cloud"), WHO)
    private = ledger.record(call("qwen2-7b", provider="vllm", deployment="private"), WHO)
    assert (public.cost_cny, public.priced) == (Decimal(0), False)
    assert (private.cost_cny, private.priced, private.price_ref) == (Decimal(0), True, "private")
    report = ledger.report("model", month="2026-11")
    assert report.total.unpriced_calls == 1
    assert {r.key: r.unpriced_calls for r in report.rows} == {
        "cloud/mystery": 1,
        "vllm/qwen2-7b": 0,
    }


def test_provider_and_model_is_matched_before_the_bare_name():
    book = _book(
        prices=[
            {"model": "m", "input": "1", "output": "1"},
            {"model": "special/m", "input": "9", "output": "9"},
        ]
    )
    assert book.lookup("special", "m", date(2026, 1, 1)).input == Decimal(9)
    assert book.lookup("other", "m", date(2026, 1, 1)).input == Decimal(1)


def test_seed_prices_are_dated_and_a_contract_price_wins_from_its_date():
    seeds = _book()
    assert seeds.lookup("deepseek", "deepseek-chat", date(2024, 12, 1)) is None
    feb = seeds.lookup("deepseek", "deepseek-chat", date(2025, 3, 1))
    assert (feb.input, feb.cached_input, feb.output) == (Decimal(2), Decimal("0.5"), Decimal(8))
    later = seeds.lookup("deepseek", "deepseek-chat", date(2025, 10, 1))
    assert later.output < feb.output and later.ref == "seed:deepseek-chat@2025-09-29"
    # Ark's versioned model ids find their entry through aliases.
    assert seeds.lookup("ark", "doubao-seed-1-6-250615", date(2026, 1, 1)) is not None
    contract = _book(
        prices=[
            {"model": "deepseek-chat", "input": "1", "output": "1", "effective_from": "2025-06-01"}
        ]
    )
    assert contract.lookup("deepseek", "deepseek-chat", date(2025, 5, 31)).origin == "seed"
    assert contract.lookup("deepseek", "deepseek-chat", date(2025, 10, 1)).origin == "config"
    assert _book(seed_prices=False).lookup("deepseek", "deepseek-chat", date(2026, 1, 1)) is None


def test_every_seed_names_its_source_and_date():
    seeds = load_seed_prices()
    models = {s.model for s in seeds}
    assert {"deepseek-chat", "deepseek-reasoner", "qwen-max", "qwen-plus", "qwen-turbo"} <= models
    assert {"qwen-flash", "text-embedding-v3", "text-embedding-v4", "doubao-seed-1.6"} <= models
    assert {"doubao-1.5-pro-32k", "doubao-1.5-lite-32k", "doubao-embedding"} <= models
    for seed in seeds:
        assert seed.source.startswith("https://"), seed
        assert seed.input >= 0 and seed.output >= 0 and seed.cached_input <= seed.input
