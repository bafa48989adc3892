from tokenbase.ingest.chunker import chunk_document, split_sentences
from tokenbase.ingest.document import Block, Locator, ParsedDocument
from tokenbase.tokens import count_tokens


def _doc(blocks: list[Block]) -> ParsedDocument:
    return ParsedDocument(blocks, "text/plain")


def test_split_sentences_on_chinese_and_english_punctuation():
    text = "差旅费需在30天内报销。住宿标准是多少？请见附表！Version 2.5 is out. Next one"
    pieces = [text[s:e] for s, e in split_sentences(text)]
    assert pieces == [
        "差旅费需在30天内报销。",
        "住宿标准是多少？",
        "请见附表！",
        "Version 2.5 is out.",
        "Next one",
    ]


def test_chunk_text_is_exact_slice_of_document_and_keeps_locators():
    blocks = [
        Block("第一章 总则", "heading", Locator(page=1, heading_path=("第一章 总则",)), 1),
        Block(
            "本制度适用于全体员工。" * 60,
            "paragraph",
            Locator(page=1, heading_path=("第一章 总则",)),
        ),
        Block("第二章 报销", "heading", Locator(page=2, heading_path=("第二章 报销",)), 1),
        Block(
            "差旅费需在30天内报销。", "paragraph", Locator(page=3, heading_path=("第二章 报销",))
        ),
    ]
    doc = _doc(blocks)
    chunks = chunk_document(doc, budget=120, overlap=30)
    assert len(chunks) >= 4
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.token_count <= 140
    # The heading starts a new chunk and its section's locator is kept.
    last = chunks[-1]
    assert last.text.startswith("第二章 报销")
    assert last.locator.heading_path == ("第二章 报销",)
    assert (last.locator.page, last.locator.page_end) == (2, 3)
    assert last.context == "第二章 报销"
    # Consecutive chunks of the long paragraph overlap.
    assert chunks[1].start < chunks[0].end


def test_small_table_and_list_items_stay_whole():
    table = "| 城市 | 标准 |\n| --- | --- |\n| 上海 | 500 |\n| 成都 | 350 |"
    blocks = [
        Block("住宿标准", "heading", Locator(heading_path=("住宿标准",)), 1),
        Block(table, "table", Locator(heading_path=("住宿标准",))),
        Block("需提供发票。", "list_item", Locator(heading_path=("住宿标准",))),
    ]
    doc = _doc(blocks)
    chunks = chunk_document(doc, budget=200)
    assert len(chunks) == 1
    assert table in chunks[0].text


def test_large_table_splits_on_rows_not_mid_row():
    rows = "\n".join(f"| 产品{i} | {i * 100} 元 |" for i in range(200))
    doc = _doc([Block(rows, "table", Locator(sheet="价格"))])
    chunks = chunk_document(doc, budget=100, overlap=0)
    assert len(chunks) > 3
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            assert line.startswith("|") and line.endswith("|")


def test_sentence_without_punctuation_is_hard_split():
    doc = _doc([Block("字" * 1000, "paragraph")])
    chunks = chunk_document(doc, budget=100, overlap=0)
    assert len(chunks) >= 10
    assert "".join(c.text for c in chunks) == "字" * 1000


def test_count_tokens_counts_cjk_and_words():
    assert count_tokens("") == 0
    assert count_tokens("报销") == 2
    assert 2 <= count_tokens("hello world") <= 4
