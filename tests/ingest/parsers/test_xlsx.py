"""XLSX: sheet headings, title rows, header-aware row blocks with Excel row numbers."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from tokenbase.ingest.document import Locator
from tokenbase.ingest.errors import CorruptDocument, EncryptedDocument
from tokenbase.ingest.parsers.xlsx import XlsxParser, format_cell, table_blocks
from tokenbase.ingest.registry import ParseOptions

from .tablemakers import (
    HIDDEN_SHEET,
    RATES_SHEET,
    STAFF_SHEET,
    STAFF_TITLE,
    make_encrypted_xlsx,
    make_xlsx,
)


def _parse(data: bytes, name: str = "员工.xlsx"):
    return XlsxParser().parse(data, ParseOptions(source_name=name))


def _workbook_bytes(build) -> bytes:  # type: ignore[no-untyped-def]
    wb = Workbook()
    build(wb.active)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_sheets_titles_and_rows_with_excel_row_numbers():
    doc = _parse(make_xlsx())
    assert doc.metadata["sheets"] == [STAFF_SHEET, RATES_SHEET]
    headings = [(b.text, b.level, b.locator) for b in doc.blocks if b.kind == "heading"]
    assert headings == [
        (STAFF_SHEET, 1, Locator(sheet=STAFF_SHEET)),
        (STAFF_TITLE, 2, Locator(sheet=STAFF_SHEET, row_start=1, heading_path=(STAFF_TITLE,))),
        (RATES_SHEET, 1, Locator(sheet=RATES_SHEET)),
    ]
    rows = [b for b in doc.blocks if b.kind == "row"]
    assert [(b.locator.sheet, b.locator.row_start) for b in rows] == [
        (STAFF_SHEET, 3),
        (STAFF_SHEET, 4),
        (STAFF_SHEET, 6),  # row 5 is empty
        (RATES_SHEET, 2),
        (RATES_SHEET, 3),
        (RATES_SHEET, 4),
    ]
    assert [b.text for b in rows] == [
        "工号：1001；姓名：张三；部门：财务部；入职日期：2020-03-01；月薪：12000",
        "工号：1002；姓名：李四；部门：人力资源部；入职日期：2021-07-15；月薪：9800.5",
        "工号：1003；姓名：王五；部门：研发中心；入职日期：2023-01-09；月薪：15000",
        "城市等级：一线城市；住宿标准（元/晚）：600；餐补（元/天）：100；报销比例：100%",
        "城市等级：二线城市；住宿标准（元/晚）：450；餐补（元/天）：80；报销比例：90%",
        "城市等级：其他城市；住宿标准（元/晚）：350；餐补（元/天）：60；报销比例：80%",
    ]
    staff_row = next(b for b in doc.blocks if b.kind == "row")
    assert staff_row.locator.heading_path == (STAFF_TITLE,)  # the title gives rows context
    assert staff_row.locator.label() == f"工作表 {STAFF_SHEET} · 第 3 行 · {STAFF_TITLE}"
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text


def test_hidden_sheets_are_included():
    doc = _parse(make_xlsx(hidden_sheet=True))
    rows = [b for b in doc.blocks if b.locator.sheet == HIDDEN_SHEET and b.kind == "row"]
    assert [(b.text, b.locator.row_start) for b in rows] == [
        ("事项：审批；说明：超标住宿须总经理审批", 2)
    ]


def test_rows_far_down_keep_their_numbers_and_empty_rows_vanish():
    def build(ws):  # type: ignore[no-untyped-def]
        ws.title = "台账"
        ws["B10"] = "物品"
        ws["C10"] = "数量"
        ws["B11"] = "笔记本电脑"
        ws["C11"] = 3
        ws["B250"] = "显示器"
        ws["C250"] = 5.0

    doc = _parse(_workbook_bytes(build))
    rows = [(b.locator.row_start, b.text) for b in doc.blocks if b.kind == "row"]
    assert rows == [(11, "物品：笔记本电脑；数量：3"), (250, "物品：显示器；数量：5")]


def test_empty_workbook_and_empty_bytes_give_no_blocks():
    assert _parse(_workbook_bytes(lambda ws: None)).blocks == []
    assert _parse(b"").blocks == []


def test_encrypted_xlsx_is_reported_as_encrypted():
    with pytest.raises(EncryptedDocument) as info:
        _parse(make_encrypted_xlsx(), "工资表.xlsx")
    assert "工资表.xlsx" in str(info.value) and "password" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a workbook at all",
        make_xlsx()[:2000],  # truncated
        b"PK",
    ],
)
def test_corrupt_workbooks_are_reported(data: bytes):
    with pytest.raises(CorruptDocument) as info:
        _parse(data, "损坏.xlsx")
    assert "损坏.xlsx" in str(info.value) and "save it again" in str(info.value)


def test_a_zip_that_is_not_a_workbook_is_corrupt():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(CorruptDocument):
        _parse(buffer.getvalue())


def test_xls_bytes_under_an_xlsx_name_are_read_as_xls():
    pytest.importorskip("xlwt")
    from .tablemakers import make_xls

    doc = _parse(make_xls(), "旧格式.xlsx")
    assert [b.text for b in doc.blocks if b.kind == "heading"][:2] == [STAFF_SHEET, STAFF_TITLE]


# ---------------------------------------------------------------------------- shared helpers


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (None, None, ""),
        (12, None, "12"),
        (12.0, None, "12"),
        (0.1 + 0.2, None, "0.3"),
        (1234567.891, None, "1234567.891"),
        (13800138000.0, None, "13800138000"),
        (0.155, "0.0%", "15.5%"),
        (1, "0%", "100%"),
        (True, None, "TRUE"),
        (dt.datetime(2024, 5, 1), None, "2024-05-01"),
        (dt.datetime(2024, 5, 1, 9, 30), None, "2024-05-01 09:30"),
        (dt.date(2024, 5, 1), None, "2024-05-01"),
        (dt.time(8, 15), None, "08:15"),
        ("  第一行\n第二行  ", None, "第一行 第二行"),
    ],
)
def test_format_cell(value: object, number_format: str | None, expected: str):
    assert format_cell(value, number_format) == expected


def test_table_blocks_title_notes_and_narrow_caption_above_the_header():
    rows = [
        (1, ["2024年预算表", "", ""]),
        (2, ["编制：财务部", "单位：元", ""]),  # two cells, but narrower than the table: a note
        (3, ["项目", "预算", "备注"]),
        (4, ["差旅", "50000", ""]),
        (5, ["项目", "预算", "备注"]),  # header repeated on a printed page: skipped
        (6, ["培训", "20000", "含外训"]),
    ]
    blocks = table_blocks(rows, sheet="预算")
    assert [(b.kind, b.text, b.locator.row_start) for b in blocks] == [
        ("heading", "2024年预算表", 1),
        ("paragraph", "编制：财务部  单位：元", 2),
        ("row", "项目：差旅；预算：50000", 4),
        ("row", "项目：培训；预算：20000；备注：含外训", 6),
    ]


def test_table_blocks_without_a_header_emit_plain_rows():
    blocks = table_blocks([(1, ["苹果"]), (2, ["香蕉"]), (3, [""])])
    assert [(b.kind, b.text, b.locator.row_start) for b in blocks] == [
        ("row", "苹果", 1),
        ("row", "香蕉", 2),
    ]


def test_table_blocks_cells_without_a_header_label_keep_their_value():
    blocks = table_blocks([(1, ["姓名", "部门", "岗位"]), (2, ["张三", "财务部", "会计", "兼职"])])
    assert blocks[0].text == "姓名：张三；部门：财务部；岗位：会计；兼职"
