"""`tokenbase models list` and `tokenbase models ping` through the CLI runner, against the
scripted OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tokenbase.cli import app

from .llm.openai_server import Reply, ScriptedServer, Status, usage

runner = CliRunner()


def configure(data_dir: Path, base_url: str) -> None:
    data_dir.mkdir(parents=True)
    (data_dir / "tokenbase.toml").write_text(
        f"""
[llm]
default_tier = "fast"
max_retries = 0

[llm.tiers]
fast = ["cloud/m1", "local/m3"]

[[llm.providers]]
name = "cloud"
base_url = "{base_url}"
api_key_env = "TB_CLI_TEST_KEY"
models = ["m1"]

[[llm.providers]]
name = "local"
base_url = "{base_url}"
deployment = "private"
models = ["m3"]
""",
        encoding="utf-8",
    )


def invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"})


def test_models_list_shows_providers_tiers_and_breakers(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("TB_CLI_TEST_KEY", raising=False)
    d = tmp_path / "data"
    configure(d, "http://127.0.0.1:9/v1")
    out = json.loads(invoke(d, "models", "list", "--json").stdout)
    assert [p["name"] for p in out["providers"]] == ["cloud", "local"]
    assert out["providers"][0]["key_set"] is False
    assert out["tiers"]["fast"] == [
        {"model": "cloud/m1", "breaker": "closed"},
        {"model": "local/m3", "breaker": "closed"},
    ]
    text = invoke(d, "models", "list").stdout
    assert "TB_CLI_TEST_KEY (MISSING)" in text and "fast (default)" in text


def test_models_list_without_providers_says_how_to_add_one(tmp_path: Path):
    result = invoke(tmp_path / "data", "models", "list")
    assert result.exit_code == 0 and "[[llm.providers]]" in result.stdout


@pytest.mark.parametrize("tier", [None, "fast"])
def test_models_ping_reports_each_model(tmp_path: Path, monkeypatch, tier):
    monkeypatch.setenv("TB_CLI_TEST_KEY", "sk-cli-secret")
    with ScriptedServer() as server:
        d = tmp_path / "data"
        configure(d, server.base_url)
        server.script("m1", Reply("pong", usage=usage(3, 1)))
        server.script("m3", Status(500, "model not loaded"))
        args = ["models", "ping", *([tier] if tier else []), "--json"]
        result = invoke(d, *args)
    rows = json.loads(result.stdout)
    assert result.exit_code == 1  # one model is down
    assert rows[0]["model"] == "cloud/m1" and rows[0]["ok"] and rows[0]["prompt_tokens"] == 3
    assert rows[1]["ok"] is False and "model not loaded" in rows[1]["error"]
    assert "sk-cli-secret" not in result.output
    assert server.chat_requests("m1")[0]["max_tokens"] == 8


def test_models_ping_unknown_tier(tmp_path: Path):
    d = tmp_path / "data"
    configure(d, "http://127.0.0.1:9/v1")
    result = invoke(d, "models", "ping", "slow")
    assert result.exit_code == 1 and "no tier 'slow'" in result.output
