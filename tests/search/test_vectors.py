"""The vector index: exact below the threshold, usearch HNSW above it; derived, rebuildable."""

from pathlib import Path

from sqlalchemy import text

from tokenbase.config import load_settings
from tokenbase.ingest.catalog import remove_document
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus


def _platform(data_dir: Path, ann_min_vectors: int) -> Platform:
    return Platform(
        load_settings(
            data_dir,
            search={"ann_min_vectors": ann_min_vectors},
            ingest={"chunk_tokens": 40, "chunk_overlap_tokens": 0},
        )
    )


def _ingest(platform: Platform, paths: list[Path], kb: str = "hr") -> None:
    sources, _ = expand_sources([str(p) for p in paths])
    ingestor = platform.ingestor()
    ingestor.run(ingestor.enqueue(sources, kb))


def test_ann_agrees_with_exact_search(tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    exact = _platform(tmp_path / "exact", ann_min_vectors=10_000)
    ann = _platform(tmp_path / "ann", ann_min_vectors=3)
    for platform in (exact, ann):
        _ingest(platform, [folder])
    queries = ["住宿标准", "源代码不能上传", "午餐补贴多少钱", "报销期限"]
    for query in queries:
        a = exact.searcher.search(query, ["hr"], limit=1, mode="dense").hits[0]
        b = ann.searcher.search(query, ["hr"], limit=1, mode="dense").hits[0]
        assert a.text == b.text, query
        assert abs(a.channels["dense"].score - b.channels["dense"].score) < 0.01
    assert exact.searcher.vectors.mode == "exact"
    assert ann.searcher.vectors.mode == "ann"
    exact.close()
    ann.close()


def test_ann_file_is_reloaded_caught_up_and_rebuilt(tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    data_dir = tmp_path / "data"
    first = _platform(data_dir, ann_min_vectors=3)
    _ingest(first, [folder / "差旅制度.md", folder / "信息安全.txt"])
    first.searcher.search("住宿", ["hr"], mode="dense")
    size = len(first.searcher.vectors)
    first.close()  # saves the ANN file and its watermark
    assert first.searcher.vectors.path.exists()
    assert first.searcher.vectors.path.parent == data_dir

    second = _platform(data_dir, ann_min_vectors=3)
    _ingest(second, [folder / "食堂.md"])  # new vectors after the saved watermark
    hit = second.searcher.search("午餐供应时间", ["hr"], limit=1, mode="dense").hits[0]
    assert second.searcher.vectors.mode == "ann"
    assert "11:30" in hit.text
    assert len(second.searcher.vectors) > size

    # Removing a document: its stale vectors never surface, and enough staleness rebuilds.
    with second.db.engine.begin() as conn:
        doc_ids = [r[0] for r in conn.execute(text("SELECT id FROM documents"))]
        for doc_id in doc_ids[:2]:
            remove_document(conn, doc_id)
    hits = second.searcher.search("住宿标准 源代码", ["hr"], limit=10, mode="dense").hits
    assert hits and all("午餐" in h.text or "食堂" in h.text for h in hits)
    with second.db.engine.connect() as conn:
        live = conn.execute(text("SELECT count(*) FROM chunk_vectors")).scalar_one()
    assert len(second.searcher.vectors) == live  # rebuilt from the database
    second.close()


def test_damaged_ann_file_is_rebuilt_from_the_database(tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    data_dir = tmp_path / "data"
    first = _platform(data_dir, ann_min_vectors=3)
    _ingest(first, [folder])
    first.searcher.search("住宿", ["hr"], mode="dense")
    first.close()
    first.searcher.vectors.path.write_bytes(b"garbage")
    second = _platform(data_dir, ann_min_vectors=3)
    hit = second.searcher.search("源代码", ["hr"], limit=1, mode="dense").hits[0]
    assert "源代码" in hit.text
    second.close()
