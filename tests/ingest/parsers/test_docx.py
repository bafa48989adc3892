"""Word parser: document order, heading paths, lists, tables, titles and broken files."""

from __future__ import annotations

import pytest

from tests.ingest.parsers.makers import DOCX_TITLE, make_docx, make_pptx
from tokenbase.ingest.document import ParsedDocument
from tokenbase.ingest.errors import (
    CorruptDocument,
    EmptyFile,
    EncryptedDocument,
    UnsupportedFormat,
)
from tokenbase.ingest.parsers.docx import DocxParser, pipe_table
from tokenbase.ingest.registry import ParseOptions

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def parse(data: bytes) -> ParsedDocument:
    return DocxParser().parse(data, ParseOptions(source_name="办法.docx"))


@pytest.fixture(scope="module")
def doc() -> ParsedDocument:
    return parse(make_docx())


def block(doc: ParsedDocument, text: str):  # type: ignore[no-untyped-def]
    return next(b for b in doc.blocks if text in b.text)


def test_parser_declares_docx() -> None:
    assert DocxParser().extensions == (".docx",)


def test_title_from_core_properties(doc: ParsedDocument) -> None:
    assert doc.title == DOCX_TITLE


def test_title_falls_back_to_title_style() -> None:
    assert parse(make_docx(core_title=None)).title == "差旅管理办法"


def test_blocks_follow_document_order(doc: ParsedDocument) -> None:
    kinds = [b.kind for b in doc.blocks]
    texts = [b.text for b in doc.blocks]
    table_at = kinds.index("table")
    assert texts[table_at - 1].startswith("报销时须提供")
    assert texts[table_at + 1] == "表格之后的说明段落。"


def test_headings_and_heading_paths(doc: ParsedDocument) -> None:
    headings = [(b.text, b.level) for b in doc.blocks if b.kind == "heading"]
    assert headings == [
        ("差旅管理办法", 1),
        ("第一章 出差申请", 1),
        ("1.1 交通工具", 2),
        ("第二章 费用报销", 1),
        ("第三章 附则", 1),  # custom style named "标题 1"
        ("3.1 生效日期", 2),  # outline level on the paragraph
    ]
    sub = block(doc, "1.1 交通工具")
    assert sub.locator.heading_path == ("第一章 出差申请", "1.1 交通工具")
    assert block(doc, "员工出差前").locator.heading_path == ("第一章 出差申请",)
    assert block(doc, "本办法规范").locator.heading_path == ("差旅管理办法",)
    # A new level-1 heading pops the previous chapter and its subsections.
    assert block(doc, "报销时须提供").locator.heading_path == ("第二章 费用报销",)
    assert block(doc, "自发布之日起").locator.heading_path == ("第三章 附则", "3.1 生效日期")


def test_list_items(doc: ParsedDocument) -> None:
    items = [b for b in doc.blocks if b.kind == "list_item"]
    assert [b.text for b in items] == ["优先乘坐高铁二等座", "航程超过六小时可乘坐经济舱"]
    assert all(b.locator.heading_path == ("第一章 出差申请", "1.1 交通工具") for b in items)
    assert block(doc, "员工出差前").kind == "paragraph"


def test_table_is_one_pipe_table_block(doc: ParsedDocument) -> None:
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert len(tables) == 1
    table = tables[0]
    assert table.locator.heading_path == ("第二章 费用报销",)
    assert table.text.splitlines() == [
        "| 城市 | 住宿标准 | 餐补 |",
        "| --- | --- | --- |",
        "| 北京 | 600元/晚 | 100元/天 |",
        "| 上海 | 600元/晚 |  |",  # vertically merged with the cell above
        "| 其他城市 | 400元/晚（含餐补） |  |",  # spans two columns
    ]


def test_one_cell_table_reads_as_paragraphs(doc: ParsedDocument) -> None:
    first, second = block(doc, "框内第一段"), block(doc, "框内第二段")
    assert (first.kind, second.kind) == ("paragraph", "paragraph")
    assert first.locator.heading_path == ("第三章 附则", "3.1 生效日期")


def test_text_box_text_is_kept(doc: ParsedDocument) -> None:
    box = block(doc, "文本框里的提示")
    assert box.text == "文本框里的提示"
    assert box.locator.heading_path == ("第三章 附则", "3.1 生效日期")
    assert "文本框" not in block(doc, "自发布之日起").text


def test_pipe_table_escapes_and_pads() -> None:
    assert pipe_table([["a|b", "c"], ["d"]]) == "| a\\|b | c |\n| --- | --- |\n| d |  |"
    assert pipe_table([]) == ""


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04 not really a zip", b"plain text", b"PK\x05\x06" + b"\0" * 18],
)
def test_corrupt_bytes(data: bytes) -> None:
    with pytest.raises(CorruptDocument) as info:
        parse(data)
    assert "办法.docx" in str(info.value) and "damaged or truncated" in str(info.value)


def test_truncated_docx() -> None:
    data = make_docx()
    with pytest.raises(CorruptDocument, match="re-download"):
        parse(data[: len(data) // 2])


def test_encrypted_docx() -> None:
    data = OLE + b"\0" * 512 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64
    with pytest.raises(EncryptedDocument, match="password-protected"):
        parse(data)


def test_legacy_doc_named_docx() -> None:
    data = OLE + b"\0" * 512 + "WordDocument".encode("utf-16-le") + b"\0" * 64
    with pytest.raises(UnsupportedFormat, match=r"97-2003 \(\.doc\)"):
        parse(data)


def test_powerpoint_named_docx() -> None:
    with pytest.raises(UnsupportedFormat, match="PowerPoint"):
        parse(make_pptx())


def test_empty_docx() -> None:
    with pytest.raises(EmptyFile):
        parse(b"")
