"""`tokenbase guard mask` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tokenbase.cli import app

runner = CliRunner()
TEXT = "联系人：王小明，手机13812345678，邮箱 wxm@example.com"


def invoke(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["guard", "mask", *args, "-d", str(tmp_path / "data")])


def test_mask_shows_text_spans_and_values(tmp_path: Path) -> None:
    result = invoke(tmp_path, TEXT)
    assert result.exit_code == 0, result.output
    assert "联系人：〔姓名1〕，手机〔手机号1〕，邮箱 〔邮箱1〕" in result.output
    assert "13812345678" in result.output and "mobile" in result.output


def test_mask_json_without_values(tmp_path: Path) -> None:
    result = invoke(tmp_path, TEXT, "--json", "--no-values", "--types", "mobile,email")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text"] == "联系人：王小明，手机〔手机号1〕，邮箱 〔邮箱1〕"
    assert [s["type"] for s in data["spans"]] == ["mobile", "email"]
    assert "mapping" not in data and "13812345678" not in result.output
    assert not (tmp_path / "data" / "tokenbase.db").exists()  # nothing persisted


def test_mask_json_with_values_from_file(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_text(TEXT, encoding="utf-8")
    data = json.loads(invoke(tmp_path, "--file", str(source), "--json").output)
    assert data["mapping"]["〔手机号1〕"] == "13812345678"


def test_mask_errors_name_the_fix(tmp_path: Path) -> None:
    assert "--types" in invoke(tmp_path, "x", "--types", "shoe").output
    result = invoke(tmp_path)
    assert result.exit_code == 1 and "--file" in result.output
