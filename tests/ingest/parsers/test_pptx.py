"""PowerPoint parser: slides, titles, bullets, tables, speaker notes and broken files."""

from __future__ import annotations

import pytest

from tests.ingest.parsers.makers import make_docx, make_pptx
from tokenbase.ingest.document import Locator, ParsedDocument
from tokenbase.ingest.errors import (
    CorruptDocument,
    EmptyFile,
    EncryptedDocument,
    UnsupportedFormat,
)
from tokenbase.ingest.parsers.pptx import PptxParser
from tokenbase.ingest.registry import ParseOptions


def parse(data: bytes) -> ParsedDocument:
    return PptxParser().parse(data, ParseOptions(source_name="季度会议.pptx"))


@pytest.fixture(scope="module")
def doc() -> ParsedDocument:
    return parse(make_pptx())


def slide(doc: ParsedDocument, number: int) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in doc.blocks if b.locator.slide == number]


def test_parser_declares_pptx() -> None:
    assert PptxParser().extensions == (".pptx",)


def test_title_and_slide_count(doc: ParsedDocument) -> None:
    assert doc.title == "销售会议"
    assert doc.metadata["slide_count"] == 3


def test_title_falls_back_to_first_slide_title() -> None:
    assert parse(make_pptx(core_title=None)).title == "季度销售回顾"


def test_slide_with_bullets_and_notes(doc: ParsedDocument) -> None:
    assert slide(doc, 1) == [
        ("heading", "季度销售回顾"),
        ("list_item", "华东区销售额同比增长百分之二十"),
        ("list_item", "新客户数量创历史新高"),
        ("note", "强调华东区的增长来自新客户。"),
    ]
    located = {b.locator for b in doc.blocks if b.locator.slide == 1}
    assert located == {Locator(slide=1, heading_path=("季度销售回顾",))}
    heading = next(b for b in doc.blocks if b.kind == "heading")
    assert heading.level == 1


def test_table_slide(doc: ParsedDocument) -> None:
    kinds = dict(slide(doc, 2))
    assert kinds["heading"] == "费用报销政策"
    assert kinds["table"].splitlines() == [
        "| 项目 | 标准 |",
        "| --- | --- |",
        "| 住宿 | 600元/晚 |",
        "| 餐补 | 100元/天 |",
    ]
    assert kinds["note"] == "提醒大家报销需附发票。"


def test_untitled_slide_has_no_heading_path(doc: ParsedDocument) -> None:
    blocks = [b for b in doc.blocks if b.locator.slide == 3]
    assert [(b.kind, b.text) for b in blocks] == [("paragraph", "没有标题的幻灯片正文")]
    assert blocks[0].locator == Locator(slide=3)


def test_offsets_point_into_text(doc: ParsedDocument) -> None:
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text


@pytest.mark.parametrize("data", [b"PK\x03\x04 broken", b"just some text"])
def test_corrupt_bytes(data: bytes) -> None:
    with pytest.raises(CorruptDocument) as info:
        parse(data)
    assert "季度会议.pptx" in str(info.value) and "damaged or truncated" in str(info.value)


def test_truncated_pptx() -> None:
    data = make_pptx()
    with pytest.raises(CorruptDocument, match="re-download"):
        parse(data[: len(data) // 2])


def test_encrypted_pptx() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    data += "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(EncryptedDocument, match="password-protected"):
        parse(data)


def test_word_file_named_pptx() -> None:
    with pytest.raises(UnsupportedFormat, match="Word document"):
        parse(make_docx())


def test_empty_pptx() -> None:
    with pytest.raises(EmptyFile):
        parse(b"")
