"""`tokenbase voice record / ls / export / schemas` through the CLI runner (offline rules)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tokenbase.cli import app
from tokenbase.config import load_settings
from tokenbase.identity.users import create_user
from tokenbase.kb.platform import Platform

from .sentences import VISIT

runner = CliRunner()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_record_list_export_and_schemas(tmp_path):
    data = tmp_path / "data"
    platform = Platform(load_settings(data))
    with platform.db.engine.begin() as conn:
        create_user(conn, "alice", password="pw-123456789")
    platform.close()
    d = ["-d", str(data)]

    result = _run("voice", "record", VISIT, "--as", "alice", "--json", *d)
    assert result.exit_code == 0, result.output
    rec = json.loads(result.output)
    assert rec["schema"] == "customer_visit" and rec["username"] == "alice"
    assert rec["data"]["customer"] == "华东电力" and rec["extracted_by"] == "rules"

    result = _run("voice", "record", "打车花了三百五", "--schema", "expense", *d)
    assert result.exit_code == 0 and "350" in result.output and "请核对" in result.output

    result = _run("voice", "record", "今天天气不错", *d)
    assert result.exit_code == 1 and "--schema" in result.output
    result = _run("voice", "record", "打车", "--schema", "expense", *d)
    assert result.exit_code == 1 and "金额" in result.output and "Traceback" not in result.output
    result = _run("voice", "record", "x", "--as", "nobody", *d)
    assert result.exit_code == 1 and "tokenbase user list" in result.output

    listed = json.loads(_run("voice", "ls", "--json", *d).output)
    assert [r["schema"] for r in listed] == ["expense", "customer_visit"]
    mine = json.loads(_run("voice", "ls", "--as", "alice", "--json", *d).output)
    assert [r["schema"] for r in mine] == ["customer_visit"]
    assert "expense" in _run("voice", "ls", "--schema", "expense", *d).output

    out = tmp_path / "visits.csv"
    assert (
        _run("voice", "export", "--schema", "customer_visit", "--out", str(out), *d).exit_code == 0
    )
    assert out.read_bytes().startswith("\ufeff编号".encode())
    out = tmp_path / "x.txt"
    result = _run("voice", "export", "--schema", "expense", "--out", str(out), *d)
    assert result.exit_code == 1 and ".jsonl" in result.output

    schemas = json.loads(_run("voice", "schemas", "--json", *d).output)
    assert {s["name"] for s in schemas} == {"customer_visit", "task", "expense", "follow_up"}
    assert "客户拜访" in _run("voice", "schemas", *d).output
