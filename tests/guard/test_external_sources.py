"""Red line 3: an answer that leaves the company uses only sources cleared for external use,
and says which relevant sources it left out."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app

runner = CliRunner()
DOCS = {
    "产品手册.md": ("external", "# 产品手册\n\n星河云盘企业版的标准售价为每用户每年300元。\n"),
    "内部定价.md": (
        "internal",
        "# 内部定价\n\n星河云盘企业版的成本价为每用户每年90元，最低折扣七折。\n",
    ),
    "行业报告.md": ("third_party", "# 行业报告\n\n星河云盘企业版在行业报告中的市场份额为12%。\n"),
}
QUESTION = "星河云盘企业版的价格是多少？"


def _run(data: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_external_answers_use_only_cleared_sources(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name, (usage, body) in DOCS.items():
        folder = tmp_path / usage
        folder.mkdir()
        (folder / name).write_text(body, encoding="utf-8")
        _run(data, "ingest", str(folder), "--kb", "sales", "--usage", usage)

    internal = json.loads(_run(data, "ask", QUESTION, "--kb", "sales", "--json"))
    assert internal["audience"] == "internal" and internal["excluded_sources"] == []
    titles = {r["title"] for r in internal["results"]}
    assert {"内部定价", "产品手册"} <= titles

    external = json.loads(_run(data, "ask", QUESTION, "--kb", "sales", "--external", "--json"))
    assert external["found"] and "300元" in external["answer"]
    assert "90元" not in external["answer"] and "七折" not in external["answer"]
    assert {c["title"] for c in external["citations"]} == {"产品手册"}
    assert {r["title"] for r in external["results"]} == {"产品手册"}
    left_out = {s["title"]: s["usage"] for s in external["excluded_sources"]}
    assert left_out == {"内部定价": "internal", "行业报告": "third_party"}
    assert "已排除2份" in external["note"]

    # The CLI refuses an unknown usage label with the accepted ones.
    result = runner.invoke(
        app, ["ingest", str(tmp_path / "external"), "--usage", "public", "--data-dir", str(data)]
    )
    assert result.exit_code != 0 and "third_party" in result.output
