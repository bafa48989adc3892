"""CSV/TSV: any encoding, sniffed delimiter, header-aware rows located by line number."""

from __future__ import annotations

import pytest

from tokenbase.ingest.errors import DecodingError
from tokenbase.ingest.parsers.csv import CsvParser, sniff_delimiter
from tokenbase.ingest.registry import ParseOptions

from .tablemakers import make_csv

EXPECTED = [
    (2, "城市：北京；交通方式：高铁二等座；标准（元）：553；备注：含退改签费用"),
    (3, "城市：上海；交通方式：飞机经济舱；标准（元）：1240；备注：需提前七天预订"),
    (4, "城市：广州；交通方式：高铁一等座；标准（元）：862.5；备注：限总监及以上"),
]


def _parse(data: bytes, name: str = "交通标准.csv"):
    return CsvParser().parse(data, ParseOptions(source_name=name))


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ","), ("gbk", ","), ("gb18030", ";"), ("utf-8", "\t"), ("utf-16", "|")],
)
def test_encodings_and_delimiters(encoding: str, delimiter: str):
    doc = _parse(make_csv(encoding=encoding, delimiter=delimiter))
    rows = [(b.locator.row_start, b.text) for b in doc.blocks]
    assert rows[:3] == EXPECTED
    # the quoted last field contains the delimiter itself (a tab, like any space, becomes " ")
    note = "市内交通" + (" " if delimiter == "\t" else delimiter) + "凭票报销"
    assert rows[3] == (5, f"城市：深圳；交通方式：出租车；标准（元）：200；备注：{note}")
    assert all(b.kind == "row" and b.locator.sheet is None for b in doc.blocks)
    assert doc.metadata["delimiter"] == delimiter


def test_tsv_by_name():
    doc = _parse("姓名\t备注\n张三\t含, 逗号; 分号\n".encode(), "名单.tsv")
    assert [b.text for b in doc.blocks] == ["姓名：张三；备注：含, 逗号; 分号"]
    assert doc.media_type == "text/tab-separated-values"


def test_line_numbers_follow_multiline_fields_and_blank_lines():
    data = '问题,答案\n"如何报销？","先填单，\n再交发票。"\n\n"住宿标准？",600\n'.encode()
    doc = _parse(data)
    assert [(b.locator.row_start, b.text) for b in doc.blocks] == [
        (2, "问题：如何报销？；答案：先填单， 再交发票。"),
        (5, "问题：住宿标准？；答案：600"),
    ]


def test_title_line_above_the_header():
    data = "2024年差旅标准\n城市,标准\n北京,600\n上海,650\n".encode()
    doc = _parse(data)
    assert [(b.kind, b.text, b.locator.row_start) for b in doc.blocks] == [
        ("heading", "2024年差旅标准", 1),
        ("row", "城市：北京；标准：600", 3),
        ("row", "城市：上海；标准：650", 4),
    ]
    assert doc.blocks[1].locator.heading_path == ("2024年差旅标准",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n4;5;6\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("只有一列\n第二行\n", ","),
    ],
)
def test_sniff_delimiter(text: str, expected: str):
    assert sniff_delimiter(text) == expected


def test_empty_and_binary_csv():
    assert _parse(b"").blocks == []
    assert _parse(b" \r\n \r\n").blocks == []
    with pytest.raises(DecodingError) as info:
        _parse(bytes(range(256)) * 8, "导出.csv")
    assert "导出.csv" in str(info.value)
