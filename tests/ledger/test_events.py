"""Usage events: attribution and call fields stored (never text), rollups maintained as events
are written equal a recompute from the events."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select

from tokenbase.db.schema import ROLLUP_KEYS, usage_daily, usage_events
from tokenbase.ledger import Attribution

from .conftest import call


def _rollups(ledger) -> list[tuple]:  # type: ignore[no-untyped-def]
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(usage_daily).order_by(*usage_daily.c[ROLLUP_KEYS])).all()
    return [tuple(str(v) for v in row[1:]) for row in rows]  # without the surrogate id


def test_rollups_equal_a_recompute_from_events(ledger):  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(300):
        who = Attribution(
            user_id=rng.choice([None, 1, 2, 3]),
            department_id=rng.choice([None, 1, 2]),
            scenario=rng.choice(["", "kb.ask", "ticket"]),
            agent=rng.choice(["", "helper"]),
        )
        ledger.record(
            call(
                rng.choice(["big", "small", "unknown"]),
                at=start + timedelta(hours=rng.randint(0, 24 * 5)),
                prompt=rng.randint(0, 5000),
                completion=rng.randint(0, 800),
                cached=rng.randint(0, 100),
                status=rng.choice(["ok", "ok", "error", "blocked"]),
                output_format=rng.choice(["", "valid", "repaired", "invalid"]),
                estimated=rng.random() < 0.2,
                latency_ms=rng.random() * 900,
                request_id=f"r{i}",
                tier=rng.choice(["fast", "standard"]),
                prompt_name=rng.choice(["", "p@1", "p@2", "kb.answer.v1"]),
            ),
            who,
        )
    incremental = _rollups(ledger)
    assert len(incremental) > 20
    ledger.rebuild_rollups()
    assert _rollups(ledger) == incremental
    total_calls = ledger.report("model", month="2026-11").total.calls
    assert total_calls == 300


def test_event_carries_call_fields_and_attribution_but_no_text(ledger):  # type: ignore[no-untyped-def]
    who = Attribution(user_id=5, department_id=6, scenario="s", agent="a", task="t", trace_id="tr")
    event = ledger.record(
        call(request_id="req-9", attempt=2, tier="fast", ttft_ms=12.5, prompt_name="qa.v1"), who
    )
    with ledger.engine.connect() as conn:
        row = conn.execute(select(usage_events).where(usage_events.c.id == event.id)).one()
    assert (row.user_id, row.department_id, row.scenario, row.agent, row.task) == (
        5,
        6,
        "s",
        "a",
        "t",
    )
    assert (row.trace_id, row.request_id, row.attempt, row.tier) == ("tr", "req-9", 2, "fast")
    assert row.ttft_ms == 12.5 and row.prompt_name == "qa.v1"
    columns = {c["name"] for c in inspect(ledger.engine).get_columns("usage_events")}
    assert not {"prompt", "response", "text", "messages", "content"} & columns
