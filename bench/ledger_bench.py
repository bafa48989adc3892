"""Token ledger: metering cost per event, and a monthly department report over 1M events.

    python bench/ledger_bench.py                          # SQLite, plus PostgreSQL when
                                                          # TOKENBASE_TEST_PG_URL is set
    python bench/ledger_bench.py --pg-url postgresql+psycopg://u:p@127.0.0.1/db --events 1000000

(a) Metering: N `Ledger.record` calls (event + rollup upsert in one transaction, no budget in
    force; then with a department budget in force, `reserve` + `record`), against a bare
    single-row INSERT of the same event row in its own transaction, in the same run.
(b) Reports: bulk-load M synthetic events for one month (500 users in 50 departments, each
    with a few scenarios and models), `rebuild_rollups()`, then time `Ledger.report("department")`
    (median of 7) and the same report computed from the raw events (median of 3).

Targets (DESIGN.md): metering <= 1 ms per event; monthly department report over 1M events
<= 1 s. Databases are created fresh (SQLite under bench/out/ledger/, PostgreSQL as a new
database on the server the URL names, dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from common import OUT, machine_info, percentile, print_machine, write_json
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from tokenbase.config import LedgerSettings
from tokenbase.db import open_database
from tokenbase.db.schema import departments, usage_daily, usage_events
from tokenbase.ledger import Attribution, CallRecord, Ledger
from tokenbase.ledger.events import event_row

MONTH = "2026-11"
MODELS = [
    ("deepseek", "deepseek-chat"),
    ("deepseek", "deepseek-reasoner"),
    ("dashscope", "qwen-plus"),
    ("dashscope", "qwen-flash"),
    ("ark", "doubao-seed-1.6"),
    ("vllm", "qwen3-8b"),  # private, unpriced
]
SCENARIOS = [f"scenario-{i}" for i in range(10)]
N_DEPARTMENTS, N_USERS = 50, 500
PG_DB = "tokenbase_ledger_bench"


class Population:
    """Who calls what: each user sits in one department and uses a few scenarios and models,
    as in a real company (this is what makes rollups compress)."""

    def __init__(self, seed: int = 1) -> None:
        rng = random.Random(seed)
        self.rng = rng
        self.users = []
        for user_id in range(1, N_USERS + 1):
            dept = 1 + user_id % N_DEPARTMENTS
            scenarios = rng.sample(SCENARIOS, 3)
            models = {s: rng.sample(MODELS, 2) for s in scenarios}
            self.users.append((user_id, dept, scenarios, models))

    def call(self, at: datetime, i: int) -> tuple[CallRecord, Attribution]:
        rng = self.rng
        user_id, dept, scenarios, models = rng.choice(self.users)
        scenario = rng.choice(scenarios)
        provider, model = rng.choice(models[scenario])
        status = "ok" if rng.random() > 0.02 else "error"
        record = CallRecord(
            kind="chat",
            provider=provider,
            model=model,
            deployment="private" if provider == "vllm" else "public",
            started_at=at,
            request_id=f"req{i:08d}",
            tier="standard",
            latency_ms=rng.uniform(300, 4000),
            prompt_tokens=rng.randint(200, 6000) if status == "ok" else 0,
            completion_tokens=rng.randint(50, 1200) if status == "ok" else 0,
            cached_tokens=rng.randint(0, 200),
            status=status,
            output_format=rng.choice(["", "", "valid", "repaired"]),
        )
        who = Attribution(
            user_id=user_id, department_id=dept, scenario=scenario, trace_id=f"tr{i:08d}"
        )
        return record, who


# -- databases -----------------------------------------------------------------------------------
def sqlite_url() -> str:
    folder = OUT / "ledger"
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (folder / f"bench.db{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{folder / 'bench.db'}"


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)


def pg_url(server_url: str) -> str:
    _pg_admin(server_url, f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    _pg_admin(server_url, f'CREATE DATABASE "{PG_DB}"')
    return make_url(server_url).set(database=PG_DB).render_as_string(False)


def add_departments(ledger: Ledger) -> None:
    now = datetime.now(UTC)
    with ledger.engine.begin() as conn:
        for i in range(1, N_DEPARTMENTS + 1):
            conn.execute(
                insert(departments).values(
                    id=i, name=f"部门{i:02d}", parent_id=None, created_at=now
                )
            )


# -- (a) metering --------------------------------------------------------------------------------
def _stats(samples: list[float]) -> dict[str, float]:
    return {
        "mean_ms": round(statistics.fmean(samples) * 1000, 4),
        "p50_ms": round(percentile(samples, 50) * 1000, 4),
        "p95_ms": round(percentile(samples, 95) * 1000, 4),
    }


def bench_metering(ledger: Ledger, n: int) -> dict[str, Any]:
    people = Population(seed=2)
    now = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    calls = [people.call(now + timedelta(seconds=i), i) for i in range(n)]
    rows = [
        event_row(
            c, w, day=date(2026, 11, 20), cost_cny=Decimal("0.001"), priced=True, price_ref=""
        )
        for c, w in calls
    ]
    for c, w in calls[:200]:  # warm up: connections, statement caches
        ledger.record(c, w)

    bare_insert = insert(usage_events)  # built once, as Ledger.record's statements are

    def bare(row: dict[str, Any]) -> None:
        with ledger.engine.begin() as conn:
            conn.execute(bare_insert, row)

    results: dict[str, Any] = {}
    # Interleave the two in blocks, so drift in machine load hits both alike.
    base_t, record_t = [], []
    for start in range(0, n, 500):
        for row in rows[start : start + 500]:
            t = time.perf_counter()
            bare(row)
            base_t.append(time.perf_counter() - t)
        for c, w in calls[start : start + 500]:
            t = time.perf_counter()
            ledger.record(c, w)
            record_t.append(time.perf_counter() - t)
    results["bare_insert"] = _stats(base_t)
    results["record"] = _stats(record_t)
    results["record_overhead_mean_ms"] = round(
        results["record"]["mean_ms"] - results["bare_insert"]["mean_ms"], 4
    )
    # With budgets in force for every department: reserve + record per call.
    for dept in range(1, N_DEPARTMENTS + 1):
        ledger.set_budget(scope_kind="department", scope_value=dept, hard_limit_cny="1000000")
    reserve_t, settle_t = [], []
    for c, w in calls[: n // 2]:
        t = time.perf_counter()
        held = ledger.reserve(
            provider=c.provider,
            model=c.model,
            deployment=c.deployment,
            tier=c.tier,
            prompt_tokens=c.prompt_tokens,
            max_output_tokens=1024,
            attribution=w,
        )
        t2 = time.perf_counter()
        ledger.record(c, w, held)
        settle_t.append(time.perf_counter() - t2)
        reserve_t.append(t2 - t)
    results["with_budget_reserve"] = _stats(reserve_t)
    results["with_budget_record_and_settle"] = _stats(settle_t)
    return results


# -- (b) reports over M events -------------------------------------------------------------------
def seed_events(ledger: Ledger, total: int, batch: int = 20_000) -> float:
    people = Population(seed=3)
    first = datetime(2026, 10, 31, 16, 0, tzinfo=UTC)  # 1 Nov 00:00 in Beijing
    span = 30 * 24 * 3600
    t0 = time.perf_counter()
    for start in range(0, total, batch):
        rows = []
        for i in range(start, min(start + batch, total)):
            record, who = people.call(first + timedelta(seconds=people.rng.randrange(span)), i)
            day = (record.started_at + timedelta(hours=8)).date()
            priced = ledger.prices.price(
                provider=record.provider,
                model=record.model,
                deployment=record.deployment,
                day=day,
                prompt_tokens=record.prompt_tokens,
                completion_tokens=record.completion_tokens,
                cached_tokens=record.cached_tokens,
            )
            rows.append(
                event_row(
                    record,
                    who,
                    day=day,
                    cost_cny=priced.cost_cny,
                    priced=priced.priced,
                    price_ref=priced.ref,
                )
            )
        with ledger.engine.begin() as conn:
            conn.execute(insert(usage_events), rows)
        print(f"\r  seeded {min(start + batch, total):,} events", end="", flush=True)
    print()
    return time.perf_counter() - t0


def raw_department_report(ledger: Ledger) -> list[tuple]:
    """The same figures as the department report, from the raw events."""
    e = usage_events.c
    start, end = date(2026, 11, 1), date(2026, 12, 1)
    query = (
        select(
            e.department_id,
            func.count(),
            func.sum(e.prompt_tokens),
            func.sum(e.completion_tokens),
            func.sum(e.cost_cny),
        )
        .where(e.day >= start, e.day < end)
        .group_by(e.department_id)
    )
    with ledger.engine.connect() as conn:
        return conn.execute(query).all()


def _median_time(fn, runs: int) -> tuple[float, list[float], Any]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def bench_reports(ledger: Ledger, total: int) -> dict[str, Any]:
    seeding_s = seed_events(ledger, total)
    t = time.perf_counter()
    ledger.rebuild_rollups()
    rebuild_s = time.perf_counter() - t
    with ledger.engine.connect() as conn:
        rollup_rows = conn.execute(select(func.count()).select_from(usage_daily)).scalar_one()
    ledger.report("department", month=MONTH)  # warm the page cache once
    report_s, report_runs, report = _median_time(
        lambda: ledger.report("department", month=MONTH), 7
    )
    raw_s, raw_runs, raw = _median_time(lambda: raw_department_report(ledger), 3)
    raw_total = sum(Decimal(r[4]) for r in raw)
    assert raw_total == report.total.cost_cny, (raw_total, report.total.cost_cny)
    assert sum(r[1] for r in raw) == report.total.calls == total
    return {
        "events": total,
        "rollup_rows": rollup_rows,
        "seed_s": round(seeding_s, 1),
        "rebuild_rollups_s": round(rebuild_s, 2),
        "report_department_month_median_s": round(report_s, 4),
        "report_runs_s": [round(x, 4) for x in report_runs],
        "raw_events_report_median_s": round(raw_s, 3),
        "raw_runs_s": [round(x, 3) for x in raw_runs],
        "departments": len(report.rows),
        "total_cost_cny": str(report.total.cost_cny),
    }


def run_backend(name: str, url: str, meter_n: int, events: int) -> dict[str, Any]:
    print(f"== {name}")
    db = open_database(url)
    ledger = Ledger(db.engine, LedgerSettings(budget_cache_s=5))
    add_departments(ledger)
    metering = bench_metering(ledger, meter_n)
    print(f"  metering: {metering}")
    with ledger.engine.begin() as conn:  # reports run on a clean month of synthetic events
        conn.execute(usage_events.delete())
    reports = bench_reports(ledger, events)
    print(f"  reports: {reports}")
    db.engine.dispose()
    return {"metering": metering, "reports": reports}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="Events for the report.")
    parser.add_argument("--meter", type=int, default=5_000, help="Record calls to time.")
    parser.add_argument("--pg-url", default=os.environ.get("TOKENBASE_TEST_PG_URL"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    info = machine_info()
    print_machine(info)
    results: dict[str, Any] = {"machine": info}
    wanted = args.backends.split(",")
    if "sqlite" in wanted:
        results["sqlite"] = run_backend("sqlite", sqlite_url(), args.meter, args.events)
    if "postgresql" in wanted:
        if not args.pg_url:
            print("SKIP postgresql: give --pg-url or set TOKENBASE_TEST_PG_URL")
        else:
            url = pg_url(args.pg_url)
            try:
                results["postgresql"] = run_backend("postgresql", url, args.meter, args.events)
            finally:
                _pg_admin(
                    args.pg_url, 'DROP DATABASE IF EXISTS "tokenbase_ledger_bench" WITH (FORCE)'
                )
    write_json(OUT / "ledger_bench.json", results)


if __name__ == "__main__":
    main()
