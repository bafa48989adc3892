"""Prompt-library reports over 1M usage events in one month.

    source /tmp/my_pg_env; python bench/prompt_reports_bench.py --events 1000000 [--pg]
        [--prompts-per-user 3]

Synthetic month (November 2026): 20 prompts x 3 versions (60 refs), 500 users in 50
departments; every event carries a prompt ref (the worst case: the report reads them all).
By default each call picks any of the 60 refs, so the daily rollups hardly compress (~60%
of the events become rollup rows: their worst case); `--prompts-per-user 3` gives each user
3 refs, closer to a real company where a scenario uses one prompt. One trace per event,
inserted in time order, 30% structured output (10% of those repaired/invalid); 20,000
feedback rows (70% up) and 2,000 bad cases on random traces.

The events are bulk-inserted, then `rebuild_rollups()` builds the daily rollups the report
reads (`Ledger.record` keeps them current in production); on PostgreSQL the tables are then
ANALYZEd, as autovacuum would after such a load, so timings do not depend on when it runs.
Times `prompts.reports.report` by version and by contributor (median of 5), and prints the
per-version totals as a check.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text

from tokenbase.config import Settings
from tokenbase.db import open_database
from tokenbase.db.schema import (
    answer_feedback,
    badcases,
    departments,
    usage_daily,
    usage_events,
    users,
)
from tokenbase.ledger import Ledger
from tokenbase.prompts.library import PromptLibrary
from tokenbase.prompts.reports import report


def populate(engine, events: int, rng: random.Random, per_user: int = 0) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    lib = PromptLibrary(engine, Settings())
    with engine.begin() as conn:
        dept_ids = [
            conn.execute(
                insert(departments).values(name=f"d{i}", created_at=now)
            ).inserted_primary_key[0]
            for i in range(50)
        ]
        user_ids = []
        for i in range(500):
            user_ids.append(
                conn.execute(
                    insert(users).values(
                        username=f"u{i}",
                        display_name="",
                        password_hash="",
                        role="member",
                        clearance=1,
                        department_id=dept_ids[i % 50],
                        active=True,
                        must_change_password=False,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
            )
    refs = []
    for p in range(20):
        author = user_ids[p]
        lib.create(f"p{p}", "v1", message="m", author=_actor(author))
        for _ in range(2):
            lib.commit(f"p{p}", "next", message="m", author=_actor(author))
        refs += [f"p{p}@{v}" for v in (1, 2, 3)]
    uses = {u: rng.sample(refs, per_user) if per_user else refs for u in user_ids}
    start = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    span = 30 * 86400
    batch = []
    # In time order, as the ledger writes them (events are recorded when calls end).
    moments = sorted(rng.random() * span for _ in range(events))
    for i in range(events):
        at = start + timedelta(seconds=moments[i])
        user = rng.choice(user_ids)
        structured = rng.random() < 0.3
        fmt = ""
        if structured:
            r = rng.random()
            fmt = "repaired" if r < 0.07 else "invalid" if r < 0.1 else "valid"
        batch.append(
            {
                "at": at,
                "day": (at + timedelta(hours=8)).date(),
                "kind": "chat",
                "provider": "acme",
                "model": "m",
                "deployment": "public",
                "tier": "",
                "request_id": f"r{i}",
                "attempt": 1,
                "status": "ok",
                "error_class": "",
                "latency_ms": 100.0,
                "ttft_ms": None,
                "prompt_tokens": 1000,
                "completion_tokens": 300,
                "cached_tokens": 0,
                "estimated": False,
                "cost_cny": Decimal("0.016"),
                "priced": True,
                "price_ref": "",
                "provider_cost": None,
                "prompt_name": rng.choice(uses[user]),
                "output_format": fmt,
                "user_id": user,
                "department_id": dept_ids[(user - user_ids[0]) % 50],
                "scenario": "kb.ask",
                "agent": "",
                "task": "",
                "trace_id": f"t{i}",
                "extra": {},
            }
        )
        if len(batch) == 20000:
            with engine.begin() as conn:
                conn.execute(insert(usage_events), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(usage_events), batch)
    with engine.begin() as conn:
        conn.execute(
            insert(answer_feedback),
            [
                {
                    "at": now,
                    "trace_id": f"t{rng.randrange(events)}",
                    "user_id": rng.choice(user_ids),
                    "rating": "up" if rng.random() < 0.7 else "down",
                    "correction": "",
                    "comment": "",
                }
                for _ in range(20000)
            ],
        )
        conn.execute(
            insert(badcases),
            [
                {
                    "created_at": now,
                    "trace_id": f"t{rng.randrange(events)}",
                    "kind": "feedback",
                    "question": "",
                    "answer": "",
                    "correction": "",
                    "detail": {},
                    "user_id": None,
                    "status": "open",
                }
                for _ in range(2000)
            ],
        )


def _actor(user_id: int):  # type: ignore[no-untyped-def]
    from tokenbase.guard.audit import Actor

    return Actor(int(user_id), f"u{user_id}")


def measure(url: str, events: int, per_user: int) -> dict:
    db = open_database(url)
    engine = db.engine
    t0 = time.perf_counter()
    populate(engine, events, random.Random(1), per_user)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    Ledger(engine).rebuild_rollups()
    rebuild_s = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        rollup_rows = conn.execute(select(func.count()).select_from(usage_daily)).scalar_one()
    out = {"load_s": round(load_s, 1), "rebuild_rollups_s": round(rebuild_s, 1)}
    out["rollup_rows"] = rollup_rows
    settings = Settings()
    for by in ("version", "contributor"):
        times = []
        for _ in range(5):
            t = time.perf_counter()
            with engine.connect() as conn:
                data = report(conn, settings, by=by, month="2026-11")
            times.append(time.perf_counter() - t)
        out[f"report_{by}_median_s"] = round(statistics.median(times), 3)
        if by == "version":
            out["calls"] = sum(r["calls"] for r in data["rows"])
            out["cost_cny"] = str(sum(Decimal(r["cost_cny"]) for r in data["rows"]))
            out["rated"] = sum(r["accepted"] + r["rejected"] for r in data["rows"])
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pg", action="store_true", help="also PostgreSQL (TOKENBASE_TEST_PG_URL)")
    parser.add_argument(
        "--prompts-per-user", type=int, default=0, help="refs each user calls (0: all 60)"
    )
    args = parser.parse_args()
    results = {
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "events": args.events,
        "prompts_per_user": args.prompts_per_user or 60,
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.events, args.prompts_per_user)
        print(json.dumps(results), flush=True)
    if args.pg:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
        from tests.db.servers import PgDatabases, pg_url

        url = pg_url()
        if url:
            dbs = PgDatabases(url)
            try:
                results["postgresql"] = measure(
                    dbs.create(migrated=True), args.events, args.prompts_per_user
                )
            finally:
                dbs.drop_created()
                dbs.close()
    print(json.dumps(results, indent=2))
    out = os.path.join(os.path.dirname(__file__), "out")
    os.makedirs(out, exist_ok=True)
    name = "prompt_reports_bench.json"
    if args.prompts_per_user:
        name = f"prompt_reports_bench_{args.prompts_per_user}_per_user.json"
    with open(os.path.join(out, name), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
