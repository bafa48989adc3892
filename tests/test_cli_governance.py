"""audit, approval and badcase commands through the CLI runner: CLI changes are audited as
`cli:<login>`, `audit verify` exits 1 on a tampered log, approvals need `--as` a person."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from tokenbase.cli import app
from tokenbase.config import load_settings
from tokenbase.guard import approvals
from tokenbase.identity.users import get_user_by_name
from tokenbase.kb.platform import Platform

runner = CliRunner()


def invoke(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"}, input=input
    )


def test_cli_changes_are_audited_and_verify_catches_tampering(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in [
        ("admin", "create", "--username", "boss", "--password-stdin"),
        ("user", "create", "mia"),
        ("user", "set", "mia", "--clearance", "2"),
        ("kb", "create", "hr"),
        ("grant", "hr", "--user", "mia", "--level", "read"),
        ("key", "create", "--user", "mia", "--name", "ci"),
        ("key", "revoke", "1"),
        ("budget", "set", "--scenario", "kb.ask", "--hard", "50"),
        ("budget", "rm", "1"),
    ]:
        result = invoke(data, *args, input="boss-password-1\n")
        assert result.exit_code == 0, (args, result.output)
    result = invoke(data, "audit", "ls", "--json")
    entries = json.loads(result.output)
    assert [e["action"] for e in reversed(entries)] == [
        "user.create",
        "user.create",
        "user.update",
        "grant.set",
        "key.create",
        "key.revoke",
        "budget.set",
        "budget.delete",
    ]
    assert all(e["actor"].startswith("cli:") and e["actor_id"] is None for e in entries)
    result = invoke(data, "audit", "verify")
    assert result.exit_code == 0 and "OK: 8 entries" in result.output

    platform = Platform(load_settings(data))
    with platform.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    platform.close()
    result = invoke(data, "audit", "verify", "--json")
    assert result.exit_code == 1
    assert json.loads(result.output)["first_bad_seq"] == 5


def test_cli_approval_decisions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for args in [("user", "create", "mia"), ("user", "create", "boss", "--role", "admin")]:
        assert invoke(data, *args).exit_code == 0
    platform = Platform(load_settings(data))
    runs: list[int] = []
    approvals.register_executor("publish", lambda a, _: runs.append(a.id))
    try:
        with platform.db.engine.begin() as conn:
            mia = get_user_by_name(conn, "mia")
            first = approvals.request_approval(conn, "publish", {"doc": 1}, mia).id
            second = approvals.request_approval(conn, "publish", {"doc": 2}, mia).id
        result = invoke(data, "approval", "approve", str(first))
        assert result.exit_code == 1 and "--as" in result.output
        result = invoke(data, "approval", "approve", str(first), "--as", "mia")
        assert result.exit_code == 1 and "own request" in result.output
        result = invoke(data, "approval", "approve", str(first), "--as", "boss")
        assert result.exit_code == 0 and "approved, run done" in result.output
        assert runs == [first]
        result = invoke(data, "approval", "reject", str(second), "--as", "boss", "--reason", "no")
        assert result.exit_code == 0 and "rejected" in result.output
        assert runs == [first]
        listed = json.loads(invoke(data, "approval", "ls", "--json").output)
        assert [(a["id"], a["status"]) for a in listed] == [
            (second, "rejected"),
            (first, "approved"),
        ]
        assert "pending" not in invoke(data, "approval", "ls").output
    finally:
        approvals.unregister_executor("publish")
        platform.close()
