"""PDF parser: text pages, paragraph joining, scanned pages via OCR, broken and locked files."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest

from tests.ingest.parsers.makers import (
    HANDBOOK_PAGES,
    HANDBOOK_TITLE,
    make_blank_pdf,
    make_encrypted_pdf,
    make_mixed_pdf,
    make_scanned_pdf,
    make_text_pdf,
    make_truncated_pdf,
)
from tokenbase.ingest.document import Locator, ParsedDocument
from tokenbase.ingest.errors import CorruptDocument, EmptyFile, EncryptedDocument
from tokenbase.ingest.parsers import pdf as pdf_module
from tokenbase.ingest.parsers.pdf import Line, PdfParser, lines_to_paragraphs
from tokenbase.ingest.registry import ParseOptions


def parse(data: bytes, **options: object) -> ParsedDocument:
    return PdfParser().parse(data, ParseOptions(source_name="手册.pdf", **options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def text_doc(cjk_font: Path) -> ParsedDocument:
    return parse(make_text_pdf(cjk_font))


@pytest.fixture(scope="module")
def mixed_doc(cjk_font: Path) -> ParsedDocument:
    """Page 1 has a text layer, page 2 is a scan: one OCR run shared by several tests."""
    return parse(make_mixed_pdf(cjk_font))


def test_parser_declares_pdf() -> None:
    parser = PdfParser()
    assert parser.name == "pdf"
    assert ".pdf" in parser.extensions
    assert "application/pdf" in parser.media_types


def test_text_pdf_pages_title_and_paragraphs(text_doc: ParsedDocument) -> None:
    assert text_doc.title == HANDBOOK_TITLE
    assert text_doc.media_type == "application/pdf"
    assert text_doc.ocr_pages == 0
    assert text_doc.metadata["page_count"] == 3
    assert {b.locator.page for b in text_doc.blocks} == {1, 2, 3}
    assert not any(b.locator.ocr for b in text_doc.blocks)

    page2 = [b.text for b in text_doc.blocks if b.locator.page == 2]
    assert page2[0] == "第二章 报销流程"
    # A wrapped CJK paragraph comes back whole, joined without spaces.
    assert any("必须提供合法有效的增值税发票，发票抬头须为公司全称" in t for t in page2)
    assert len(page2) == 3


def test_latin_lines_join_with_spaces(text_doc: ParsedDocument) -> None:
    page3 = [b.text for b in text_doc.blocks if b.locator.page == 3]
    assert page3[0] == "Chapter 3 Travel"
    assert page3[1].startswith("Travel expenses must be submitted within thirty days")
    assert "\n" not in page3[1] and "  " not in page3[1]
    assert "verify every item quickly." in page3[1]


def test_blocks_offsets_point_into_text(text_doc: ParsedDocument) -> None:
    for block in text_doc.blocks:
        assert text_doc.text[block.start : block.end] == block.text


def test_progress_reported_per_page(cjk_font: Path) -> None:
    calls: list[tuple[int, int]] = []
    parse(make_text_pdf(cjk_font), progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_running_headers_and_page_numbers_are_dropped(cjk_font: Path) -> None:
    data = make_text_pdf(cjk_font, running_header="员工手册（内部资料）", page_numbers=True)
    doc = parse(data)
    assert "内部资料" not in doc.text and "共 3 页" not in doc.text
    assert [b.text for b in doc.blocks if b.locator.page == 2][0] == "第二章 报销流程"


def test_running_lines_kept_on_short_documents(cjk_font: Path) -> None:
    data = make_text_pdf(cjk_font, pages=HANDBOOK_PAGES[:2], running_header="员工手册（内部资料）")
    assert parse(data).text.count("内部资料") == 2


def test_no_metadata_title_gives_none(cjk_font: Path) -> None:
    assert parse(make_text_pdf(cjk_font, title=None)).title is None


@pytest.mark.slow
def test_mixed_pdf_ocrs_only_the_scanned_page(mixed_doc: ParsedDocument) -> None:
    assert mixed_doc.ocr_pages == 1
    page1 = [b for b in mixed_doc.blocks if b.locator.page == 1]
    page2 = [b for b in mixed_doc.blocks if b.locator.page == 2]
    assert page1 and not any(b.locator.ocr for b in page1)
    assert page1[0].text == "第一章 总则"
    assert page2 and all(b.locator.ocr for b in page2)
    scanned = "".join(b.text for b in page2)
    assert "报销" in scanned and "发票" in scanned
    assert "OCR" in page2[0].locator.label()


@pytest.mark.slow
def test_scanned_pdf_is_read_by_ocr(cjk_font: Path) -> None:
    doc = parse(make_scanned_pdf(cjk_font), ocr_dpi=100)
    assert doc.ocr_pages == 1
    assert all(b.locator == Locator(page=1, ocr=True) for b in doc.blocks)
    assert "报销" in doc.text and "发票" in doc.text


def test_ocr_off_skips_scanned_pages_with_a_warning(cjk_font: Path) -> None:
    doc = parse(make_mixed_pdf(cjk_font), ocr=False)
    assert doc.ocr_pages == 0
    assert {b.locator.page for b in doc.blocks} == {1}
    assert len(doc.warnings) == 1
    assert "2" in doc.warnings[0] and "OCR" in doc.warnings[0]


def test_sparse_text_is_kept_when_ocr_is_off(cjk_font: Path) -> None:
    doc = parse(make_text_pdf(cjk_font), ocr=False, min_chars_per_page=10_000)
    assert {b.locator.page for b in doc.blocks} == {1, 2, 3}
    assert "1, 2, 3" in doc.warnings[0]


def test_blank_pdf_gives_no_blocks_and_no_ocr(cjk_font: Path) -> None:
    doc = parse(make_blank_pdf(pages=2))
    assert doc.blocks == [] and doc.text == ""
    assert doc.ocr_pages == 0  # nothing drawn, nothing to OCR
    assert any("No text" in w for w in doc.warnings)


def test_scanned_pdf_without_ocr_is_empty_with_warnings(cjk_font: Path) -> None:
    doc = parse(make_scanned_pdf(cjk_font), ocr=False)
    assert doc.blocks == []
    assert len(doc.warnings) == 2


def test_encrypted_pdf(cjk_font: Path) -> None:
    with pytest.raises(EncryptedDocument) as info:
        parse(make_encrypted_pdf(cjk_font))
    message = str(info.value)
    assert "手册.pdf" in message and "password-protected" in message and "print to PDF" in message
    assert isinstance(info.value.__cause__, pdfium.PdfiumError)


def test_truncated_pdf(cjk_font: Path) -> None:
    with pytest.raises(CorruptDocument) as info:
        parse(make_truncated_pdf(cjk_font))
    message = str(info.value)
    assert "手册.pdf" in message and "damaged or truncated" in message
    assert "re-download" in message
    assert isinstance(info.value.__cause__, pdfium.PdfiumError)


def test_pdf_cut_just_before_its_end_marker(cjk_font: Path) -> None:
    data = make_text_pdf(cjk_font)
    cut = data[: data.rindex(b"%%EOF")]
    with pytest.raises(CorruptDocument, match="end-of-file marker"):
        parse(cut)


@pytest.mark.parametrize("data", [b"not a pdf at all", b"%PDF-1.7\n garbage"])
def test_not_a_pdf(data: bytes) -> None:
    with pytest.raises(CorruptDocument, match="damaged or truncated"):
        parse(data)


def test_empty_bytes() -> None:
    with pytest.raises(EmptyFile):
        parse(b"")


def test_document_closed_even_when_parsing_fails(
    cjk_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[bool] = []

    class Tracked(pdfium.PdfDocument):
        def close(self) -> None:
            closed.append(True)
            super().close()

    monkeypatch.setattr(pdf_module.pdfium, "PdfDocument", Tracked)

    def boom(done: int, total: int) -> None:
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        parse(make_text_pdf(cjk_font), progress=boom)
    assert closed


# --- paragraph building from line geometry -------------------------------------------------


def _lines(texts: list[str], *, pitch: float = 16, height: float = 12) -> list[Line]:
    """Lines laid out top-down with a constant pitch; '' leaves one empty line of space."""
    out: list[Line] = []
    top = 800.0
    for text in texts:
        if text:
            width = 6.0 * len(text) if text.isascii() else 12.0 * len(text)
            out.append(Line(text, 50, 50 + width, top - height, top))
        top -= pitch
    return out


def test_wrapped_cjk_lines_join_without_space() -> None:
    lines = _lines(
        ["一二三四五六七八九十一二三四五六七八", "九十一二三四五六七八九十一二三四五六七", "结束。"]
    )
    assert lines_to_paragraphs(lines) == [
        "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七结束。"
    ]


def test_sentence_end_and_short_lines_keep_their_break() -> None:
    full = "这是一行很长的正文内容用来填满整个版心宽度。"
    lines = _lines(["标题", full, "这是一行很长的正文内容用来填满整个版心宽度啊", "尾"])
    assert lines_to_paragraphs(lines) == [
        "标题\n这是一行很长的正文内容用来填满整个版心宽度。\n这是一行很长的正文内容用来填满整个版心宽度啊尾"
    ]


def test_blank_space_between_lines_starts_a_paragraph() -> None:
    lines = _lines(["第一段第一行内容很长很长很长", "第一段结束", "", "第二段"])
    assert lines_to_paragraphs(lines) == ["第一段第一行内容很长很长很长第一段结束", "第二段"]


def test_latin_hyphenation_is_mended() -> None:
    lines = _lines(
        ["the quick brown fox jumps over the extra-", "ordinary dog and runs away today"]
    )
    assert lines_to_paragraphs(lines) == [
        "the quick brown fox jumps over the extraordinary dog and runs away today"
    ]


def test_table_rows_and_numbered_clauses_keep_their_lines() -> None:
    lines = _lines(
        [
            "4.1 城际交通工具按职级乘坐，标准如下表，各职级适用的交通工具",
            "职级 飞机 火车/高铁 轮船 备注说明",
            "普通员工 经济舱 二等座 三等舱 无",
            "4.2 高铁单程在五小时以内可以到达的，原则上应乘坐高铁出行",
            "（1） 乘坐飞机的应提前七天预订并优先选择折扣机票，因个人",
            "原因产生的退票费不予报销",
        ]
    )
    assert lines_to_paragraphs(lines) == [
        "4.1 城际交通工具按职级乘坐，标准如下表，各职级适用的交通工具\n"
        "职级 飞机 火车/高铁 轮船 备注说明\n"
        "普通员工 经济舱 二等座 三等舱 无\n"
        "4.2 高铁单程在五小时以内可以到达的，原则上应乘坐高铁出行\n"
        "（1） 乘坐飞机的应提前七天预订并优先选择折扣机票，因个人原因产生的退票费不予报销"
    ]
