from pathlib import Path

import pytest

from tokenbase.search.glossary import Glossary, GlossaryError
from tokenbase.search.tokenizer import Tokenizer


def test_chinese_text_is_segmented_not_split_on_spaces():
    tokens = Tokenizer().tokenize("在上海出差的普通员工住宿标准是多少？")
    assert "上海" in tokens and "住宿" in tokens and "标准" in tokens
    assert "的" not in tokens and "？" not in tokens


def test_search_mode_emits_subwords_of_compounds():
    tokens = Tokenizer().tokenize("中华人民共和国")
    assert "中华人民共和国" in tokens and "中华" in tokens


def test_glossary_terms_stay_whole_and_expand_queries(tmp_path: Path):
    path = tmp_path / "glossary.txt"
    path.write_text("# company terms\n云帆知库 = YFKB, 知识库产品\n报销 = 报账\n", encoding="utf-8")
    tokenizer = Tokenizer(Glossary.load(path))
    assert "云帆知库" in tokenizer.tokenize("云帆知库的价格")
    groups = tokenizer.query_terms("怎么报账")
    assert ["报账", "报销"] in groups
    groups = tokenizer.query_terms("YFKB 多少钱")
    assert "云帆知库" in groups[0]


def test_bad_glossary_line_names_file_and_line():
    with pytest.raises(GlossaryError, match="g.txt:2"):
        Glossary.parse("ok = fine\n= broken\n", "g.txt")
