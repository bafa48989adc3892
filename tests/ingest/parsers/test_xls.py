"""XLS (BIFF8, written by xlwt): same blocks and locators as XLSX."""

from __future__ import annotations

import pytest

from tokenbase.ingest.errors import CorruptDocument, EncryptedDocument
from tokenbase.ingest.parsers.xls import XlsParser
from tokenbase.ingest.parsers.xlsx import XlsxParser
from tokenbase.ingest.registry import ParseOptions

from .tablemakers import (
    RATES_SHEET,
    STAFF_SHEET,
    STAFF_TITLE,
    make_encrypted_xls,
    make_encrypted_xlsx,
    make_xls,
    make_xlsx,
)

pytest.importorskip("xlwt")  # test-only: writes the .xls files


def _parse(data: bytes, name: str = "员工.xls"):
    return XlsParser().parse(data, ParseOptions(source_name=name))


def _shape(doc):  # type: ignore[no-untyped-def]
    return [(b.kind, b.level, b.text, b.locator) for b in doc.blocks]


def test_sheets_titles_rows_dates_and_percentages():
    doc = _parse(make_xls())
    assert doc.media_type == "application/vnd.ms-excel"
    assert doc.metadata["sheets"] == [STAFF_SHEET, RATES_SHEET]
    rows = [(b.locator.sheet, b.locator.row_start, b.text) for b in doc.blocks if b.kind == "row"]
    assert rows[0] == (
        STAFF_SHEET,
        3,
        "工号：1001；姓名：张三；部门：财务部；入职日期：2020-03-01；月薪：12000",
    )
    assert [r[1] for r in rows] == [3, 4, 6, 2, 3, 4]
    assert rows[-2] == (
        RATES_SHEET,
        3,
        "城市等级：二线城市；住宿标准（元/晚）：450；餐补（元/天）：80；报销比例：90%",
    )
    title = next(b for b in doc.blocks if b.text == STAFF_TITLE)
    assert (title.kind, title.locator.row_start) == ("heading", 1)


def test_xls_and_xlsx_of_the_same_workbook_give_the_same_blocks():
    xlsx = XlsxParser().parse(make_xlsx(), ParseOptions(source_name="a.xlsx"))
    assert _shape(_parse(make_xls())) == _shape(xlsx)


def test_encrypted_xls_is_reported_as_encrypted():
    with pytest.raises(EncryptedDocument) as info:
        _parse(make_encrypted_xls(), "工资表.xls")
    assert "工资表.xls" in str(info.value) and "password" in str(info.value)


def test_encrypted_xlsx_under_an_xls_name_is_encrypted_too():
    with pytest.raises(EncryptedDocument):
        _parse(make_encrypted_xlsx(), "工资表.xls")


@pytest.mark.parametrize("cut", [600, 3000])
def test_truncated_xls_is_corrupt(cut: int):
    with pytest.raises(CorruptDocument) as info:
        _parse(make_xls()[:cut], "损坏.xls")
    assert "损坏.xls" in str(info.value) and ".xlsx" in str(info.value)


def test_text_named_xls_is_corrupt():
    with pytest.raises(CorruptDocument):
        _parse("姓名,部门\n张三,财务部\n".encode())


def test_xlsx_bytes_under_an_xls_name_are_read_as_xlsx():
    doc = _parse(make_xlsx(), "新格式.xls")
    assert [b.locator.row_start for b in doc.blocks if b.kind == "row"] == [3, 4, 6, 2, 3, 4]


def test_empty_bytes_give_no_blocks():
    assert _parse(b"").blocks == []
