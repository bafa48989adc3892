"""What every parser produces: a document made of blocks, each with a locator.

A locator says where a block lives in the original (page, heading path, sheet and rows,
slide), so a citation can point at the place a reader can open. The document's plain text is
the blocks joined by blank lines; each block knows its character offsets in that text, and so
does each chunk cut from it, which is what lets a viewer highlight a citation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

BlockKind = Literal["title", "heading", "paragraph", "list_item", "table", "row", "note", "code"]
BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Locator:
    """Where a block or chunk lives in its source. All numbers are 1-based and inclusive."""

    page: int | None = None
    page_end: int | None = None
    heading_path: tuple[str, ...] = ()
    sheet: str | None = None
    row_start: int | None = None
    row_end: int | None = None
    slide: int | None = None
    table: str | None = None  # SQL sources: table or query name
    ocr: bool = False  # text came from OCR

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form: only the fields that are set."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if value in (None, (), False):
                continue
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Locator:
        data = dict(data or {})
        if "heading_path" in data:
            data["heading_path"] = tuple(data["heading_path"])
        return cls(**data)

    def merge(self, other: Locator) -> Locator:
        """The smallest locator covering both (page and row ranges widen)."""

        def lo(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else min(a, b)

        def hi(a: int | None, b: int | None) -> int | None:
            return b if a is None else a if b is None else max(a, b)

        page = lo(self.page, other.page)
        page_end = hi(self.page_end or self.page, other.page_end or other.page)
        row_start = lo(self.row_start, other.row_start)
        row_end = hi(self.row_end or self.row_start, other.row_end or other.row_start)
        return replace(
            self,
            page=page,
            page_end=page_end if page_end != page else None,
            heading_path=self.heading_path or other.heading_path,
            sheet=self.sheet or other.sheet,
            row_start=row_start,
            row_end=row_end if row_end != row_start else None,
            slide=self.slide if self.slide is not None else other.slide,
            table=self.table or other.table,
            ocr=self.ocr or other.ocr,
        )

    def label(self, lang: str = "zh", title: str | None = None) -> str:
        """A short human-readable place, e.g. '第 3 页 · 第二章 > 报销流程'.

        A heading path that starts with the document's own title omits it."""
        zh = lang.startswith("zh")
        parts: list[str] = []
        if self.page is not None:
            if self.page_end and self.page_end != self.page:
                parts.append(
                    f"第 {self.page}–{self.page_end} 页"
                    if zh
                    else f"pp. {self.page}–{self.page_end}"
                )
            else:
                parts.append(f"第 {self.page} 页" if zh else f"p. {self.page}")
        if self.slide is not None:
            parts.append(f"第 {self.slide} 张幻灯片" if zh else f"slide {self.slide}")
        if self.sheet:
            parts.append(f"工作表 {self.sheet}" if zh else f"sheet {self.sheet}")
        if self.table:
            parts.append(f"表 {self.table}" if zh else f"table {self.table}")
        if self.row_start is not None:
            rows = (
                f"{self.row_start}–{self.row_end}"
                if self.row_end and self.row_end != self.row_start
                else f"{self.row_start}"
            )
            parts.append(f"第 {rows} 行" if zh else f"rows {rows}")
        path = self.heading_path
        if path and title and path[0] == title:
            path = path[1:]
        if path:
            parts.append(" > ".join(path))
        if self.ocr:
            parts.append("OCR")
        return " · ".join(parts)


@dataclass
class Block:
    """One structural unit of a document: a heading, paragraph, list item, table or row."""

    text: str
    kind: BlockKind = "paragraph"
    locator: Locator = field(default_factory=Locator)
    level: int = 0  # heading level (1 = top); 0 for non-headings
    start: int = 0  # character offsets in ParsedDocument.text, set by ParsedDocument
    end: int = 0


@dataclass
class ParsedDocument:
    """A parser's output. Construct with blocks; offsets and text are derived here."""

    blocks: list[Block]
    media_type: str
    title: str | None = None
    ocr_pages: int = 0
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    text: str = ""

    def __post_init__(self) -> None:
        self.blocks = [b for b in self.blocks if b.text and b.text.strip()]
        pieces: list[str] = []
        offset = 0
        for block in self.blocks:
            block.text = block.text.strip("\n")
            if pieces:
                offset += len(BLOCK_SEPARATOR)
            block.start = offset
            block.end = offset + len(block.text)
            pieces.append(block.text)
            offset = block.end
        self.text = BLOCK_SEPARATOR.join(pieces)
