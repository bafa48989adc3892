"""`tokenbase agent create / ls / chat` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app
from tokenbase.config import load_settings
from tokenbase.identity.users import create_user
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus
from .world import HR_QUESTION, ingest

runner = CliRunner()


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"})


def test_create_list_and_chat(tmp_path: Path) -> None:
    data = tmp_path / "data"
    platform = Platform(load_settings(data))
    try:
        ingest(platform, write_corpus(tmp_path / "docs"), "hr")
        with platform.db.engine.begin() as conn:
            create_user(conn, "alice", password=None)  # no grants: reads nothing
    finally:
        platform.close()

    r = invoke(data, "agent", "create", "hr", "--kb", "hr", "--description", "人事制度问答")
    assert r.exit_code == 0, r.output
    r = invoke(data, "agent", "create", "it", "--kb", "nope")
    assert r.exit_code == 1 and "unknown knowledge base" in r.output and "kb list" in r.output
    r = invoke(data, "agent", "ls", "--json")
    assert [a["name"] for a in json.loads(r.output)] == ["hr"]

    r = invoke(data, "agent", "chat", "hr", HR_QUESTION)
    assert r.exit_code == 1 and "no administrator" in r.output
    r = invoke(data, "agent", "chat", "hr", HR_QUESTION, "--as", "alice", "--json")
    first = json.loads(r.output)
    assert r.exit_code == 0 and not first["found"]  # an agent adds no access of its own
    r = invoke(data, "agent", "chat", "nope", "hi", "--as", "alice")
    assert r.exit_code == 1 and "agent ls" in r.output

    platform = Platform(load_settings(data))
    try:
        with platform.db.engine.begin() as conn:
            create_user(conn, "root", password=None, role="admin", clearance=3)
    finally:
        platform.close()
    r = invoke(data, "agent", "chat", "hr", HR_QUESTION)
    assert r.exit_code == 0 and "500元" in r.output and "conversation" in r.output
    conversation = r.output.strip().rsplit(" ", 1)[-1]
    r = invoke(data, "agent", "chat", "hr", "那更高的级别呢？", "-c", conversation, "--json")
    assert "650元" in json.loads(r.output)["answer"]


def test_tools_on_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    Platform(load_settings(data)).close()
    r = invoke(data, "agent", "create", "clerk", "--tool", "record_item", "--tool", "nope")
    assert r.exit_code == 1 and "unknown tool(s): nope" in r.output and "kb_search" in r.output
    r = invoke(data, "agent", "create", "auto")
    assert r.exit_code == 1 and "front desk" in r.output
    r = invoke(data, "agent", "create", "clerk", "--tool", "record_item", "--tool", "kb_search")
    assert r.exit_code == 0, r.output
    r = invoke(data, "agent", "ls", "--json")
    assert json.loads(r.output)[0]["tools"] == ["record_item", "kb_search"]
    r = invoke(data, "agent", "tools", "--json")
    assert [t["name"] for t in json.loads(r.output)] == ["kb_search", "ask_agent", "record_item"]
    r = invoke(data, "agent", "trace", "no-such-trace")
    assert r.exit_code == 1 and "no tool calls" in r.output
