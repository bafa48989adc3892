"""Markdown: heading paths, whole list items, pipe tables, code fences, no front matter."""

from __future__ import annotations

from tokenbase.ingest.parsers.markdown import MarkdownParser, parse_markdown, pipe_table
from tokenbase.ingest.registry import ParseOptions

from .tablemakers import make_markdown


def test_structure_of_a_guide():
    doc = MarkdownParser().parse(make_markdown(), ParseOptions(source_name="指南.md"))
    assert doc.title == "报销指南"
    assert "不应出现的前言" not in doc.text and "tags" not in doc.text
    shape = [(b.kind, b.text, b.locator.heading_path) for b in doc.blocks]
    guide, flow, std = ("报销指南",), ("报销指南", "报销流程"), ("报销指南", "标准")
    limit = (*flow, "审批时限")
    assert shape == [
        ("heading", "报销指南", guide),
        ("paragraph", "本指南说明费用报销的流程与注意事项。", guide),
        ("heading", "报销流程", flow),
        ("list_item", "在系统中填写报销单，并上传发票照片。\n- 发票抬头须为公司全称。", flow),
        ("list_item", "部门负责人审批。", flow),
        ("heading", "审批时限", limit),
        ("paragraph", "审批人应在三个工作日内完成审批。", limit),  # CJK soft break: no space
        ("heading", "标准", std),
        ("table", "| 项目 | 标准（元） |\n| --- | --- |\n| 住宿 | 600 |\n| 餐补 | 100 |", std),
        ("code", "def total(items):\n    return sum(items)", std),
    ]
    assert [b.level for b in doc.blocks if b.kind == "heading"] == [1, 2, 3, 2]


def test_inline_markup_links_quotes_and_setext_headings():
    text = (
        "Policy\n======\n\nSee **the** [portal](https://x.example) and `code`,\nthen continue.\n\n"
        "> 引用的段落。\n\n<div>内嵌 <b>HTML</b></div>\n\n---\n\n* 甲\n* 乙\n"
    )
    doc = parse_markdown(text)
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "Policy"),
        ("paragraph", "See the portal and code, then continue."),
        ("paragraph", "引用的段落。"),
        ("paragraph", "内嵌 HTML"),
        ("list_item", "甲"),
        ("list_item", "乙"),
    ]
    assert doc.title == "Policy"


def test_no_h1_means_no_title_and_empty_input_has_no_blocks():
    assert parse_markdown("## 小节\n\n正文。").title is None
    assert MarkdownParser().parse(b"", ParseOptions()).blocks == []
    assert MarkdownParser().parse(b"---\ntitle: x\n---\n", ParseOptions()).blocks == []


def test_pipe_table_escapes_and_pads():
    assert pipe_table([["a", "b|c"], ["1"]]) == "| a | b\\|c |\n| --- | --- |\n| 1 |  |"
    assert pipe_table([]) == ""
