"""A `kill -9` at any point of an ingest loses nothing and duplicates nothing on resume.

Each scenario runs a real ingest in a child process that SIGKILLs itself at a chosen point
(fault injection inside the child, not a mock), then resumes in this process and compares the
database with a clean run of the same files.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from tokenbase.config import load_settings
from tokenbase.ingest import jobs as jobstore
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from tokenbase.config import load_settings
    from tokenbase.ingest.sources import expand_sources
    from tokenbase.kb.platform import Platform
    from tokenbase.search import lexical

    data_dir, folder, point = sys.argv[1], sys.argv[2], sys.argv[3]
    settings = load_settings(data_dir, ingest={"embed_batch_size": 2, "chunk_tokens": 40,
                                               "chunk_overlap_tokens": 0})
    platform = Platform(settings)
    ingestor = platform.ingestor()
    seen = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def on_stage(job_id, stage):
        seen.append((job_id, stage))
        if point == "parse-of-second" and stage == "parse" and job_id == 2:
            die()
        if point == "embed-after-first-batch" and stage == "embed":
            if sum(1 for _, s in seen if s == "embed") == 2:  # one batch already committed
                die()

    if point == "inside-index-transaction":
        original = lexical.SqliteLexicalIndex.add
        def add_then_die(self, conn, rows):
            original(self, conn, rows)
            if getattr(lexical, "_calls", 0) == 1:
                die()  # chunks and lexical rows written, transaction not committed
            lexical._calls = getattr(lexical, "_calls", 0) + 1
        lexical.SqliteLexicalIndex.add = add_then_die

    ingestor.on_stage = on_stage
    sources, _ = expand_sources([folder])
    ingestor.run(ingestor.enqueue(sources, "hr"))
    print("finished without being killed")
    """
)


def _snapshot(platform: Platform) -> dict:
    with platform.db.engine.connect() as conn:
        chunks = conn.execute(
            text(
                "SELECT d.source, c.ordinal, c.text FROM chunks c JOIN documents d "
                "ON d.id = c.document_id ORDER BY d.source, c.ordinal"
            )
        ).all()
        counts = {
            t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("documents", "chunks", "chunk_fts", "chunk_vectors")
        }
        dupes = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT document_id, ordinal FROM chunks "
                "GROUP BY document_id, ordinal HAVING count(*) > 1)"
            )
        ).scalar_one()
    return {"chunks": [tuple(r) for r in chunks], "counts": counts, "dupes": dupes}


def _settings(data_dir: Path):
    return load_settings(
        data_dir, ingest={"embed_batch_size": 2, "chunk_tokens": 40, "chunk_overlap_tokens": 0}
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("ref")
    folder = write_corpus(base / "docs")
    platform = Platform(_settings(base / "data"))
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    ingestor.run(ingestor.enqueue(sources, "hr"))
    snap = _snapshot(platform)
    platform.close()
    return folder, snap


@pytest.mark.parametrize(
    "point", ["parse-of-second", "inside-index-transaction", "embed-after-first-batch"]
)
def test_resume_after_kill(point: str, tmp_path: Path, reference):
    folder, expected = reference
    data_dir = tmp_path / "data"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), str(folder), point],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stdout + child.stderr  # really killed mid-run

    platform = Platform(_settings(data_dir))
    interrupted = [j for j in jobstore.list_jobs(platform.db.engine) if j.status == "running"]
    assert interrupted, "the kill should leave a running job behind"
    requeued = jobstore.recover_interrupted(platform.db.engine)
    assert requeued == [j.id for j in interrupted]
    platform.ingestor().run()

    snap = _snapshot(platform)
    assert snap["dupes"] == 0
    assert snap["counts"] == expected["counts"]
    assert [c[1:] for c in snap["chunks"]] == [c[1:] for c in expected["chunks"]]
    assert {j.status for j in jobstore.list_jobs(platform.db.engine)} == {"done"}
    platform.close()
