"""Masking, restoring and the encrypted mapping store, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tokenbase.config import ConfigError, PiiSettings
from tokenbase.db import open_database
from tokenbase.db.schema import pii_mappings
from tokenbase.guard.pii import PiiKeyError, PiiMasker

TEXT = "请联系张伟先生，手机13812345678，邮箱 zhang.wei@example.com。张伟的备用手机 13987654321。"


@pytest.fixture
def masker(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PiiMasker:
    monkeypatch.delenv("TOKENBASE_PII_KEY", raising=False)
    engine = open_database(database_url).engine
    yield PiiMasker(engine, PiiSettings(), tmp_path / "data")
    engine.dispose()


def test_mask_numbers_each_type_and_reuses_placeholders(masker: PiiMasker) -> None:
    result = masker.mask(TEXT, "conv-1")
    assert result.text == (
        "请联系〔姓名1〕先生，手机〔手机号1〕，邮箱 〔邮箱1〕。〔姓名1〕的备用手机 〔手机号2〕。"
    )
    assert result.mapping == {
        "〔姓名1〕": "张伟",
        "〔手机号1〕": "13812345678",
        "〔邮箱1〕": "zhang.wei@example.com",
        "〔手机号2〕": "13987654321",
    }
    assert [s.span.start for s in result.spans] == sorted(s.span.start for s in result.spans)
    # Later in the same conversation: same value, same placeholder, even spelled differently.
    again = masker.mask("再打一次 +86 139-8765-4321 或 13812345678，新号码13700001111", "conv-1")
    assert again.text == "再打一次 〔手机号2〕 或 〔手机号1〕，新号码〔手机号3〕"


def test_scopes_are_separate(masker: PiiMasker) -> None:
    masker.mask("手机13812345678", "conv-a")
    other = masker.mask("手机13987654321", "conv-b")
    assert other.text == "手机〔手机号1〕"
    assert masker.restore("〔手机号1〕", "conv-a") == "13812345678"
    assert masker.restore("〔手机号1〕", "conv-b") == "13987654321"
    assert masker.restore("〔手机号1〕", "conv-c") == "〔手机号1〕"


def test_restore_round_trip_and_model_mangling(masker: PiiMasker) -> None:
    result = masker.mask(TEXT, "conv-1")
    assert masker.restore(result.text, "conv-1") == TEXT
    answer = (
        "已通知〔 姓名 1 〕（【手机号1】），并抄送[邮箱1]；"
        "再次确认〔手机号1〕〔手机号1〕。〔手机号7〕"
    )
    assert masker.restore(answer, "conv-1") == (
        "已通知张伟（13812345678），并抄送zhang.wei@example.com；再次确认1381234567813812345678。"
        "〔手机号7〕"
    )


def test_english_placeholders(database_url: str, tmp_path: Path) -> None:
    settings = PiiSettings(placeholder_language="en")
    masker = PiiMasker(open_database(database_url).engine, settings, tmp_path)
    result = masker.mask("手机13812345678", "s")
    assert result.text == "手机〔PHONE_1〕"
    assert masker.restore("call [phone_1] or 〔手机号1〕", "s") == "call 13812345678 or 13812345678"


def test_mask_messages(masker: PiiMasker) -> None:
    messages = [
        {"role": "system", "content": "你是客服助手。"},
        {"role": "user", "content": "我的手机是13812345678"},
        {"role": "assistant", "content": None, "tool_calls": []},
        {"role": "user", "content": "还是13812345678，邮箱a@b.cn"},
    ]
    masked, result = masker.mask_messages(messages, "trace-9")
    assert [m.get("content") for m in masked] == [
        "你是客服助手。",
        "我的手机是〔手机号1〕",
        None,
        "还是〔手机号1〕，邮箱〔邮箱1〕",
    ]
    assert masked[2]["tool_calls"] == [] and messages[1]["content"] == "我的手机是13812345678"
    assert result.mapping == {"〔手机号1〕": "13812345678", "〔邮箱1〕": "a@b.cn"}
    with pytest.raises(TypeError):
        masker.mask_messages(["hi"], "trace-9")  # type: ignore[list-item]


def test_mask_messages_with_content_parts(masker: PiiMasker) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    messages = [{"role": "user", "content": [{"type": "text", "text": "手机13812345678"}, image]}]
    masked, result = masker.mask_messages(messages, "trace-9")
    assert masked[0]["content"] == [{"type": "text", "text": "手机〔手机号1〕"}, image]
    assert result.mapping == {"〔手机号1〕": "13812345678"}


def test_types_choose_what_is_masked(database_url: str, tmp_path: Path) -> None:
    masker = PiiMasker(open_database(database_url).engine, PiiSettings(types=["mobile"]), tmp_path)
    assert masker.mask("张伟先生 13812345678 a@b.cn", "s").text == "张伟先生 〔手机号1〕 a@b.cn"
    assert masker.mask("a@b.cn", "s", types={"email"}).text == "〔邮箱1〕"
    with pytest.raises(ConfigError, match="guard.pii.types"):
        PiiMasker(None, PiiSettings(types=["mobile", "shoe_size"]), tmp_path)


def test_bad_scope(masker: PiiMasker) -> None:
    with pytest.raises(ValueError, match="scope"):
        masker.mask("x", "")


def test_values_are_encrypted_at_rest(masker: PiiMasker, database_url: str) -> None:
    masker.mask(TEXT, "conv-1")
    with open_database(database_url).engine.connect() as conn:
        rows = conn.execute(select(pii_mappings)).mappings().all()
    assert len(rows) == 4
    dump = repr([dict(r) for r in rows])
    for value in ("张伟", "13812345678", "zhang.wei", "example.com", "13987654321"):
        assert value not in dump


def test_key_file_is_private_and_a_wrong_key_is_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOKENBASE_PII_KEY", raising=False)
    engine = open_database(database_url).engine
    PiiMasker(engine, PiiSettings(), tmp_path / "a").mask("手机13812345678", "s")
    key_file = tmp_path / "a" / "pii.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    other = PiiMasker(engine, PiiSettings(), tmp_path / "b")  # another replica, another key
    with pytest.raises(PiiKeyError, match="same key"):
        other.restore("〔手机号1〕", "s")
    monkeypatch.setenv("TOKENBASE_PII_KEY", key_file.read_text())
    shared = PiiMasker(engine, PiiSettings(), tmp_path / "b")
    assert shared.restore("〔手机号1〕", "s") == "13812345678"
    monkeypatch.setenv("TOKENBASE_PII_KEY", "not-a-key")
    with pytest.raises(PiiKeyError, match="TOKENBASE_PII_KEY"):
        PiiMasker(engine, PiiSettings(), tmp_path / "b")


def test_expired_mappings_are_purged_and_not_restored(masker: PiiMasker, database_url: str) -> None:
    masker.mask("手机13812345678", "old")
    masker.mask("手机13987654321", "new")
    engine = open_database(database_url).engine
    with engine.begin() as conn:
        conn.execute(
            update(pii_mappings)
            .where(pii_mappings.c.scope == "old")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert masker.restore("〔手机号1〕", "old") == "〔手机号1〕"
    assert masker.purge_expired() == 1
    assert masker.restore("〔手机号1〕", "new") == "13987654321"
    # A value masked again after expiry starts a fresh numbering.
    assert masker.mask("手机13700001111 13812345678", "old").text == "手机〔手机号1〕 〔手机号2〕"


def test_using_a_scope_extends_its_expiry(masker: PiiMasker, database_url: str) -> None:
    masker.mask("手机13812345678", "s")
    engine = open_database(database_url).engine
    soon = datetime.now(UTC) + timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(update(pii_mappings).values(expires_at=soon))
    masker.mask("邮箱 a@b.cn", "s")
    with engine.connect() as conn:
        expiries = conn.execute(select(pii_mappings.c.expires_at)).scalars().all()
    assert all(e.replace(tzinfo=e.tzinfo or UTC) > soon + timedelta(hours=1) for e in expiries)


def test_two_replicas_share_numbering(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("TOKENBASE_PII_KEY", Fernet.generate_key().decode())
    one = PiiMasker(open_database(database_url).engine, PiiSettings(), tmp_path / "1")
    two = PiiMasker(open_database(database_url).engine, PiiSettings(), tmp_path / "2")
    assert one.mask("13812345678", "s").text == "〔手机号1〕"
    assert two.mask("13987654321 13812345678", "s").text == "〔手机号2〕 〔手机号1〕"
    assert one.restore("〔手机号2〕", "s") == "13987654321"


def test_in_memory_masker_needs_no_database(tmp_path: Path) -> None:
    masker = PiiMasker(None, PiiSettings(), tmp_path)
    result = masker.mask(TEXT, "s")
    assert masker.restore(result.text, "s") == TEXT
    assert not (tmp_path / "pii.key").exists()
