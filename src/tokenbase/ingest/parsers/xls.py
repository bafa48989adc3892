"""Legacy Excel workbooks (.xls, BIFF) with xlrd; same blocks and locators as the XLSX parser."""

from __future__ import annotations

import io
from typing import Any

from ..document import Block, ParsedDocument
from ..errors import CorruptDocument, EncryptedDocument
from ..registry import ParseOptions, register_parser
from .xlsx import OLE_ENCRYPTED, OLE_MAGIC, format_cell, sheet_blocks


class XlsParser:
    name = "xls"
    media_types = ("application/vnd.ms-excel",)
    extensions = (".xls",)

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        name = options.source_name or "this workbook"
        if not data or data.isspace():
            return ParsedDocument(blocks=[], media_type=self.media_types[0])
        if data.startswith(b"PK\x03\x04"):  # an .xlsx saved under an .xls name
            from .xlsx import XlsxParser

            return XlsxParser().parse(data, options)
        if data.startswith(OLE_MAGIC) and OLE_ENCRYPTED in data:  # encrypted .xlsx, renamed
            raise _encrypted(name)
        import xlrd

        try:
            book = xlrd.open_workbook(
                file_contents=data,
                logfile=io.StringIO(),
                on_demand=True,
                ragged_rows=True,
                formatting_info=True,  # number formats, for percentages
            )
        except xlrd.XLRDError as exc:
            if "encrypted" in str(exc).lower():
                raise _encrypted(name) from exc
            raise _corrupt(name, exc) from exc
        except Exception as exc:  # struct errors, IndexError, ... on truncated files
            raise _corrupt(name, exc) from exc
        try:
            blocks: list[Block] = []
            names = book.sheet_names()
            for index, sheet_name in enumerate(names):
                sheet = book.sheet_by_index(index)
                blocks.extend(sheet_blocks(sheet_name, _sheet_rows(book, sheet)))
                book.unload_sheet(index)
        except Exception as exc:
            raise _corrupt(name, exc) from exc
        finally:
            book.release_resources()
        return ParsedDocument(
            blocks=blocks, media_type=self.media_types[0], metadata={"sheets": names}
        )


def _encrypted(name: str) -> EncryptedDocument:
    return EncryptedDocument(
        f"'{name}' is password-protected. Open it in Excel or WPS, remove the password, "
        "save it (preferably as .xlsx), and upload it again."
    )


def _corrupt(name: str, exc: Exception) -> CorruptDocument:
    return CorruptDocument(
        f"'{name}' is not a readable .xls workbook ({type(exc).__name__}: {exc}). "
        "Open it in Excel or WPS, save it as .xlsx, and upload that instead."
    )


def _sheet_rows(book: Any, sheet: Any) -> list[tuple[int, list[str]]]:
    rows = []
    for r in range(sheet.nrows):
        cells = [_cell_text(book, cell) for cell in sheet.row(r)]
        if any(cells):
            rows.append((r + 1, cells))
    return rows


def _number_format(book: Any, cell: Any) -> str | None:
    try:
        return book.format_map[book.xf_list[cell.xf_index].format_key].format_str
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def _cell_text(book: Any, cell: Any) -> str:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            value = xlrd.xldate_as_datetime(cell.value, book.datemode)
        except (xlrd.XLDateError, ValueError, OverflowError):
            return format_cell(cell.value)
        if cell.value < 1:
            return format_cell(value.time())  # a time of day without a date
        return format_cell(value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return format_cell(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return format_cell(cell.value, _number_format(book, cell))
    return format_cell(cell.value)


register_parser(XlsParser())
