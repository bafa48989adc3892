"""Word (.docx) parser (python-docx): body paragraphs and tables in document order.

Headings (styles "Heading N", "标题 N", "Title", or an outline level) become heading blocks and
drive each block's heading path; list paragraphs become list items; each table becomes one
pipe-table block. Headers, footers, footnotes and comments are not read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from ..document import Block, BlockKind, Locator, ParsedDocument
from ..errors import (
    CorruptDocument,
    EmptyFile,
    EncryptedDocument,
    IngestError,
    UnsupportedFormat,
)
from ..registry import ParseOptions, register_parser
from ..tables import pipe_table

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}
_LIST_STYLE = re.compile(r"^(?:list|列表)", re.IGNORECASE)
_W_TEXT = {
    qn("w:t"): None,
    qn("w:tab"): "\t",
    qn("w:br"): "\n",
    qn("w:cr"): "\n",
    qn("w:noBreakHyphen"): "-",
}
# Property elements (w:pPr holds tab stops named w:tab), deletions, and text boxes.
_W_SKIP = {qn("w:pPr"), qn("w:rPr"), qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent")}
_OOXML_KINDS = {
    "wordprocessingml": "a Word document (.docx)",
    "presentationml": "a PowerPoint presentation (.pptx)",
    "spreadsheetml": "an Excel workbook (.xlsx)",
}
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def office_open_error(exc: Exception, who: str, expected: str) -> IngestError:
    """The error to raise when python-docx/python-pptx cannot open a file: a mislabelled
    Office file is named for what it is, anything else is damaged."""
    found = re.search(r"content type is '([^']+)'", str(exc))
    if found:
        actual = next((v for k, v in _OOXML_KINDS.items() if k in found.group(1)), None)
        what = actual or f"a file of type {found.group(1)}"
        return UnsupportedFormat(
            f"{who} is {what}, not {expected}; give it the right extension and ingest again."
        )
    detail = str(exc) or type(exc).__name__
    return CorruptDocument(
        f"{who} is damaged or truncated and cannot be read as {expected} ({detail}); "
        "re-export or re-download it and ingest again."
    )


class DocxParser:
    """Reads .docx bodies in order, tracking the heading path above every block."""

    name = "docx"
    media_types = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",)
    extensions = (".docx",)

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        who = f"'{options.source_name}'" if options.source_name else "The Word document"
        document = _open(data, who)
        blocks = list(_walk(document))
        title = (document.core_properties.title or "").strip() or _first_title(blocks)
        warnings = [] if blocks else [f"No text was found in {who}."]
        return ParsedDocument(
            blocks=blocks,
            media_type=self.media_types[0],
            title=title,
            warnings=warnings,
        )


def _open(data: bytes, who: str) -> DocxDocument:
    if not data:
        raise EmptyFile(f"{who} is empty (0 bytes); re-export or re-download it.")
    if data.startswith(OLE_MAGIC):
        if "WordDocument".encode("utf-16-le") in data and (
            "EncryptedPackage".encode("utf-16-le") not in data
        ):
            raise UnsupportedFormat(
                f"{who} is an old Word 97-2003 (.doc) file with a .docx name; "
                "open it in Word or LibreOffice, save it as .docx and ingest again."
            )
        raise EncryptedDocument(
            f"{who} is password-protected; remove the password (in Word: File > Info > "
            "Protect Document > Encrypt with Password, clear it), save, and ingest again."
        )
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # zipfile, KeyError, lxml and python-docx errors alike
        raise office_open_error(exc, who, _OOXML_KINDS["wordprocessingml"]) from exc


def _walk(document: DocxDocument) -> Iterator[Block]:
    """Yield blocks for body paragraphs and tables in order, with heading paths."""
    path: list[tuple[int, str]] = []  # (level, heading text) from the top down
    for item in _body_items(document):
        if isinstance(item, Table):
            locator = Locator(heading_path=tuple(t for _, t in path))
            rows = table_rows(item)
            if len(rows) == 1 and len(rows[0]) == 1:  # a one-cell frame around text
                for p in item._tbl.iter(qn("w:p")):
                    yield Block(paragraph_text(p).strip(), "paragraph", locator)
            else:
                yield Block(pipe_table(rows), "table", locator)
            continue
        text = paragraph_text(item._p).strip()
        level = heading_level(item) if text else 0
        if level:
            text = " ".join(text.split())  # headings go into paths: keep them on one line
            while path and path[-1][0] >= level:
                path.pop()
            path.append((level, text))
        locator = Locator(heading_path=tuple(t for _, t in path))
        if text:
            kind: BlockKind = "heading" if level else "list_item" if _is_list(item) else "paragraph"
            yield Block(text, kind, locator, level=level)
        for box_text in text_box_paragraphs(item._p):
            yield Block(box_text, "paragraph", locator)


def _body_items(document: DocxDocument) -> Iterator[Paragraph | Table]:
    """Paragraphs and tables of the body in document order, looking inside content controls."""

    def walk(parent: etree._Element) -> Iterator[Paragraph | Table]:
        for child in parent.iterchildren():
            if child.tag == qn("w:p"):
                yield Paragraph(child, document)
            elif child.tag == qn("w:tbl"):
                yield Table(child, document)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    yield from walk(content)

    yield from walk(document.element.body)


def paragraph_text(p: etree._Element) -> str:
    """Visible text of a paragraph element: runs, hyperlinks, insertions and simple fields;
    deleted text, field codes and text boxes (see `text_box_paragraphs`) are left out."""
    parts: list[str] = []

    def walk(element: etree._Element) -> None:
        for child in element.iterchildren():
            if child.tag in _W_SKIP:
                continue
            if child.tag in _W_TEXT:
                parts.append(_W_TEXT[child.tag] or child.text or "")
            else:
                walk(child)

    walk(p)
    return "".join(parts)


def text_box_paragraphs(p: etree._Element) -> list[str]:
    """Texts of the paragraphs in text boxes anchored in `p` (each box once: the VML fallback
    copy that Word writes beside the modern drawing is skipped)."""
    texts: list[str] = []
    for box in p.iter(qn("w:txbxContent")):
        if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
            continue
        for inner in box.iter(qn("w:p")):
            text = paragraph_text(inner).strip()
            if text:
                texts.append(text)
    return texts


def heading_level(paragraph: Paragraph) -> int:
    """1-based heading level from the style name or outline level; 0 if not a heading."""
    style = paragraph.style
    seen = 0
    while style is not None and seen < 10:
        name = (style.name or "").strip()
        if name.lower() in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        level = _outline_level(style.element)
        if level:
            return level
        style = style.base_style
        seen += 1
    return _outline_level(paragraph._p)


def _outline_level(element: etree._Element) -> int:
    found = element.find(f"{qn('w:pPr')}/{qn('w:outlineLvl')}")
    if found is None:
        return 0
    try:
        value = int(found.get(qn("w:val"), "9"))
    except ValueError:
        return 0
    return value + 1 if 0 <= value < 9 else 0


def _is_list(paragraph: Paragraph) -> bool:
    num_id = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
    if num_id is not None:
        return num_id.get(qn("w:val")) != "0"  # numId 0 switches numbering off
    style = paragraph.style
    return bool(style is not None and _LIST_STYLE.match(style.name or ""))


def table_rows(table: Table) -> list[list[str]]:
    """A table's text grid. A merged cell's text appears once: in the top-left grid position
    of the merge, leaving the other positions it covers empty."""
    rows: list[list[str]] = []
    seen: set[etree._Element] = set()  # holding the elements keeps their identity stable
    for row in table.rows:
        values: list[str] = []
        for cell in row.cells:
            values.append("" if cell._tc in seen else _cell_text(cell._tc))
            seen.add(cell._tc)
        rows.append(values)
    return rows


def _cell_text(tc: etree._Element) -> str:
    pieces = [paragraph_text(p).strip() for p in tc.iter(qn("w:p"))]
    return " ".join(piece for piece in pieces if piece)


def _first_title(blocks: list[Block]) -> str | None:
    for block in blocks:
        if block.kind == "heading" and block.level == 1:
            return block.text
    return None


register_parser(DocxParser())
