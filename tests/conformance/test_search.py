"""Ingest and search behave the same on every backend: lexical, dense and hybrid search,
removing and re-ingesting a document, reclassifying one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tokenbase.access import FULL_ACCESS, AccessScope
from tokenbase.config import load_settings
from tokenbase.ingest.catalog import remove_document, set_document_classification
from tokenbase.kb.platform import Platform

from ..db.servers import PgDatabases
from .conftest import ingest

MODES = ("lexical", "dense", "hybrid")


def _lexical_rows(platform: Platform) -> int:
    table = "chunk_fts" if platform.db.backend == "sqlite" else "chunk_lexemes"
    with platform.db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def _count(platform: Platform, table: str) -> int:
    with platform.db.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def test_ingest_then_search_in_every_mode(backend_platform: Platform, corpus: Path):
    ingest(backend_platform, [corpus])
    searcher = backend_platform.searcher
    lexical = searcher.search("磁盘加密", ["hr"], mode="lexical").hits
    assert lexical and "磁盘加密" in lexical[0].text
    assert lexical[0].channels["lexical"].score > 0
    dense = searcher.search("中午吃饭公司给多少钱", ["hr"], limit=1, mode="dense").hits
    assert "补贴15元" in dense[0].text
    hybrid = searcher.search("住宿标准", ["hr"], limit=3).hits
    assert "500元" in hybrid[0].text and set(hybrid[0].channels) == {"lexical", "dense"}
    assert _lexical_rows(backend_platform) == _count(backend_platform, "chunks")
    assert _count(backend_platform, "chunk_vectors") == _count(backend_platform, "chunks")


def test_removed_document_never_surfaces(backend_platform: Platform, corpus: Path):
    ingest(backend_platform, [corpus])
    searcher = backend_platform.searcher
    assert searcher.search("源代码", ["hr"], mode="dense").hits  # vector index loaded
    with backend_platform.db.engine.begin() as conn:
        doc_id = conn.execute(
            text("SELECT id FROM documents WHERE source LIKE '%信息安全.txt'")
        ).scalar_one()
        assert remove_document(conn, doc_id) > 0
    for mode in MODES:
        hits = searcher.search("源代码 磁盘加密", ["hr"], limit=10, mode=mode).hits
        assert all(h.document_id != doc_id for h in hits), mode
    assert _lexical_rows(backend_platform) == _count(backend_platform, "chunks")
    assert _count(backend_platform, "chunk_vectors") == _count(backend_platform, "chunks")


def test_changed_file_is_reindexed_with_new_chunk_ids(backend_platform: Platform, corpus: Path):
    ingest(backend_platform, [corpus])
    with backend_platform.db.engine.connect() as conn:
        before = conn.execute(text("SELECT max(id) FROM chunks")).scalar_one()
    (corpus / "食堂.md").write_text("# 员工食堂\n\n晚餐供应时间为17:30至19:00。\n", "utf-8")
    ingest(backend_platform, [corpus / "食堂.md"])
    searcher = backend_platform.searcher
    assert not searcher.search("午餐", ["hr"], mode="lexical").hits
    hits = searcher.search("晚餐供应", ["hr"], mode="lexical").hits
    assert hits and hits[0].chunk_id > before and "17:30" in hits[0].text
    assert "17:30" in searcher.search("晚上几点吃饭", ["hr"], limit=1, mode="dense").hits[0].text
    assert _lexical_rows(backend_platform) == _count(backend_platform, "chunks")


def test_reclassified_document_leaves_a_lower_clearance(backend_platform: Platform, corpus: Path):
    ingest(backend_platform, [corpus])
    searcher = backend_platform.searcher
    internal = AccessScope(None, 1)
    assert searcher.search("住宿标准", ["hr"], scope=internal, mode="dense").hits
    with backend_platform.db.engine.begin() as conn:
        doc_id = conn.execute(
            text("SELECT id FROM documents WHERE source LIKE '%差旅制度.md'")
        ).scalar_one()
        set_document_classification(conn, doc_id, 3)
    for mode in MODES:
        hits = searcher.search("住宿标准 报销", ["hr"], scope=internal, mode=mode).hits
        assert all(h.document_id != doc_id for h in hits), mode
        full = searcher.search("住宿标准 报销", ["hr"], scope=FULL_ACCESS, mode=mode).hits
        assert any(h.document_id == doc_id and h.classification == 3 for h in full), mode


def test_lexical_ranking_is_the_same_on_both_backends(
    tmp_path: Path, corpus: Path, pg_databases: PgDatabases | None
):
    if pg_databases is None:
        pytest.skip("needs TOKENBASE_TEST_PG_URL (bash scripts/test-postgres.sh start)")
    settings = {"ingest": {"chunk_tokens": 40, "chunk_overlap_tokens": 0}}
    results = []
    for name, url in (("sqlite", ""), ("postgresql", pg_databases.create())):
        platform = Platform(load_settings(tmp_path / name, database_url=url, **settings))
        try:
            ingest(platform, [corpus])
            results.append(
                [
                    [
                        (h.text, round(h.channels["lexical"].score, 9))
                        for h in platform.searcher.search(q, ["hr"], mode="lexical").hits
                    ]
                    for q in ("住宿标准", "员工 报销 30天", "公司 源代码 午餐 补贴", "API 3.5")
                ]
            )
        finally:
            platform.close()
    sqlite, postgresql = results
    assert sqlite[0] and sqlite == postgresql
