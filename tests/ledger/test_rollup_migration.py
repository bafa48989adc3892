"""Migration 0012: usage_daily gains `prompt_name` in its key and is rebuilt from the events,
so an existing installation's rollups come out as if every event had been recorded after it."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from tokenbase.db.engine import MIGRATIONS_DIR, create_db_engine, migrate
from tokenbase.db.schema import ROLLUP_KEYS, usage_daily, usage_events
from tokenbase.ledger import Attribution, Ledger
from tokenbase.ledger.events import ROLLUP_METRICS, _rollup_select

from .conftest import call

# usage_daily as revision 0011 left it (no prompt_name).
OLD_KEY = ["day", "department_id", "user_id", "scenario", "agent", "provider", "model"]
OLD_KEY += ["kind", "tier"]
old_daily = sa.table("usage_daily", *(sa.column(c) for c in [*OLD_KEY, *ROLLUP_METRICS]))


def _event(i: int, rng: random.Random) -> dict:
    at = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 4))
    fmt = rng.choice(["", "valid", "repaired", "invalid"])
    return {
        "at": at,
        "day": (at + timedelta(hours=8)).date(),
        "kind": "chat",
        "provider": "acme",
        "model": rng.choice(["big", "small"]),
        "deployment": "public",
        "tier": rng.choice(["", "fast"]),
        "request_id": f"r{i}",
        "attempt": 1,
        "status": rng.choice(["ok", "ok", "error", "blocked"]),
        "error_class": "",
        "latency_ms": rng.random() * 500,
        "ttft_ms": None,
        "prompt_tokens": rng.randint(0, 3000),
        "completion_tokens": rng.randint(0, 800),
        "cached_tokens": rng.randint(0, 50),
        "estimated": rng.random() < 0.2,
        "cost_cny": Decimal(rng.randint(0, 50_000)) / 1_000_000,
        "priced": rng.random() < 0.9,
        "price_ref": "",
        "provider_cost": None,
        "prompt_name": rng.choice(["", "p@1", "p@2", "kb.answer.zh"]),
        "output_format": fmt,
        "user_id": rng.choice([None, 1, 2]),
        "department_id": rng.choice([None, 7]),
        "scenario": rng.choice(["", "kb.ask"]),
        "agent": "",
        "task": "",
        "trace_id": f"t{i}",
        "extra": {},
    }


def _downgrade(engine: sa.Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _daily(conn: sa.Connection) -> list[tuple]:
    rows = conn.execute(select(usage_daily).order_by(*usage_daily.c[ROLLUP_KEYS])).all()
    return [tuple(str(v) for v in row[1:]) for row in rows]


def _expected(conn: sa.Connection) -> list[tuple]:
    rows = conn.execute(_rollup_select(None)).all()
    return sorted(tuple(str(v) for v in row) for row in rows)


def test_upgrade_rebuilds_rollups_per_prompt_and_downgrade_restores(new_database_url):  # type: ignore[no-untyped-def]
    engine = create_db_engine(new_database_url(migrated=False))
    try:
        migrate(engine, "0011")
        rng = random.Random(3)
        with engine.begin() as conn:
            conn.execute(insert(usage_events), [_event(i, rng) for i in range(400)])
            # A stale rollup row (what the old key held): the rebuild replaces it.
            conn.execute(
                insert(old_daily).values(
                    day=datetime(2026, 11, 1).date(),
                    department_id=0,
                    user_id=0,
                    scenario="",
                    agent="",
                    provider="acme",
                    model="big",
                    kind="chat",
                    tier="",
                    **{m: 999 for m in ROLLUP_METRICS},
                )
            )
        migrate(engine)
        with engine.connect() as conn:
            after = _daily(conn)
            assert sorted(after) == _expected(conn)
            assert {r[ROLLUP_KEYS.index("prompt_name")] for r in after} == {
                "",
                "p@1",
                "p@2",
                "kb.answer.zh",
            }
            calls = conn.execute(select(sa.func.sum(usage_daily.c.calls))).scalar_one()
        assert calls == 400
        # The new unique key is what the ledger's upsert conflicts on.
        ledger = Ledger(engine)
        who = Attribution(user_id=1)
        for _ in range(2):
            ledger.record(call(prompt_name="p@1", at=datetime(2026, 11, 3, tzinfo=UTC)), who)
            ledger.record(call(prompt_name="p@2", at=datetime(2026, 11, 3, tzinfo=UTC)), who)
        with engine.connect() as conn:
            assert sorted(_daily(conn)) == _expected(conn)

        _downgrade(engine, "0011")
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("usage_daily")}
            assert "prompt_name" not in columns
            rows = conn.execute(select(old_daily.c.calls)).scalars().all()
            assert sum(rows) == 404 and len(rows) < len(after)
    finally:
        engine.dispose()
