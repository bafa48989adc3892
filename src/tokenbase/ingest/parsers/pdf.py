"""PDF parser (pypdfium2): text per page, split into paragraphs; scanned pages go to OCR.

Paragraphs come from line geometry: a vertical gap clearly wider than the page's usual line
gap starts a new block. Inside a block, wrapped lines are joined (CJK without a space, Latin
with one, hyphenated words mended), but a line break is kept after a line that ends a sentence
or stops well short of the right margin (a heading, a paragraph's last line), around table-like
rows, and before a list item or numbered clause. Running headers and footers are dropped.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from ..document import Block, Locator, ParsedDocument
from ..errors import CorruptDocument, EmptyFile, EncryptedDocument
from ..registry import ParseOptions, register_parser
from .image import ocr_image_blocks

# PDFium is not thread-safe: every call into it holds this lock (OCR runs outside it).
_PDFIUM_LOCK = threading.RLock()
MAX_RENDER_SIDE = 5000  # pixels; caps the OCR bitmap for poster-sized pages
RUNNING_MARGIN = 0.12  # share of the page height at top and bottom where running lines live
_SENTENCE_END = "。！？.!?：:"
_CLOSERS = "”’\"')）」』】》"
_SOFT_HYPHEN = "\x02"  # what PDFium reports for a hyphen it knows was inserted at a line wrap
_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SPACED = re.compile(f"[{_CJK}] +\\S|\\S +[{_CJK}]")
_ITEM_START = re.compile(
    r"(?:[•·●○■□◆◇▪►✓*]"  # bullets
    r"|[-–—] "
    r"|\d+(?:\.\d+)*(?:[、)）]|\.? )|\d+\.(?!\d)"  # 1. / 1.2 / 3、 / 2)
    r"|[（(](?:\d+|[一二三四五六七八九十]+)[)）]"  # （1） / （三）
    r"|[一二三四五六七八九十]+、"  # 三、
    r"|第[一二三四五六七八九十百零〇\d]+[章节条款部分])"  # 第五条
)
_TITLE_PREFIX = re.compile(r"^Microsoft (?:Word|PowerPoint|Excel) - ")


@dataclass(frozen=True)
class Line:
    """One text line of a page, with its box in PDF points (y grows upwards)."""

    text: str
    x0: float = 0.0
    x1: float = 0.0
    bottom: float = 0.0
    top: float = 0.0

    @property
    def height(self) -> float:
        return max(1.0, self.top - self.bottom)


class PdfParser:
    """Reads PDFs page by page; pages without a text layer are rendered and OCR'd."""

    name = "pdf"
    media_types = ("application/pdf",)
    extensions = (".pdf",)

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        who = f"'{options.source_name}'" if options.source_name else "The PDF"
        with _PDFIUM_LOCK:
            doc = _open(data, who)
        try:
            return _parse_document(doc, options, who)
        finally:
            with _PDFIUM_LOCK:
                doc.close()


def _open(data: bytes, who: str) -> pdfium.PdfDocument:
    damaged = (
        f"{who} is damaged or truncated and cannot be read as a PDF; "
        "re-export or re-download it and ingest again."
    )
    if not data:
        raise EmptyFile(f"{who} is empty (0 bytes); re-export or re-download it.")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EncryptedDocument(
                f"{who} is password-protected; remove the password "
                "(e.g. print to PDF) and ingest again."
            ) from exc
        raise CorruptDocument(f"{damaged} (PDFium: {exc})") from exc
    if b"%%EOF" not in data[-65536:].rstrip(b"\0 \t\r\n\f")[-4096:]:
        # PDFium rebuilds a cut-off file from whatever objects survive, silently losing pages.
        doc.close()
        raise CorruptDocument(f"{damaged} (the end-of-file marker is missing)")
    return doc


def _parse_document(doc: pdfium.PdfDocument, options: ParseOptions, who: str) -> ParsedDocument:
    with _PDFIUM_LOCK:
        total = len(doc)
        meta = doc.get_metadata_dict(skip_empty=True)
    pages: list[_Page] = []
    ocr_pages = 0
    skipped: list[int] = []
    for number in range(1, total + 1):
        page = _read_page(doc, number, options, who)
        if page.image is not None:
            ocr_pages += 1
            page.ocr_blocks = ocr_image_blocks(page.image, Locator(page=number))
            page.image = None
        elif page.scanned:
            skipped.append(number)
        pages.append(page)
        if options.progress:
            options.progress(number, total)
    _strip_running_lines([p for p in pages if not p.ocr_blocks])
    blocks: list[Block] = []
    for page in pages:
        blocks.extend(
            page.ocr_blocks
            or [
                Block(text=text, locator=Locator(page=page.number))
                for text in lines_to_paragraphs(page.lines)
            ]
        )
    warnings: list[str] = []
    if skipped:
        numbers = ", ".join(str(n) for n in skipped)
        warnings.append(
            f"{who}: page(s) {numbers} have little or no text layer and look scanned, but OCR "
            "is turned off, so only their text layer (if any) was read. Turn OCR on to read them."
        )
    if not blocks:
        warnings.append(f"No text was found in {who}{', even after OCR' if ocr_pages else ''}.")
    title = _TITLE_PREFIX.sub("", meta.get("Title", "")).strip() or None
    metadata: dict[str, Any] = {"page_count": total}
    if meta.get("Author"):
        metadata["author"] = meta["Author"]
    return ParsedDocument(
        blocks=blocks,
        media_type="application/pdf",
        title=title,
        ocr_pages=ocr_pages,
        warnings=warnings,
        metadata=metadata,
    )


def _is_sparse(lines: list[Line], options: ParseOptions) -> bool:
    chars = sum(len("".join(line.text.split())) for line in lines)
    return chars < options.min_chars_per_page


@dataclass
class _Page:
    number: int
    height: float
    lines: list[Line]
    scanned: bool = False  # sparse text layer over drawn content
    image: Image.Image | None = None  # rendering to OCR
    ocr_blocks: list[Block] = field(default_factory=list)


def _read_page(doc: pdfium.PdfDocument, number: int, options: ParseOptions, who: str) -> _Page:
    """The page's text lines, and a rendering to OCR when it looks scanned: its text layer is
    sparse yet it draws something (a blank page is not worth OCR)."""
    with _PDFIUM_LOCK:
        try:
            page = doc[number - 1]
        except pdfium.PdfiumError as exc:
            raise CorruptDocument(
                f"{who} is damaged: page {number} cannot be read; "
                "re-export or re-download it and ingest again."
            ) from exc
        try:
            width, height = page.get_size()
            textpage = page.get_textpage()
            try:
                result = _Page(number, height, page_lines(textpage))
            finally:
                textpage.close()
            result.scanned = (
                _is_sparse(result.lines, options) and pdfium_c.FPDFPage_CountObjects(page.raw) > 0
            )
            if result.scanned and options.ocr:
                scale = min(options.ocr_dpi / 72, MAX_RENDER_SIDE / max(width, height, 1.0))
                bitmap = page.render(scale=scale)
                try:
                    result.image = bitmap.to_pil().convert("RGB")  # a copy, independent of PDFium
                finally:
                    bitmap.close()
        finally:
            page.close()
    return result


def _strip_running_lines(pages: list[_Page]) -> None:
    """Drop running headers and footers in place: lines in the top or bottom margin whose text
    (digits masked, so page numbers match) recurs there on most pages of a 3+ page document."""
    if len(pages) < 3:
        return

    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", "".join(line.text.split()))

    def in_margin(line: Line, page: _Page, top: bool) -> bool:
        if top:
            return line.bottom > (1 - RUNNING_MARGIN) * page.height
        return 0 < line.top < RUNNING_MARGIN * page.height

    heads: Counter[str] = Counter()
    feet: Counter[str] = Counter()
    for page in pages:
        heads.update({key(ln) for ln in page.lines if in_margin(ln, page, top=True)})
        feet.update({key(ln) for ln in page.lines if in_margin(ln, page, top=False)})
    need = max(3, math.ceil(0.6 * len(pages)))
    for page in pages:
        page.lines = [
            ln
            for ln in page.lines
            if not (in_margin(ln, page, top=True) and heads[key(ln)] >= need)
            and not (in_margin(ln, page, top=False) and feet[key(ln)] >= need)
        ]


def page_lines(textpage: pdfium.PdfTextPage) -> list[Line]:
    """Split a text page into lines at PDFium's line breaks, with each line's bounding box."""
    lines: list[Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []

    def flush() -> None:
        text = "".join(chars).strip()
        if text and boxes:
            lines.append(
                Line(
                    text=text,
                    x0=min(b[0] for b in boxes),
                    x1=max(b[2] for b in boxes),
                    bottom=min(b[1] for b in boxes),
                    top=max(b[3] for b in boxes),
                )
            )
        elif text:
            lines.append(Line(text=text))
        chars.clear()
        boxes.clear()

    count = textpage.count_chars()
    index = 0
    while index < count:
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, index)
        step = 1
        if 0xD800 <= code < 0xDC00 and index + 1 < count:
            low = pdfium_c.FPDFText_GetUnicode(textpage.raw, index + 1)
            if 0xDC00 <= low < 0xE000:
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                step = 2
        char = chr(code) if code < 0x110000 else ""
        if char == "\n":
            flush()
        elif char in ("\t", " ", "\u3000", "\xa0"):
            chars.append(" ")
        elif char == _SOFT_HYPHEN or (char.isprintable() and char not in "\ufffe\uffff"):
            chars.append(char)
            left, bottom, right, top = textpage.get_charbox(index, loose=True)
            if top > bottom:
                boxes.append((left, bottom, right, top))
        index += step
    flush()
    return lines


def lines_to_paragraphs(lines: list[Line]) -> list[str]:
    """Group a page's lines into paragraph texts (see the module docstring for the rules)."""
    placed = [line for line in lines if line.top > line.bottom]
    gaps = sorted(
        prev.bottom - cur.top
        for prev, cur in zip(placed, placed[1:], strict=False)
        if cur.top <= prev.top
    )
    # The usual gap between wrapped lines: a low quantile, since on a short page paragraph
    # gaps can outnumber line gaps.
    usual_gap = max(0.0, gaps[len(gaps) // 4]) if gaps else 0.0
    left = min((line.x0 for line in placed), default=0.0)
    right = max((line.x1 for line in placed), default=0.0)

    groups: list[list[Line]] = []
    for line in lines:
        prev = groups[-1][-1] if groups else None
        if prev is None or _starts_paragraph(prev, line, usual_gap):
            groups.append([line])
        else:
            groups[-1].append(line)
    return [_join(group, left, right) for group in groups]


def _starts_paragraph(prev: Line, cur: Line, usual_gap: float) -> bool:
    if prev.top <= prev.bottom or cur.top <= cur.bottom:
        return False  # no geometry: keep lines together, breaks come from _join
    height = max(prev.height, cur.height)
    if cur.top > prev.top + 0.5 * height:
        return True  # jumped back up: a new column or region
    gap = prev.bottom - cur.top
    return gap > max(usual_gap * 1.5, usual_gap + 0.4 * height)


def _join(group: list[Line], left: float, right: float) -> str:
    text = group[0].text
    for prev, cur in zip(group, group[1:], strict=False):
        if (
            _keeps_break(prev, left, right)
            or _is_tabular(prev)
            or _is_tabular(cur)
            or _starts_item(cur)
        ):
            text += "\n" + cur.text
        elif text.endswith(_SOFT_HYPHEN):
            text = text[:-1] + cur.text
        elif text.endswith("-") and len(text) > 1 and text[-2].isalpha() and cur.text[0].islower():
            text = text[:-1] + cur.text
        elif _is_cjk(text[-1]) or _is_cjk(cur.text[0]):
            text += cur.text
        else:
            text += " " + cur.text
    return text.replace(_SOFT_HYPHEN, "-")


def _keeps_break(line: Line, left: float, right: float) -> bool:
    """A line ending a sentence, or one stopping well short of the margin, keeps its break."""
    stripped = line.text.rstrip(_CLOSERS)
    if stripped and stripped[-1] in _SENTENCE_END:
        return True
    width = right - left
    return width > 0 and line.x1 > line.x0 and line.x1 - left < 0.7 * width


def _is_tabular(line: Line) -> bool:
    """CJK prose has no spaces; a space beside a CJK character (after any item number) means
    columns, as in a table row."""
    item = _ITEM_START.match(line.text)
    return bool(_CJK_SPACED.search(line.text[item.end() if item else 0 :].strip()))


def _starts_item(line: Line) -> bool:
    """A line opening a list item or numbered clause ('• ', '1.2 ', '（三）', '第五条')."""
    return bool(_ITEM_START.match(line.text))


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3000 <= code <= 0x30FF  # CJK punctuation, kana
        or 0x3400 <= code <= 0x4DBF
        or 0x4E00 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x20000 <= code <= 0x3FFFF
    )


register_parser(PdfParser())
