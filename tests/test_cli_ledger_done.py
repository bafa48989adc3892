"""Issue 4's "done when", through the CLI against a scripted OpenAI-compatible server:
`tokenbase ask` streams a generative answer with checked citations; the ledger shows the call
with its CNY cost and attribution; a department at its hard budget is blocked, then
downgraded; the report shows cost per outcome and ROI."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app

from .llm.openai_server import ScriptedServer, Stream, usage

runner = CliRunner()
QUESTION = "一线城市普通员工出差住宿标准是多少？"
POLICY = "# 差旅制度\n\n## 住宿标准\n\n一线城市普通员工住宿每晚不超过500元，经理不超过650元。\n"


def _run(data_dir: Path, *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir)], input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def _config(base_url: str) -> str:
    return f"""
[llm]
default_tier = "standard"
max_retries = 0

[[llm.providers]]
name = "cloud"
base_url = "{base_url}"
deployment = "public"
models = ["m1"]

[[llm.providers]]
name = "local"
base_url = "{base_url}"
deployment = "private"
models = ["m3"]

[llm.tiers]
standard = ["cloud/m1"]
cheap = ["local/m3"]

[[ledger.prices]]
model = "cloud/m1"
input = 2
output = 8
"""


def test_generative_answer_ledger_budget_and_roi(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "差旅制度.md").write_text(POLICY, encoding="utf-8")
    month = date.today().strftime("%Y-%m")
    with ScriptedServer() as server:
        (data / "tokenbase.toml").write_text(_config(server.base_url), encoding="utf-8")
        _run(data, "admin", "create", "--username", "root", "--password-stdin", stdin="Gx7-pass\n")
        _run(data, "dept", "create", "总部")
        _run(data, "dept", "create", "研发部", "--parent", "总部")
        _run(data, "user", "create", "alice", "--department", "总部/研发部")
        _run(data, "ingest", str(tmp_path / "差旅制度.md"))
        _run(data, "grant", "default", "--department", "总部", "--level", "read")

        # 1. A streamed, generative answer with a checked citation.
        server.script(
            "m1", Stream(["一线城市普通员工住宿", "每晚不超过500元[1]。"], usage=usage(1000, 200))
        )
        out = _run(data, "ask", QUESTION, "--as", "alice")
        assert "一线城市普通员工住宿每晚不超过500元[1]。" in out
        assert "差旅制度" in out and "逐句" in out  # citation list and the generative note

        # 2. The ledger has it, priced and attributed to alice, 研发部 and kb.ask.
        events = json.loads(_run(data, "ledger", "events", "--json"))
        chat = [e for e in events if e["kind"] == "chat"]
        assert len(chat) == 1
        assert Decimal(chat[0]["cost_cny"]) == Decimal("0.0036")  # 1000×2/1e6 + 200×8/1e6
        assert chat[0]["scenario"] == "kb.ask" and chat[0]["model"] == "m1"
        assert chat[0]["user_id"] is not None and chat[0]["department_id"] is not None
        by_dept = json.loads(
            _run(data, "ledger", "report", "--by", "department", "--month", month, "--json")
        )
        dept_row = next(r for r in by_dept["rows"] if "研发部" in r["label"])
        assert Decimal(dept_row["cost_cny"]) == Decimal("0.0036")

        # 3. At its hard budget the department is blocked: the answer falls back to extractive.
        _run(
            data,
            "budget",
            "set",
            "--department",
            "总部/研发部",
            "--hard",
            "0.004",
            "--action",
            "block",
        )
        blocked = json.loads(_run(data, "ask", QUESTION, "--as", "alice", "--json"))
        assert blocked["kind"] == "extractive" and "500元" in blocked["answer"]
        assert "budget" in blocked["fallback_reason"]
        assert not any(
            body.get("model") == "m1" for path, body, _ in server.requests[1:] if "chat" in path
        )

        # 4. Set to downgrade instead: the call goes to the cheaper tier.
        _run(
            data,
            "budget",
            "set",
            "--department",
            "总部/研发部",
            "--hard",
            "0.004",
            "--action",
            "downgrade",
            "--downgrade-tier",
            "cheap",
        )
        server.script(
            "m3", Stream(["一线城市普通员工住宿每晚不超过500元[1]。"], usage=usage(900, 100))
        )
        downgraded = json.loads(_run(data, "ask", QUESTION, "--as", "alice", "--json"))
        assert downgraded["kind"] == "generative"
        assert downgraded["model"]["model"] == "m3"

        # 5. Outcomes: cost per outcome and ROI for the scenario.
        _run(
            data,
            "outcome",
            "add",
            "--kind",
            "工单解决",
            "--count",
            "2",
            "--value",
            "300",
            "--scenario",
            "kb.ask",
        )
        roi = json.loads(_run(data, "ledger", "roi", "--month", month, "--json"))
        row = next(r for r in roi if r["scenario"] == "kb.ask")
        cost = Decimal(row["cost_cny"])
        assert cost == Decimal("0.0036")  # the private model is free; the blocked call cost 0
        assert row["outcomes"] == 2
        assert Decimal(row["cost_per_outcome_cny"]) == Decimal("0.0018")
        assert Decimal(row["roi"]) == (Decimal(300) / cost).quantize(Decimal(row["roi"]))
