"""The ingest pipeline on real files in a real SQLite database."""

from pathlib import Path

from sqlalchemy import text

from tokenbase.ingest import jobs as jobstore
from tokenbase.ingest.catalog import remove_document
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus


def _counts(platform: Platform) -> dict[str, int]:
    with platform.db.engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("documents", "chunks", "chunk_fts", "chunk_vectors")
        }


def _ingest(platform: Platform, paths: list[Path], kb: str = "hr", embed: bool = True, **kw):
    sources, problems = expand_sources([str(p) for p in paths], **kw)
    assert not problems
    ingestor = platform.ingestor(embed=embed)
    ids = ingestor.enqueue(sources, kb)
    return ingestor.run(ids, embed=embed)


def test_folder_is_lexically_searchable_before_embedding(platform: Platform, tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    summary = _ingest(platform, [folder], embed=False)
    assert not summary.failed and len(summary.pending_embed) == 3
    counts = _counts(platform)
    assert counts["documents"] == 3 and counts["chunk_vectors"] == 0
    assert counts["chunk_fts"] == counts["chunks"] >= 3
    hits = platform.searcher.search("住宿标准", ["hr"], limit=3).hits
    assert hits and hits[0].title == "差旅管理制度"
    assert "lexical" in hits[0].channels and "dense" not in hits[0].channels

    # The embed pass finishes the queued jobs; then both channels contribute.
    summary = platform.ingestor().run()
    assert len(summary.done) == 3
    assert _counts(platform)["chunk_vectors"] == _counts(platform)["chunks"]
    hit = platform.searcher.search("住宿标准", ["hr"], limit=3).hits[0]
    assert set(hit.channels) == {"lexical", "dense"}
    assert {j.status for j in jobstore.list_jobs(platform.db.engine)} == {"done"}


def test_unchanged_file_is_skipped_and_changed_file_replaces_chunks(
    platform: Platform, tmp_path: Path
):
    folder = write_corpus(tmp_path / "docs")
    _ingest(platform, [folder])
    with platform.db.engine.connect() as conn:
        old_ids = {r[0] for r in conn.execute(text("SELECT id FROM chunks"))}
    summary = _ingest(platform, [folder])
    assert len(summary.skipped) == 3 and not summary.done

    (folder / "食堂.md").write_text(
        "# 员工食堂\n\n晚餐供应时间改为17:30至19:00。\n", encoding="utf-8"
    )
    summary = _ingest(platform, [folder])
    assert len(summary.skipped) == 2 and len(summary.done) == 1
    counts = _counts(platform)
    assert counts["chunks"] == counts["chunk_fts"] == counts["chunk_vectors"]
    assert not platform.searcher.search("午餐 补贴", ["hr"], mode="lexical").hits
    hits = platform.searcher.search("晚餐供应时间", ["hr"], limit=1).hits
    assert hits[0].chunk_id not in old_ids and "17:30" in hits[0].text


def test_rm_removes_chunks_lexical_rows_and_vectors(platform: Platform, tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    _ingest(platform, [folder])
    before = _counts(platform)
    hit = platform.searcher.search("源代码", ["hr"], limit=1).hits[0]
    with platform.db.engine.begin() as conn:
        removed = remove_document(conn, hit.document_id)
    after = _counts(platform)
    assert removed >= 1
    assert after["documents"] == before["documents"] - 1
    assert after["chunks"] == after["chunk_fts"] == after["chunk_vectors"]
    assert after["chunks"] == before["chunks"] - removed
    assert all(
        h.document_id != hit.document_id for h in platform.searcher.search("源代码", ["hr"]).hits
    )


def test_include_and_exclude_globs(tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "草稿.md").write_text("# 草稿\n\n未定稿。", encoding="utf-8")
    (folder / ".hidden.md").write_text("# hidden", encoding="utf-8")
    sources, _ = expand_sources([str(folder)])
    assert sorted(s.name for s in sources) == ["信息安全.txt", "差旅制度.md", "草稿.md", "食堂.md"]
    sources, _ = expand_sources([str(folder)], include=["*.md"], exclude=["drafts/*"])
    assert sorted(s.name for s in sources) == ["差旅制度.md", "食堂.md"]


def test_locators_and_offsets_point_into_document_text(platform: Platform, tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    _ingest(platform, [folder])
    hit = platform.searcher.search("报销时限", ["hr"], limit=1).hits[0]
    with platform.db.engine.connect() as conn:
        doc_text = conn.execute(
            text("SELECT text FROM documents WHERE id = :id"), {"id": hit.document_id}
        ).scalar_one()
    assert doc_text[hit.start : hit.end] == hit.text
    assert hit.locator.heading_path == ("差旅管理制度", "报销时限")


def test_kb_filter_is_inside_the_query(platform: Platform, tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    _ingest(platform, [folder / "差旅制度.md"], kb="finance")
    _ingest(platform, [folder / "信息安全.txt"], kb="it")
    for mode in ("lexical", "dense", "hybrid"):
        hits = platform.searcher.search("住宿标准 源代码", ["it"], mode=mode).hits
        assert hits and all(h.kb == "it" for h in hits)


def test_parallel_parsing_gives_the_same_index_as_sequential(tmp_path: Path):
    from tokenbase.config import load_settings

    folder = write_corpus(tmp_path / "docs")
    for i in range(3):
        (folder / f"通知{i}.md").write_text(
            f"# 通知{i}\n\n第{i}号通知：会议改到周{i + 1}。", "utf-8"
        )
    (folder / "坏文件.pdf").write_bytes(b"%PDF-1.4 broken")
    snapshots = []
    for workers in (1, 2):
        platform = Platform(load_settings(tmp_path / f"data{workers}", ingest={"workers": workers}))
        summary = _ingest(platform, [folder], embed=False)
        assert len(summary.failed) == 1 and len(summary.pending_embed) == 6
        with platform.db.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT d.title, c.ordinal, c.text, c.locator, f.tokens FROM chunks c "
                    "JOIN documents d ON d.id = c.document_id "
                    "JOIN chunk_fts f ON f.rowid = c.id ORDER BY d.title, c.ordinal"
                )
            ).all()
        snapshots.append([tuple(r) for r in rows])
        again = _ingest(platform, [folder], embed=False)  # unchanged: nothing re-parsed
        assert not again.done and len(again.pending_embed) == 6
        platform.close()
    assert snapshots[0] == snapshots[1] and len(snapshots[0]) >= 6
