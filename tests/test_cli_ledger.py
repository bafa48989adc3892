"""Ledger, budget, outcome and prices commands through the CLI runner."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app
from tokenbase.config import load_settings
from tokenbase.kb.platform import Platform
from tokenbase.ledger import Attribution, CallRecord

runner = CliRunner()


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"})


def _seed(data_dir: Path, dept_id: int) -> None:
    platform = Platform(load_settings(data_dir))
    try:
        for i in range(3):
            platform.ledger.record(
                CallRecord(
                    kind="chat",
                    provider="deepseek",
                    model="deepseek-chat",
                    deployment="public",
                    started_at=datetime(2026, 11, 5, 3, i, tzinfo=UTC),
                    request_id=f"r{i}",
                    prompt_tokens=100_000,
                    completion_tokens=10_000,
                ),
                Attribution(department_id=dept_id, scenario="客服", trace_id=f"t{i}"),
            )
    finally:
        platform.close()


def test_ledger_budget_outcome_prices_commands(tmp_path: Path):
    d = tmp_path / "data"
    assert invoke(d, "dept", "create", "总部").exit_code == 0
    assert invoke(d, "dept", "create", "客服部", "--parent", "总部").exit_code == 0
    dept_id = next(
        n["children"][0]["id"] for n in json.loads(invoke(d, "dept", "list", "--json").stdout)
    )
    _seed(d, dept_id)  # 3 calls at deepseek-chat's 2025-09-29 list price: 0.23 CNY each

    report = json.loads(
        invoke(d, "ledger", "report", "--by", "department", "--month", "2026-11", "--json").stdout
    )
    [row] = report["rows"]
    assert row["label"] == "总部/客服部" and row["calls"] == 3
    assert report["total"]["cost_cny"] == "0.690000"  # 3 x (100k x 2 + 10k x 3) / 1M
    table = invoke(d, "ledger", "report", "--by", "scenario", "--month", "2026-11")
    assert table.exit_code == 0 and "客服" in table.stdout and "0.69" in table.stdout

    out = tmp_path / "cogs.csv"
    assert invoke(d, "ledger", "export", "--month", "2026-11", "--out", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese names
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
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
    assert rows[1] == [
        "2026-11",
        "客服部",
        "总部/客服部",
        "客服",
        "deepseek/deepseek-chat",
        "3",
        "330000",
        "0.69",
    ]

    added = invoke(
        d,
        "outcome",
        "add",
        "--kind",
        "ticket resolved",
        "--count",
        "3",
        "--value",
        "60",
        "--scenario",
        "客服",
    )
    assert added.exit_code == 0, added.output
    [roi] = json.loads(invoke(d, "ledger", "roi", "--month", "2026-11", "--json").stdout)
    assert roi["cost_per_outcome_cny"] == "0.230000" and roi["roi"] == "86.9565"  # 60 / 0.69

    ok = invoke(d, "budget", "set", "--department", "客服部", "--hard", "500", "--soft-pct", "80")
    assert ok.exit_code == 0, ok.output
    [budget] = json.loads(invoke(d, "budget", "ls", "--json").stdout)
    assert budget["scope"] == "总部/客服部" and budget["hard_limit_cny"] == "500.000000"
    bad = invoke(d, "budget", "set", "--department", "财务部", "--hard", "5")
    assert bad.exit_code == 1 and "dept list" in bad.output and "Traceback" not in bad.output
    bad = invoke(d, "budget", "set", "--scenario", "x", "--hard", "5", "--action", "downgrade")
    assert bad.exit_code == 1 and "--downgrade-tier" in bad.output
    assert invoke(d, "budget", "rm", str(budget["id"])).exit_code == 0
    gone = invoke(d, "budget", "rm", str(budget["id"]))
    assert gone.exit_code == 1 and "budget ls" in gone.output

    events = json.loads(invoke(d, "ledger", "events", "--limit", "2", "--json").stdout)
    assert len(events) == 2 and events[0]["model"] == "deepseek-chat"
    prices = json.loads(invoke(d, "prices", "ls", "--at", "2025-03-01", "--json").stdout)
    chat = next(p for p in prices if p["model"] == "deepseek-chat")
    assert (chat["input"], chat["output"]) == ("2", "8")
    bad_month = invoke(d, "ledger", "report", "--month", "2026-13")
    assert bad_month.exit_code == 1 and "YYYY-MM" in bad_month.output
