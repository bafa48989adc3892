"""`tokenbase agent templates / import / export` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app

runner = CliRunner()


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"})


def test_templates_import_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    r = runner.invoke(app, ["agent", "templates", "--json"])
    assert r.exit_code == 0, r.output
    keys = [t["key"] for t in json.loads(r.output)]
    assert "sales-proposal" in keys and "material-librarian" in keys
    r = runner.invoke(app, ["agent", "templates"], env={"COLUMNS": "200"})
    assert "素材魔方" in r.output and "电气助手" in r.output

    r = invoke(data, "agent", "import", "sales-proposal")
    assert r.exit_code == 0, r.output
    assert "created agent sales-proposal" in r.output and "3 sample document(s)" in r.output
    # No administrator to act as: the production label waits, the prompt still resolves.
    assert "prompt label sales-proposal.answer 1 production --as ADMIN" in r.output

    out = tmp_path / "sales.agent.json"
    r = invoke(data, "agent", "export", "sales-proposal", "-o", str(out), "--with-knowledge")
    assert r.exit_code == 0 and "3 document(s)" in r.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["agent"]["display_name"] == "销售方案助手"
    r = invoke(data, "agent", "export", "sales-proposal")
    assert json.loads(r.output)["prompt"]["name"] == "sales-proposal.answer"

    r = invoke(data, "agent", "import", str(out))
    assert r.exit_code == 1 and "--name NAME" in r.output
    r = invoke(data, "agent", "import", str(out), "--name", "quotes", "--no-knowledge", "--json")
    result = json.loads(r.output)
    assert r.exit_code == 0 and result["prompt_action"] == "reused"
    assert result["agent"]["kbs"] == ["sales-pricing"] and result["documents"] == 0

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**exported, "format": "other"}), encoding="utf-8")
    r = invoke(data, "agent", "import", str(bad))
    assert r.exit_code == 1 and "not an agent template" in r.output
    bad.write_text("{not json", encoding="utf-8")
    r = invoke(data, "agent", "import", str(bad))
    assert r.exit_code == 1 and "not a JSON agent template" in r.output
    r = invoke(data, "agent", "import", "no-such-template")
    assert r.exit_code == 1 and "hr-policy" in r.output and "template file" in r.output
    r = invoke(data, "agent", "export", "nope")
    assert r.exit_code == 1 and "agent ls" in r.output
