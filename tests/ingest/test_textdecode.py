"""decode_text: every encoding Chinese text files arrive in, and refusal of garbage."""

from __future__ import annotations

import random
import zlib

import pytest

from tokenbase.ingest.errors import DecodingError
from tokenbase.ingest.textdecode import decode_text

from .parsers.tablemakers import TXT, make_txt

SIMPLIFIED = "差旅费报销管理办法：员工出差须提前申请，住宿标准为每晚六百元。"
TRADITIONAL = "差旅費報銷管理辦法：員工出差須提前申請，住宿標準為每晚六百元。公司全體員工適用。"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", False),
        ("utf-8", True),
        ("gb18030", False),
        ("gbk", False),
        ("utf-16-le", True),
        ("utf-16-be", True),
        ("utf-16-le", False),
        ("utf-16-be", False),
        ("utf-32-le", True),
        ("utf-32-be", False),
    ],
)
def test_each_encoding_decodes_to_the_same_text(encoding: str, bom: bool):
    data = make_txt(encoding=encoding, bom=bom)
    assert decode_text(data, "制度.txt") == TXT  # CRLF normalised, BOM dropped


def test_utf16_without_bom_or_ascii_is_still_recognised():
    text = "中文内容测试报销制度管理办法公司员工"
    assert decode_text(text.encode("utf-16-le"), "a.txt") == text
    assert decode_text(text.encode("utf-16-be"), "a.txt") == text


def test_gb18030_four_byte_characters():
    text = "生僻字𠀀与表情😀同在一份报销说明中。"
    assert decode_text(text.encode("gb18030"), "a.txt") == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (TRADITIONAL, "big5"),
        ("これは日本語のテキストです。東京都に住んでいます。今日はいい天気ですね。", "euc_jp"),
        (
            "한국어 텍스트입니다. 안녕하세요 여러분. 회사의 출장비 규정에 따라 제출하십시오.",
            "euc_kr",
        ),
    ],
)
def test_legacy_cjk_encodings_are_not_read_as_gb18030_mojibake(text: str, encoding: str):
    data = text.encode(encoding)
    assert data.decode("gb18030", errors="replace") != text  # GB18030 would garble it ...
    assert decode_text(data, "a.txt") == text  # ... so it is rejected in favour of detection


def test_windows_1252_smart_quotes():
    text = "It’s a “smart” quote — café prices are €5."
    assert decode_text(text.encode("cp1252"), "notes.txt") == text


def test_newlines_are_normalised_and_empty_input_is_empty():
    assert decode_text(b"a\r\nb\rc\n", "a.txt") == "a\nb\nc\n"
    assert decode_text(b"", "a.txt") == ""


def test_utf8_cut_inside_the_last_character_keeps_the_rest():
    data = SIMPLIFIED.encode("utf-8")[:-1]
    assert decode_text(data, "a.txt") == SIMPLIFIED[:-1]


def test_random_bytes_are_rejected_naming_the_file():
    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(4000))
    with pytest.raises(DecodingError) as info:
        decode_text(data, "乱码.txt")
    message = str(info.value)
    assert "乱码.txt" in message and "UTF-8" in message


def test_high_bytes_that_gb18030_accepts_are_still_rejected():
    rng = random.Random(11)
    data = bytes(rng.randrange(0x81, 0xFF) for _ in range(4000))
    data.decode("gb18030")  # strictly "valid" ...
    with pytest.raises(DecodingError) as info:
        decode_text(data, "mis-encoded.txt")  # ... but not text
    message = str(info.value)
    assert "mis-encoded.txt" in message
    assert "GB18030" in message and "re-save it as UTF-8" in message


def test_binary_file_named_txt_is_rejected():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + zlib.compress(SIMPLIFIED.encode() * 50)
    with pytest.raises(DecodingError) as info:
        decode_text(png, "image.txt")
    assert "image.txt" in str(info.value) and "binary" in str(info.value)


def test_bom_with_invalid_content_is_rejected():
    with pytest.raises(DecodingError) as info:
        decode_text(b"\xff\xfe\x00\xd8a\x00", "bad.txt")  # UTF-16 BOM, then a lone surrogate
    assert "bad.txt" in str(info.value) and "UTF-16" in str(info.value)
