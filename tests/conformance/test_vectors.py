"""The vector index catches up from `chunk_vectors` on every backend, including rows whose
seq commits out of order (PostgreSQL: two workers embedding at once), and keeps its ANN file
per database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from tokenbase.access import FULL_ACCESS
from tokenbase.db.schema import chunk_vectors
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform
from tokenbase.search.vectors import VectorIndex, ann_path_for

from .conftest import ingest

MODEL = "test-model"


def _chunks(platform: Platform, corpus: Path) -> list[int]:
    """Ingest without embedding (these tests write the vectors); the chunk ids."""
    ingestor = platform.ingestor(embed=False)
    sources, _ = expand_sources([str(corpus)])
    ingestor.run(ingestor.enqueue(sources, "hr"))
    with platform.db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM chunks ORDER BY id"))]


def _vector(chunk_id: int, **seq: int) -> dict[str, object]:
    vec = np.zeros(8, dtype=np.float32)
    vec[chunk_id % 8] = 1.0
    return dict(chunk_id=chunk_id, model=MODEL, dim=8, vector=vec.tobytes(), **seq)


def _index(platform: Platform, tmp_path: Path, ann_min_vectors: int) -> VectorIndex:
    return VectorIndex(
        platform.db.engine, tmp_path / "vectors.usearch", model=MODEL,
        ann_min_vectors=ann_min_vectors,
    )  # fmt: skip


def _keys(index: VectorIndex) -> set[int]:
    query = np.ones(8, dtype=np.float32) / np.sqrt(8)
    return {cid for cid, _ in index.search(query, FULL_ACCESS, 100)}


@pytest.mark.parametrize("ann_min_vectors", [1_000_000, 1])
def test_a_row_committed_below_the_watermark_is_still_loaded(
    backend_platform: Platform, corpus: Path, tmp_path: Path, ann_min_vectors: int
):
    first, second, *_ = _chunks(backend_platform, corpus)
    index = _index(backend_platform, tmp_path, ann_min_vectors)
    engine = backend_platform.db.engine
    with engine.begin() as conn:  # the later seq is visible first...
        conn.execute(chunk_vectors.insert().values(_vector(second, seq=1000)))
    index.sync()
    assert _keys(index) == {second}
    with engine.begin() as conn:  # ...then the earlier one commits
        conn.execute(chunk_vectors.insert().values(_vector(first, seq=500)))
    index.sync()
    assert _keys(index) == {first, second} and len(index) == 2
    index.sync()
    assert len(index) == 2  # loaded once


def test_concurrent_transactions_committing_out_of_order(
    backend: str, backend_platform: Platform, corpus: Path, tmp_path: Path
):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: seqs cannot commit out of order")
    first, second, *_ = _chunks(backend_platform, corpus)
    index = _index(backend_platform, tmp_path, 1_000_000)
    engine = backend_platform.db.engine
    with engine.connect() as slow, engine.connect() as fast:
        slow_tx = slow.begin()
        slow.execute(chunk_vectors.insert().values(_vector(first)))  # takes the lower seq
        with fast.begin():
            fast.execute(chunk_vectors.insert().values(_vector(second)))  # commits first
        index.sync()
        assert _keys(index) == {second}
        slow_tx.commit()
    index.sync()
    assert _keys(index) == {first, second}


def test_gaps_survive_a_save_and_reload(backend_platform: Platform, corpus: Path, tmp_path: Path):
    first, second, *_ = _chunks(backend_platform, corpus)
    engine = backend_platform.db.engine
    index = _index(backend_platform, tmp_path, 1)
    with engine.begin() as conn:
        conn.execute(chunk_vectors.insert().values(_vector(second, seq=1000)))
    index.sync()
    index.save()
    with engine.begin() as conn:
        conn.execute(chunk_vectors.insert().values(_vector(first, seq=500)))
    reloaded = _index(backend_platform, tmp_path, 1)
    reloaded.sync()
    assert reloaded.mode == "ann" and _keys(reloaded) == {first, second}


def test_ann_file_is_named_per_database(tmp_path: Path):
    base = tmp_path / "vectors.usearch"
    a = ann_path_for(base, "postgresql+psycopg://u:secret@db:5432/kb_a")
    b = ann_path_for(base, "postgresql+psycopg://u:secret@db:5432/kb_b")
    a_other_password = ann_path_for(base, "postgresql+psycopg://u:rotated@db:5432/kb_a")
    assert a != b and a == a_other_password
    assert a.parent == tmp_path and a.suffix == ".usearch" and "secret" not in a.name
    assert ann_path_for(base, "sqlite:////data/a.db") != ann_path_for(base, "sqlite:////data/b.db")


def test_search_after_ingest_uses_this_databases_file(backend_platform: Platform, corpus: Path):
    ingest(backend_platform, [corpus])
    vectors = backend_platform.searcher.vectors
    assert vectors is not None
    assert vectors.path == ann_path_for(
        backend_platform.settings.ann_path, backend_platform.settings.db_url
    )
