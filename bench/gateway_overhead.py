"""Gateway overhead per chat call, against a direct httpx call to the same server, same run.

A scripted OpenAI-compatible server on 127.0.0.1 (tests/llm/openai_server.py) answers every
request with the same small completion. Calls alternate between the two paths so drift in the
machine's load hits both alike:

- direct:  httpx.Client.post("/chat/completions", json=body).json()  (what a caller without a
           gateway would do, keep-alive connection included)
- gateway: Gateway.chat(messages, tier="bench") — routing, breaker, reservation, the provider
           call, usage parsing, CallRecord, meter.record

Two meters: a no-op in-memory meter (the gateway's own cost) and the real Ledger on a SQLite
file (gateway + metering: reserve + one usage event and daily rollup per call).

    python bench/gateway_overhead.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from common import OUT, ROOT, machine_info, percentile, print_machine, write_json

from tokenbase.config import LLMSettings
from tokenbase.ledger.attribution import attributed
from tokenbase.llm.gateway import Gateway
from tokenbase.llm.metering import NullMeter

sys.path.insert(0, str(ROOT))  # the scripted server lives with the tests
from tests.llm.openai_server import Reply, ScriptedServer, usage  # noqa: E402

MESSAGES = [
    {"role": "system", "content": "你是公司知识库助手，只根据资料回答。"},
    {"role": "user", "content": "一线城市出差住宿标准是多少？"},
]


def real_ledger(path: Path) -> Any:
    from tokenbase.db import open_database
    from tokenbase.ledger import Ledger

    if path.exists():
        path.unlink()
    return Ledger(open_database(f"sqlite:///{path}").engine)


def measure(server: ScriptedServer, meter: Any, calls: int) -> dict[str, Any]:
    settings = LLMSettings(
        providers=[{"name": "deepseek", "base_url": server.base_url, "models": ["deepseek-chat"]}],
        tiers={"bench": ["deepseek/deepseek-chat"]},
        default_tier="bench",
    )
    gateway = Gateway(settings, meter)
    client = httpx.Client(base_url=server.base_url, timeout=60)
    body = {"model": "deepseek-chat", "messages": MESSAGES, "max_tokens": 1024}
    direct: list[float] = []
    through: list[float] = []
    with attributed(department_id=1, user_id=1, scenario="bench"):
        for _ in range(50):  # warm up: connections, imports, caches
            client.post("/chat/completions", json=body).json()
            gateway.chat(MESSAGES)
        for _ in range(calls):
            t0 = time.perf_counter()
            client.post("/chat/completions", json=body).json()
            t1 = time.perf_counter()
            gateway.chat(MESSAGES)
            t2 = time.perf_counter()
            direct.append((t1 - t0) * 1000)
            through.append((t2 - t1) * 1000)
    paired = [g - d for g, d in zip(through, direct, strict=True)]
    return {
        "calls": calls,
        "direct_ms": {"median": statistics.median(direct), "p95": percentile(direct, 95)},
        "gateway_ms": {"median": statistics.median(through), "p95": percentile(through, 95)},
        "overhead_ms": {
            "median_of_differences": statistics.median(paired),
            "difference_of_medians": statistics.median(through) - statistics.median(direct),
            "difference_of_p95": percentile(through, 95) - percentile(direct, 95),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    info = machine_info()
    print_machine(info)
    results: dict[str, Any] = {"machine": info}
    with ScriptedServer() as server:
        server.default["deepseek-chat"] = Reply(
            "一线城市普通员工住宿每晚不超过500元。[1]", usage=usage(420, 18, cached=256)
        )
        results["null_meter"] = measure(server, NullMeter(), args.calls)
        results["sqlite_ledger"] = measure(
            server, real_ledger(OUT / "gateway_overhead" / "ledger.db"), args.calls
        )
    for name in ("null_meter", "sqlite_ledger"):
        r = results[name]
        d, g, o = r["direct_ms"], r["gateway_ms"], r["overhead_ms"]
        print(
            f"{name:14} direct median {d['median']:.3f} ms p95 {d['p95']:.3f} | gateway median "
            f"{g['median']:.3f} ms p95 {g['p95']:.3f} | overhead median "
            f"{o['median_of_differences']:.3f} ms, p95 diff {o['difference_of_p95']:.3f} ms"
        )
    write_json(OUT / "gateway_overhead.json", results)


if __name__ == "__main__":
    main()
