"""HTTP load on loopback: `POST /search` at 100k chunks, 16 and 64 concurrent clients.

For each backend (SQLite file, PostgreSQL server) the same 100k-chunk corpus as
search_latency.py is written (real chunks and vectors from the retrieval ingests, the rest
synthesised from real sentences), an admin and an API key are created, and one or two
`tokenbase serve` processes are started on loopback. A client in this process (asyncio + httpx,
keep-alive) sends real dev questions for a fixed time from N concurrent connections, spread
round-robin over the server processes as a load balancer would; it records requests/s, p50,
p95 and errors. Rate limiting is switched off for the benchmark key.

    python bench/http_load.py                                  # SQLite, and PostgreSQL if set
    TOKENBASE_BENCH_PG_URL=postgresql+psycopg://u:p@127.0.0.1:5432/db python bench/http_load.py
    python bench/http_load.py --size 10000 --seconds 10        # a quick run

PostgreSQL comes from TOKENBASE_BENCH_PG_URL (or TOKENBASE_TEST_PG_URL; `scripts/test-postgres.sh`
starts one); without it only SQLite runs. The database at that URL is wiped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from common import (
    OUT,
    RETRIEVAL_SETS,
    machine_info,
    markdown_table,
    percentile,
    print_machine,
    require_data,
    write_json,
)
from search_latency import KB, build_pool, load_queries, write_corpus

from tokenbase.config import load_settings
from tokenbase.kb.platform import Platform


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wipe_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def in_process_baseline(platform: Platform, queries: list[str]) -> dict[str, dict[str, float]]:
    """p50/p95 of `Searcher.search` per mode, one query at a time, no HTTP: the baseline the
    HTTP figures are read against. The query-embedding cache is off, as in the servers."""
    searcher = platform.searcher
    out = {}
    for q in queries[:10]:
        searcher.search(q, [KB], limit=10)
    for mode in ("lexical", "dense", "hybrid"):
        times = []
        for q in queries:
            start = time.perf_counter()
            searcher.search(q, [KB], limit=10, mode=mode)  # type: ignore[arg-type]
            times.append((time.perf_counter() - start) * 1000)
        out[mode] = {
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
        }
    return out


def prepare(
    backend: str,
    url: str | None,
    size: int,
    data: Path,
    queries: list[str],
    args: argparse.Namespace,
):
    """Write the corpus, create a bench admin with an API key and time the searcher in-process;
    returns (data_dir, env, key, baseline)."""
    data_dir = OUT / "http_load" / backend / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    env = dict(os.environ)
    overrides: dict[str, Any] = {}
    if url:
        wipe_postgres(url)
        env["TOKENBASE_DATABASE_URL"] = url
        overrides["database_url"] = url
    # Every request embeds its query: the worst case, and what 200 questions repeated for
    # 30 s would otherwise hide behind the per-process query cache.
    overrides["search"] = {"query_cache_size": 0}
    env["TOKENBASE_SEARCH__QUERY_CACHE_SIZE"] = "0"
    platform = Platform(load_settings(data_dir, **overrides))
    try:
        start = time.perf_counter()
        pool = build_pool(platform, data, size, args)
        write_corpus(platform.db.engine, pool, platform.embedder.name, platform.searcher.lexical)
        platform.searcher.vectors.sync()  # type: ignore[union-attr]
        print(f"[{backend}] corpus of {size} chunks in {time.perf_counter() - start:.0f} s")
        key = create_bench_key(platform)
        baseline = in_process_baseline(platform, queries)
        print(f"[{backend}] in-process Searcher.search: {baseline}", flush=True)
    finally:
        platform.close()  # saves the ANN file, so servers start warm
    env["TOKENBASE_SERVER__RATE_LIMIT_PER_MINUTE"] = "0"
    return data_dir, env, key, baseline


def create_bench_key(platform: Platform) -> str:
    from tokenbase.identity.keys import create_key
    from tokenbase.identity.users import create_user

    with platform.db.engine.begin() as conn:
        user = create_user(conn, "bench", password=None, role="admin", clearance=3)
        return create_key(conn, user.id, "bench", ["read"])[1]


def start_servers(
    n: int, data_dir: Path, env: dict[str, str]
) -> tuple[list[subprocess.Popen], list[str]]:
    procs, urls = [], []
    for _ in range(n):
        port = free_port()
        cmd = [sys.executable, "-m", "tokenbase", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", str(port), "--data-dir", str(data_dir), "--no-worker"]
        procs.append(
            subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
        urls.append(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 180
    for url, proc in zip(urls, procs, strict=True):
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server at {url} did not come up")
            time.sleep(0.5)
    return procs, urls


def stop_servers(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def run_load(
    urls: list[str], key: str, queries: list[str], clients: int, seconds: float, warmup: float
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds

    async def client(i: int, http: httpx.AsyncClient) -> None:
        nonlocal errors
        n = i
        while time.perf_counter() < stop_at:
            url = urls[n % len(urls)]
            body = {"query": queries[n % len(queries)], "kbs": [KB], "limit": 10}
            n += clients
            t0 = time.perf_counter()
            try:
                response = await http.post(f"{url}/search", json=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                errors += 1
                continue
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= stop_at:
                latencies.append((t1 - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        await asyncio.gather(*(client(i, http) for i in range(clients)))
    ok = statuses.get(200, 0)
    return {
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": errors,
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 50), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--noise", type=float, default=0.5)
    parser.add_argument("--real-vectors", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=OUT / "http_load.json")
    args = parser.parse_args()
    data = require_data(*(f"{n}/corpus.jsonl" for n in RETRIEVAL_SETS))
    info = machine_info()
    print_machine(info)
    queries = load_queries(data, args.queries)
    pg_url = os.environ.get("TOKENBASE_BENCH_PG_URL") or os.environ.get("TOKENBASE_TEST_PG_URL")
    report: dict[str, Any] = {"machine": info, "size": args.size, "runs": []}
    rows = []
    for backend in args.backends:
        if backend == "postgresql" and not pg_url:
            print("SKIP postgresql: set TOKENBASE_BENCH_PG_URL (scripts/test-postgres.sh)")
            continue
        data_dir, env, key, baseline = prepare(
            backend, pg_url if backend == "postgresql" else None, args.size, data, queries, args
        )
        report.setdefault("in_process", {})[backend] = baseline
        for n_proc in args.processes:
            procs, urls = start_servers(n_proc, data_dir, env)
            try:
                for clients in args.clients:
                    result = asyncio.run(
                        run_load(urls, key, queries, clients, args.seconds, args.warmup)
                    )
                    run = {"backend": backend, "processes": n_proc, "clients": clients, **result}
                    report["runs"].append(run)
                    print(run, flush=True)
                    rows.append(
                        [
                            backend,
                            n_proc,
                            clients,
                            run["rps"],
                            run["p50_ms"],
                            run["p95_ms"],
                            run["requests"] - run["ok"] + run["transport_errors"],
                        ]
                    )
            finally:
                stop_servers(procs)
    print(
        "\n"
        + markdown_table(
            ["backend", "processes", "clients", "req/s", "p50 ms", "p95 ms", "errors"], rows
        )
    )
    write_json(args.out, report)


if __name__ == "__main__":
    main()
