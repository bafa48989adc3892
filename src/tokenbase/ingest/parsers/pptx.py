"""PowerPoint (.pptx) parser (python-pptx): slide by slide, in reading order.

Each slide gives a title heading, its text frames as paragraphs or list items, its tables as
pipe tables and its speaker notes as a note block, all located by slide number and titled by
the slide title. Pictures, charts and SmartArt are not read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator

import pptx
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.oxml.ns import qn
from pptx.presentation import Presentation
from pptx.shapes.autoshape import Shape
from pptx.shapes.base import BaseShape
from pptx.shapes.graphfrm import GraphicFrame
from pptx.shapes.group import GroupShape
from pptx.slide import Slide
from pptx.table import Table
from pptx.text.text import _Paragraph

from ..document import Block, Locator, ParsedDocument
from ..errors import EmptyFile, EncryptedDocument, UnsupportedFormat
from ..registry import ParseOptions, register_parser
from ..tables import pipe_table
from .docx import OLE_MAGIC, office_open_error

_BULLET_PLACEHOLDERS = {
    PP_PLACEHOLDER.BODY,
    PP_PLACEHOLDER.OBJECT,
    PP_PLACEHOLDER.VERTICAL_BODY,
    PP_PLACEHOLDER.VERTICAL_OBJECT,
}
_BOILERPLATE_PLACEHOLDERS = {
    PP_PLACEHOLDER.DATE,
    PP_PLACEHOLDER.FOOTER,
    PP_PLACEHOLDER.HEADER,
    PP_PLACEHOLDER.SLIDE_NUMBER,
}
# Titles PowerPoint fills in by itself; they name nothing.
_GENERIC_TITLE = re.compile(
    r"^(?:PowerPoint (?:Presentation|演示文稿)|演示文稿\d*|Presentation\d*)$", re.IGNORECASE
)


class PptxParser:
    """Reads .pptx decks slide by slide, including speaker notes."""

    name = "pptx"
    media_types = ("application/vnd.openxmlformats-officedocument.presentationml.presentation",)
    extensions = (".pptx",)

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        who = f"'{options.source_name}'" if options.source_name else "The presentation"
        prs = _open(data, who)
        blocks: list[Block] = []
        slide_titles: list[str] = []
        for number, slide in enumerate(prs.slides, start=1):
            title = slide_title(slide)
            if title:
                slide_titles.append(title)
            blocks.extend(slide_blocks(slide, number, title))
        core_title = (prs.core_properties.title or "").strip()
        if _GENERIC_TITLE.match(core_title):
            core_title = ""
        return ParsedDocument(
            blocks=blocks,
            media_type=self.media_types[0],
            title=core_title or (slide_titles[0] if slide_titles else None),
            warnings=[] if blocks else [f"No text was found in {who}."],
            metadata={"slide_count": len(prs.slides)},
        )


def _open(data: bytes, who: str) -> Presentation:
    if not data:
        raise EmptyFile(f"{who} is empty (0 bytes); re-export or re-download it.")
    if data.startswith(OLE_MAGIC):
        if "PowerPoint Document".encode("utf-16-le") in data:
            raise UnsupportedFormat(
                f"{who} is an old PowerPoint 97-2003 (.ppt) file with a .pptx name; "
                "open it in PowerPoint or LibreOffice, save it as .pptx and ingest again."
            )
        raise EncryptedDocument(
            f"{who} is password-protected; remove the password (in PowerPoint: File > Info > "
            "Protect Presentation > Encrypt with Password, clear it), save, and ingest again."
        )
    try:
        return pptx.Presentation(io.BytesIO(data))
    except Exception as exc:  # zipfile, KeyError, lxml and python-pptx errors alike
        raise office_open_error(exc, who, "a PowerPoint presentation (.pptx)") from exc


def slide_title(slide: Slide) -> str:
    """The slide's title placeholder text on one line, or '' when it has none."""
    shape = slide.shapes.title
    if shape is None or not shape.has_text_frame:
        return ""
    return " ".join(shape.text_frame.text.split())


def slide_blocks(slide: Slide, number: int, title: str) -> list[Block]:
    """Title, body text, tables and notes of one slide, all located at the slide."""
    locator = Locator(slide=number, heading_path=(title,) if title else ())
    blocks = [Block(title, "heading", locator, level=1)] if title else []
    title_shape = slide.shapes.title
    shapes = [s for s in slide.shapes if title_shape is None or s.shape_id != title_shape.shape_id]
    for shape in _reading_order(shapes):
        blocks.extend(_shape_blocks(shape, locator))
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        notes = "\n".join(_text(p) for p in frame.paragraphs) if frame is not None else ""
        blocks.append(Block(notes.strip(), "note", locator))
    return blocks


def _reading_order(shapes: Iterable[BaseShape]) -> list[BaseShape]:
    """Top to bottom, then left to right (shapes without a position keep z-order last)."""
    return sorted(shapes, key=lambda s: (s.top is None, s.top or 0, s.left or 0))


def _shape_blocks(shape: BaseShape, locator: Locator) -> Iterator[Block]:
    if isinstance(shape, GroupShape):
        for inner in _reading_order(shape.shapes):
            yield from _shape_blocks(inner, locator)
        return
    placeholder = shape.placeholder_format.type if shape.is_placeholder else None
    if placeholder in _BOILERPLATE_PLACEHOLDERS:
        return
    if isinstance(shape, GraphicFrame) and shape.has_table:
        yield Block(pipe_table(table_rows(shape.table)), "table", locator)
        return
    if not isinstance(shape, Shape) or not shape.has_text_frame:
        return
    bulleted_by_default = placeholder in _BULLET_PLACEHOLDERS
    for paragraph in shape.text_frame.paragraphs:
        text = _text(paragraph)
        if text:
            kind = "list_item" if _is_bullet(paragraph, bulleted_by_default) else "paragraph"
            yield Block(text, kind, locator)


def table_rows(table: Table) -> list[list[str]]:
    """A table's text grid; a merged cell's text appears once, at its top-left position."""
    return [
        ["" if cell.is_spanned else " ".join(cell.text.split()) for cell in row.cells]
        for row in table.rows
    ]


def _text(paragraph: _Paragraph) -> str:
    return paragraph.text.replace("\v", "\n").strip()


def _is_bullet(paragraph: _Paragraph, bulleted_by_default: bool) -> bool:
    """Explicit bullet settings win; otherwise body placeholders (whose masters bullet their
    text) and indented paragraphs count as bulleted."""
    props = paragraph._p.pPr
    if props is not None:
        if props.find(qn("a:buNone")) is not None:
            return False
        if props.find(qn("a:buChar")) is not None or props.find(qn("a:buAutoNum")) is not None:
            return True
    return bulleted_by_default or paragraph.level > 0


register_parser(PptxParser())
