"""TXT: any encoding, paragraphs, conservative headings with paths, a title line."""

from __future__ import annotations

import pytest

from tokenbase.ingest.errors import DecodingError
from tokenbase.ingest.parsers.text import PARAGRAPH_MAX, TextParser, heading_level, parse_text
from tokenbase.ingest.registry import ParseOptions

from .tablemakers import make_txt

CH2 = "第二章 报销标准"
EXPECTED = [
    ("title", "差旅费报销管理办法", ()),
    ("heading", "第一章 总则", ("第一章 总则",)),
    (
        "paragraph",
        "为规范公司差旅费用报销管理，根据国家有关规定，结合公司实际情况，制定本办法。\n"
        "本办法适用于公司全体员工。",
        ("第一章 总则",),
    ),
    ("heading", CH2, (CH2,)),
    ("heading", "一、适用范围", (CH2, "一、适用范围")),
    ("paragraph", "正式员工与试用期员工均适用本标准。", (CH2, "一、适用范围")),
    ("heading", "1.2 报销流程", (CH2, "1.2 报销流程")),
    ("paragraph", "员工应在出差结束后三十日内提交报销单据，逾期不予受理。", (CH2, "1.2 报销流程")),
]


def _parse(data: bytes, name: str = "办法.txt"):
    return TextParser().parse(data, ParseOptions(source_name=name))


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", False),
        ("utf-8", True),
        ("gb18030", False),
        ("gbk", False),
        ("utf-16-le", True),
        ("utf-16-be", True),
        ("utf-16-le", False),
        ("utf-16-be", False),
    ],
)
def test_same_blocks_in_every_encoding(encoding: str, bom: bool):
    doc = _parse(make_txt(encoding=encoding, bom=bom))
    assert [(b.kind, b.text, b.locator.heading_path) for b in doc.blocks] == EXPECTED
    assert doc.title == "差旅费报销管理办法"
    assert [b.level for b in doc.blocks if b.kind == "heading"] == [1, 1, 2, 2]


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("第一章 总则", 1),
        ("第十二章　附则", 1),
        ("第3章 费用", 1),
        ("第二节 住宿", 2),
        ("一、适用范围", 2),
        ("（三）审批权限", 3),
        ("1.2 报销流程", 2),
        ("2.3.1 发票要求", 3),
        # not headings
        ("第一条 为规范公司差旅费用报销管理，制定本办法。", 0),
        ("一、适用范围：本办法适用于全体员工。", 0),
        ("1. 填写报销单", 0),
        ("1.5倍加班工资", 0),
        ("3.14 是圆周率。", 0),
        ("总则", 0),
        ("一、" + "很长的标题" * 10, 0),
    ],
)
def test_heading_level(line: str, level: int):
    assert heading_level(line) == level


def test_lines_without_blank_lines_are_grouped_into_paragraphs():
    sentence = "员工因公出差产生的交通费、住宿费和餐费可以按规定申请报销。"  # 29 chars
    text = "\n".join([sentence] * 100)
    doc = parse_text(text)
    assert len(doc.blocks) > 1
    assert all(b.kind == "paragraph" for b in doc.blocks)
    assert all(len(b.text) <= PARAGRAPH_MAX for b in doc.blocks)
    assert sum(b.text.count(sentence) for b in doc.blocks) == 100


def test_first_line_is_a_title_only_when_set_apart():
    assert parse_text("会议纪要\n\n今天讨论了预算。").title == "会议纪要"
    no_title = parse_text("会议纪要\n今天讨论了预算。")
    assert no_title.title is None
    assert [b.kind for b in no_title.blocks] == ["paragraph"]
    assert parse_text("只有一行").blocks[0].kind == "paragraph"


def test_indented_paragraphs_are_stripped():
    doc = parse_text("　　第一段内容。\n\n    第二段内容。")
    assert [b.text for b in doc.blocks] == ["第一段内容。", "第二段内容。"]


def test_empty_and_binary_text():
    assert _parse(b"").blocks == []
    assert _parse(b"\r\n  \r\n").blocks == []
    with pytest.raises(DecodingError) as info:
        _parse(bytes(range(256)) * 40, "binary.txt")
    assert "binary.txt" in str(info.value) and "UTF-8" in str(info.value)
