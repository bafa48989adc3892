"""Excel workbooks (.xlsx, .xlsm) with openpyxl: one heading per sheet, one block per data row.

A row reads "表头1：值1；表头2：值2" so that a retrieved row makes sense on its own. The header
row is the first with two or more filled cells, followed by data and nearly as wide; a one-cell
title row above it (often merged across the table) becomes a heading. Locators carry the sheet
name and the row number as Excel shows it. The row-to-block logic is shared by the XLS and
CSV parsers.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from ..document import Block, Locator, ParsedDocument
from ..errors import CorruptDocument, EncryptedDocument
from ..registry import ParseOptions, register_parser

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_OLE_WORKBOOK = "Workbook".encode("utf-16-le")
_HEADER_LOOKAHEAD = 5  # data rows compared with a header candidate

# ---------------------------------------------------------------------------- shared helpers


def format_cell(value: Any, number_format: str | None = None) -> str:
    """A cell value as a reader would see it: 12 not 12.0, dates as YYYY-MM-DD, 15% not 0.15."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if number_format and "%" in number_format:
            return f"{_number(value * 100)}%"
        return _number(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return " ".join(str(value).split())  # one line: line breaks inside a cell become spaces


def _number(value: float) -> str:
    rounded = round(float(value), 10)
    if rounded.is_integer() and abs(rounded) < 1e15:
        return str(int(rounded))
    return format(value, ".15g")


def _filled(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c)


def _find_header(rows: Sequence[tuple[int, list[str]]]) -> int | None:
    """Index of the header row: ≥2 filled cells, data below, at least 3/4 as wide as that data.

    The width test skips captions such as "编制：财务部 | 单位：元" above a wider table.
    """
    for i, (_, cells) in enumerate(rows[:-1]):
        filled = _filled(cells)
        if filled < 2:
            continue
        below = max(_filled(c) for _, c in rows[i + 1 : i + 1 + _HEADER_LOOKAHEAD])
        if filled * 4 >= below * 3:
            return i
    return None


def _row_text(header: Sequence[str], cells: Sequence[str]) -> str:
    parts = []
    for i, value in enumerate(cells):
        if not value:
            continue
        label = header[i] if i < len(header) else ""
        parts.append(f"{label}：{value}" if label else value)
    return "；".join(parts)


def table_blocks(
    rows: Iterable[tuple[int, Sequence[str]]], sheet: str | None = None, heading_level: int = 2
) -> list[Block]:
    """Blocks for one table: title heading(s), then one kind="row" block per data row.

    `rows` are (row number as the user sees it, formatted cell texts); empty rows are skipped.
    Rows above the header become a heading (the first one-cell row) or paragraphs (notes).
    Without a header row every row is emitted as its filled cells joined by '；'.
    """
    kept = [(n, [c.strip() for c in cells]) for n, cells in rows]
    kept = [(n, cells) for n, cells in kept if any(cells)]
    if not kept:
        return []
    header_at = _find_header(kept)
    blocks: list[Block] = []
    path: tuple[str, ...] = ()
    start = 0
    if header_at is not None:
        for n, cells in kept[:header_at]:
            text = "  ".join(c for c in cells if c)
            if not path and _filled(cells) == 1:
                path = (text,)
                locator = Locator(sheet=sheet, row_start=n, heading_path=path)
                blocks.append(Block(text, "heading", locator, level=heading_level))
            else:
                blocks.append(Block(text, "paragraph", Locator(sheet=sheet, row_start=n)))
        start = header_at + 1
    header = kept[header_at][1] if header_at is not None else []
    for n, cells in kept[start:]:
        if header and cells == header:
            continue  # header repeated (e.g. a report printed page by page)
        text = _row_text(header, cells)
        blocks.append(Block(text, "row", Locator(sheet=sheet, row_start=n, heading_path=path)))
    return blocks


def sheet_blocks(sheet: str, rows: Iterable[tuple[int, Sequence[str]]]) -> list[Block]:
    """A sheet-name heading followed by the sheet's table blocks (nothing for an empty sheet)."""
    body = table_blocks(rows, sheet=sheet, heading_level=2)
    if not body:
        return []
    return [Block(sheet, "heading", Locator(sheet=sheet), level=1), *body]


# ---------------------------------------------------------------------------- the parser


class XlsxParser:
    name = "xlsx"
    media_types = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel.sheet.macroenabled.12",
    )
    extensions = (".xlsx", ".xlsm")

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        name = options.source_name or "this workbook"
        if not data or data.isspace():
            return ParsedDocument(blocks=[], media_type=self.media_types[0])
        if data.startswith(OLE_MAGIC):
            return self._parse_ole(data, options, name)
        import openpyxl

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles, extensions, ...
                workbook = openpyxl.load_workbook(
                    io.BytesIO(data), read_only=True, data_only=True, keep_links=False
                )
        except Exception as exc:  # zipfile, KeyError, XML errors ...: all mean a damaged file
            what = (
                "not a zip archive" if isinstance(exc, zipfile.BadZipFile) else type(exc).__name__
            )
            raise CorruptDocument(
                f"'{name}' is not a readable Excel workbook ({what}). "
                "Open it in Excel or WPS, save it again as .xlsx, and re-upload it."
            ) from exc
        try:
            blocks: list[Block] = []
            for sheet in workbook.worksheets:
                blocks.extend(sheet_blocks(sheet.title, _sheet_rows(sheet)))
            sheet_names = [s.title for s in workbook.worksheets]
        except Exception as exc:
            raise CorruptDocument(
                f"'{name}' is damaged: a sheet could not be read ({type(exc).__name__}). "
                "Open it in Excel or WPS, save it again as .xlsx, and re-upload it."
            ) from exc
        finally:
            workbook.close()
        return ParsedDocument(
            blocks=blocks, media_type=self.media_types[0], metadata={"sheets": sheet_names}
        )

    def _parse_ole(self, data: bytes, options: ParseOptions, name: str) -> ParsedDocument:
        """An OLE container named .xlsx: encrypted OOXML, or an old .xls with the wrong name."""
        if OLE_ENCRYPTED not in data and _OLE_WORKBOOK in data:
            from .xls import XlsParser

            return XlsParser().parse(data, options)
        raise EncryptedDocument(
            f"'{name}' is password-protected. Open it in Excel or WPS, remove the password "
            "(File > Info > Protect Workbook), save, and upload it again."
        )


def _sheet_rows(sheet: Any) -> Iterable[tuple[int, list[str]]]:
    sheet.reset_dimensions()  # trust the cells, not a possibly stale <dimension> element
    for counted, row in enumerate(sheet.iter_rows(min_row=1), start=1):
        cells = [format_cell(c.value, getattr(c, "number_format", None)) for c in row]
        if any(cells):
            number = next((c.row for c in row if getattr(c, "row", None)), counted)
            yield number, cells


register_parser(XlsxParser())
