"""The access scope is applied inside every channel's query on every backend: a scope limited
by knowledge bases and clearance never gets a chunk outside it, and out-of-scope chunks that
would rank higher never use up the limit."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import text

from tokenbase.access import AccessScope
from tokenbase.kb.platform import Platform

from .conftest import ingest

LEVELS = (0, 1, 2, 3)
QUERIES = ("差旅报销", "报销 期限", "会议室 预订", "办公用品 采购 报销")


@pytest.fixture
def labelled(backend_platform: Platform, tmp_path: Path) -> Platform:
    """Two knowledge bases, one document per classification level in each."""
    for kb, level in itertools.product(("alpha", "beta"), LEVELS):
        folder = tmp_path / f"{kb}{level}"
        folder.mkdir()
        path = folder / f"{kb}-{level}.md"
        # The more secret the document, the more often it says 报销: it ranks first lexically.
        path.write_text(
            f"# {kb} 第{level}号制度\n\n"
            + "差旅报销期限为30天。" * (level + 1)
            + "会议室预订和办公用品采购。\n",
            "utf-8",
        )
        ingest(backend_platform, [path], kb=kb, classification=level)
    return backend_platform


def _allowed(platform: Platform, scope: AccessScope) -> set[int]:
    with platform.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, kb_id, classification FROM chunks")).all()
    return {cid for cid, kb, level in rows if scope.allows(kb, level)}


def test_no_channel_returns_a_chunk_outside_the_scope(labelled: Platform):
    with labelled.db.engine.connect() as conn:
        kb_ids = dict(conn.execute(text("SELECT name, id FROM knowledge_bases")).all())
    scopes = [
        AccessScope(frozenset(kbs), clearance)
        for kbs in ({kb_ids["alpha"]}, {kb_ids["beta"]}, set(kb_ids.values()))
        for clearance in (-1, 0, 1, 2, 3)
    ] + [AccessScope(None, c) for c in (0, 2)]
    searcher = labelled.searcher
    for scope in scopes:
        allowed = _allowed(labelled, scope)
        for query, mode in itertools.product(QUERIES, ("lexical", "dense", "hybrid")):
            hits = searcher.search(query, scope=scope, limit=20, mode=mode).hits  # type: ignore[arg-type]
            assert {h.chunk_id for h in hits} <= allowed, (scope, query, mode)
            if mode == "dense":  # every allowed chunk has a vector: all of them come back
                assert len(hits) == min(20, len(allowed)), (scope, query)


def test_out_of_scope_chunks_do_not_use_up_the_limit(labelled: Platform):
    """The most secret documents rank first; a public-only caller still gets `limit` hits."""
    public = AccessScope(None, 0)
    allowed = _allowed(labelled, public)
    searcher = labelled.searcher
    with labelled.db.engine.connect() as conn:
        top = searcher.lexical.search(conn, [["报销"]], AccessScope(None, 3), 2)
        assert all(cid not in allowed for cid, _ in top)  # the secret ones rank first
        hits = searcher.lexical.search(conn, [["报销"]], public, 2)
    assert len(hits) == 2 and {cid for cid, _ in hits} <= allowed
    dense = searcher.search("差旅报销", scope=public, limit=2, mode="dense").hits
    assert len(dense) == 2 and {h.chunk_id for h in dense} <= allowed
