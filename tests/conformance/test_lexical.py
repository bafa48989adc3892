"""The lexical index sees the same tokens on every backend: what FTS5's unicode61 tokenizer
makes of the jieba tokens is what PostgreSQL's tsvector holds, and odd tokens are found."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tokenbase.access import FULL_ACCESS
from tokenbase.kb.platform import Platform
from tokenbase.search.lexical import fts5_tokenize
from tokenbase.search.lexical_pg import tsquery_literal, tsvector_literal

from .conftest import ingest

ODD = "版本3.5的E5-Small模型，Héllo Wörld！it's 11:30开会；C++与C#；ＡＢＣ全角；naïve café 𠀀字"


def _index_terms(platform: Platform) -> tuple[set[str], int]:
    """(distinct terms, total tokens) held by the backend's lexical index."""
    with platform.db.engine.connect() as conn:
        if platform.db.backend == "sqlite":
            terms = {r[0] for r in conn.execute(text("SELECT term FROM chunk_fts_vocab"))}
            total = conn.execute(text("SELECT sum(cnt) FROM chunk_fts_vocab")).scalar_one()
        else:
            terms = {
                r[0]
                for r in conn.execute(
                    text("SELECT DISTINCT unnest(tsvector_to_array(tokens)) FROM chunk_lexemes")
                )
            }
            total = conn.execute(text("SELECT sum(length) FROM chunk_lexemes")).scalar_one()
    return terms, int(total)


def test_index_holds_the_tokens_fts5_makes(backend_platform: Platform, tmp_path: Path):
    (tmp_path / "odd.txt").write_text(ODD + "\n", "utf-8")
    ingest(backend_platform, [tmp_path / "odd.txt"])
    tokens = fts5_tokenize([backend_platform.tokenizer.index_text(ODD)])[0]
    assert {"3", "5", "e5", "small", "11", "30", "ａ", "𠀀"} <= set(tokens)
    assert _index_terms(backend_platform) == (set(tokens), len(tokens))


def test_odd_query_tokens_find_their_chunk(backend_platform: Platform, tmp_path: Path):
    (tmp_path / "odd.txt").write_text(ODD + "\n", "utf-8")
    (tmp_path / "other.txt").write_text("无关的文字，关于午餐。\n", "utf-8")
    ingest(backend_platform, [tmp_path / "odd.txt", tmp_path / "other.txt"])
    with backend_platform.db.engine.connect() as conn:
        for query in ("3.5", "E5-Small", "SMALL", "it's", "11:30", "C++", "ａｂｃ", "𠀀"):
            groups = backend_platform.tokenizer.query_terms(query)
            hits = backend_platform.searcher.lexical.search(conn, groups, FULL_ACCESS, 5)
            assert len(hits) == 1, (query, groups)


def test_quotes_and_backslashes_survive_tsvector_and_tsquery_input(backend: str, database_url: str):
    if backend != "postgresql":
        pytest.skip("tsvector input is PostgreSQL's")
    from tokenbase.db import open_database

    lexemes = ["it's", "a\\b", "''", "x y", "中文"]
    db = open_database(database_url)
    try:
        with db.engine.connect() as conn:
            stored = conn.execute(
                text("SELECT tsvector_to_array(CAST(:v AS tsvector))"),
                {"v": tsvector_literal(lexemes)},
            ).scalar_one()
            matches = conn.execute(
                text("SELECT CAST(:v AS tsvector) @@ CAST(:q AS tsquery)"),
                {"v": tsvector_literal(["other", "a\\b"]), "q": tsquery_literal(lexemes)},
            ).scalar_one()
    finally:
        db.engine.dispose()
    assert sorted(stored) == sorted(lexemes) and matches
