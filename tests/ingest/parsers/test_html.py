"""HTML: main content only, headings with paths, lists, tables; boilerplate dropped."""

from __future__ import annotations

import pytest

from tokenbase.ingest.parsers import html as html_parser
from tokenbase.ingest.parsers.html import HtmlParser, extract_html
from tokenbase.ingest.registry import ParseOptions

from .tablemakers import (
    HTML_BOILERPLATE,
    HTML_LIST_ITEMS,
    HTML_PARAGRAPHS,
    HTML_TITLE,
    make_html,
)

TABLE = "| 城市等级 | 住宿标准（元/晚） |\n| --- | --- |\n| 一线城市 | 600 |\n| 二线城市 | 450 |"


def _parse(data: bytes, name: str = "制度.html"):
    return HtmlParser().parse(data, ParseOptions(source_name=name))


def _check_article(doc) -> None:  # type: ignore[no-untyped-def]
    assert doc.title == HTML_TITLE  # the <h1>, not "<title> - 公司内网"
    for junk in [*HTML_BOILERPLATE, "首页", "相关链接", "某某公司内网", "版权所有"]:
        assert junk not in doc.text, junk
    headings = [
        (b.text, b.level, b.locator.heading_path) for b in doc.blocks if b.kind == "heading"
    ]
    assert headings == [
        (HTML_TITLE, 1, (HTML_TITLE,)),
        ("第一章 总则", 2, (HTML_TITLE, "第一章 总则")),
        ("适用范围", 3, (HTML_TITLE, "第一章 总则", "适用范围")),
        ("第二章 报销标准", 2, (HTML_TITLE, "第二章 报销标准")),
    ]
    by_text = {b.text: b for b in doc.blocks}
    for paragraph in HTML_PARAGRAPHS:
        assert by_text[paragraph].kind == "paragraph"
    assert by_text[HTML_PARAGRAPHS[2]].locator.heading_path == (
        HTML_TITLE,
        "第一章 总则",
        "适用范围",
    )
    assert by_text[HTML_PARAGRAPHS[4]].locator.heading_path == (HTML_TITLE, "第二章 报销标准")
    items = [b for b in doc.blocks if b.kind == "list_item"]
    assert [b.text for b in items] == HTML_LIST_ITEMS
    assert items[0].locator.heading_path[-1] == "适用范围"
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert [t.text for t in tables] == [TABLE]
    assert tables[0].locator.heading_path == (HTML_TITLE, "第二章 报销标准")
    order = [b.text for b in doc.blocks]
    assert order.index(TABLE) < order.index(HTML_PARAGRAPHS[4])


def test_article_extracted_with_trafilatura():
    doc = _parse(make_html())
    assert doc.metadata["extractor"] == "trafilatura"
    _check_article(doc)


def test_plain_lxml_walk_gives_the_same_article(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(html_parser, "_trafilatura_blocks", lambda html, url: None)
    doc = _parse(make_html())
    assert doc.metadata["extractor"] == "lxml"
    _check_article(doc)


def test_declared_gbk_charset():
    _check_article(_parse(make_html(charset="gbk")))


def test_short_page_without_main_falls_back_to_the_walk():
    page = """<html><head><title>通知</title></head><body>
    <div id="top"><div class="menu"><a href="/">首页</a><a href="/n">新闻中心</a></div></div>
    <div class="content"><h2>关于调整食堂开放时间的通知</h2>
    <div>各部门：<br>自下周一起，食堂午餐时间调整为11:30至13:00。</div><p>特此通知。</p></div>
    <div class="footer">版权所有 京ICP备123号</div></body></html>"""
    doc = extract_html(page, url="https://intranet.example/notice/1")
    assert doc.metadata == {"extractor": "lxml", "url": "https://intranet.example/notice/1"}
    assert doc.title == "通知"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "关于调整食堂开放时间的通知"),
        ("paragraph", "各部门：\n自下周一起，食堂午餐时间调整为11:30至13:00。"),
        ("paragraph", "特此通知。"),
    ]
    assert doc.blocks[2].locator.heading_path == ("关于调整食堂开放时间的通知",)


def test_nested_lists_and_code_in_the_walk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(html_parser, "_trafilatura_blocks", lambda html, url: None)
    page = """<html><body><article><h1>指南</h1>
    <ol><li>早餐 7:30<ul><li>周末不供应</li></ul></li><li>午餐 11:30</li></ol>
    <pre>def f():\n    return 1</pre></article></body></html>"""
    doc = extract_html(page)
    assert [(b.kind, b.text) for b in doc.blocks[1:]] == [
        ("list_item", "早餐 7:30\n- 周末不供应"),
        ("list_item", "午餐 11:30"),
        ("code", "def f():\n    return 1"),
    ]


def test_empty_and_xhtml_pages():
    assert _parse(b"").blocks == []
    assert _parse(b"   \n").blocks == []
    assert extract_html("<html><body></body></html>").blocks == []
    xhtml = (
        '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
        "<body><p>你好，世界。这是一个 XHTML 页面。</p></body></html>"
    )
    assert extract_html(xhtml).text == "你好，世界。这是一个 XHTML 页面。"


def test_trafilatura_failure_falls_back_to_the_walk(monkeypatch: pytest.MonkeyPatch):
    import trafilatura

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(trafilatura, "extract", broken)
    doc = _parse(make_html())
    assert doc.metadata["extractor"] == "lxml"
    _check_article(doc)


def test_hidden_elements_are_dropped_in_the_walk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(html_parser, "_trafilatura_blocks", lambda html, url: None)
    page = """<html><body><main><h1>公告</h1><p>正文内容。</p>
    <div style="display: none">隐藏的追踪文字</div><div hidden>也隐藏</div>
    <div class="share-buttons">分享到微信</div></main></body></html>"""
    assert extract_html(page).text == "公告\n\n正文内容。"


def test_wrong_declared_charset_falls_back_to_detection():
    page = make_html(charset="gbk").replace(b'charset="gbk"', b'charset="utf-8"')
    _check_article(_parse(page))
