"""The `prompt` commands through the CLI runner: create, commit, show, label (production
needs --as an admin or owner), render with typed variables, report."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app

runner = CliRunner()


def invoke(data_dir: Path, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app, [*args, "--data-dir", str(data_dir)], env={"COLUMNS": "200"}, input=input
    )


def ok(data_dir: Path, *args: str, input: str | None = None) -> str:
    result = invoke(data_dir, *args, input=input)
    assert result.exit_code == 0, (args, result.output)
    return result.output


def test_prompt_lifecycle(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ok(data, "admin", "create", "--username", "boss", "--password-stdin", input="boss-pass-12\n")
    ok(data, "user", "create", "mia")
    chat = tmp_path / "mail.json"
    chat.write_text(
        json.dumps(
            [
                {"role": "system", "content": "语气：{{tone}}"},
                {"role": "user", "content": "给{{customer}}写{{n}}句话"},
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = ok(
        data,
        "prompt", "create", "sales.mail", "--file", str(chat), "--chat",
        "--var", "tone:enum(正式|轻松):正式", "--var", "customer", "--var", "n:int:3",
        "--param", "temperature=0.2", "-m", "first", "--as", "mia",
    )  # fmt: skip
    assert "sales.mail@1" in out
    ok(data, "prompt", "commit", "sales.mail", "--param", "max_tokens=200", "-m", "cap")
    shown = json.loads(ok(data, "prompt", "show", "sales.mail@2", "--json"))
    assert shown["params"] == {"max_tokens": 200, "temperature": 0.2}
    assert shown["author"].startswith("cli:") and shown["labels"] == ["latest"]
    assert json.loads(ok(data, "prompt", "show", "sales.mail@1", "--json"))["author"] == "mia"

    refused = invoke(data, "prompt", "label", "sales.mail", "1", "production", "--as", "mia")
    assert refused.exit_code == 1 and "--as USERNAME" in refused.output
    assert invoke(data, "prompt", "label", "sales.mail", "1", "production").exit_code == 1
    ok(data, "prompt", "label", "sales.mail", "1", "production", "--as", "boss")
    ok(data, "prompt", "label", "sales.mail", "2", "staging")
    listed = {p["name"]: p for p in json.loads(ok(data, "prompt", "ls", "--json"))}
    assert listed["sales.mail"]["labels"] == {"latest": 2, "production": 1, "staging": 2}
    assert "kb.answer.zh" in listed
    entries = json.loads(ok(data, "audit", "ls", "--json"))
    assert [(e["action"], e["actor"], e["detail"]["label"]) for e in entries[:2]] == [
        ("prompt.label", entries[0]["actor"], "staging"),
        ("prompt.label", "boss", "production"),
    ]

    rendered = json.loads(
        ok(data, "prompt", "render", "sales.mail", "--var", "customer=华为", "--json")
    )
    assert rendered["ref"] == "sales.mail@1"
    assert rendered["rendered"][1]["content"] == "给华为写3句话"
    bad = invoke(data, "prompt", "render", "sales.mail:staging", "--var", "n=three")
    assert bad.exit_code == 1 and "variable customer" in bad.output
    bad = invoke(data, "prompt", "render", "sales.mail", "--var", "customer=x", "--var", "n=x")
    assert bad.exit_code == 1 and "variable n must be a whole number" in bad.output
    text = ok(
        data, "prompt", "render", "kb.answer.en", "--var", "sources=[1] a", "--var", "question=q"
    )
    assert "Sources:" in text

    report = json.loads(ok(data, "prompt", "report", "--json"))
    assert {r["ref"] for r in report["rows"]} >= {"sales.mail@1", "sales.mail@2"}
    assert "effective_prompts" in ok(data, "prompt", "report", "--by", "contributor")
    assert invoke(data, "prompt", "report", "--by", "day").exit_code == 1
    assert invoke(data, "prompt", "show", "nope").exit_code == 1
