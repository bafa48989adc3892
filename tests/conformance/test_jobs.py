"""The job queue on every backend: concurrent workers never run a job twice, interrupted jobs
resume, and a kill -9 inside the index transaction leaves nothing half-written."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

from sqlalchemy import text, update

from tokenbase.config import load_settings
from tokenbase.db.schema import jobs
from tokenbase.ingest import jobs as jobstore
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from .conftest import ingest

WORKERS = 3


def _settings(data_dir: Path, url: str):  # type: ignore[no-untyped-def]
    return load_settings(data_dir, database_url=url, ingest={"workers": 1})


def _write_files(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"note{i:02d}.txt").write_text(
            f"第{i}号通知\n\n本通知编号{i}，涉及差旅报销和会议安排。\n", "utf-8"
        )
    return folder


def _snapshot(platform: Platform) -> dict[str, object]:
    with platform.db.engine.connect() as conn:
        q = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
        return {
            "jobs": q("SELECT status, stage, attempts FROM jobs ORDER BY id"),
            "documents": q("SELECT source, chunk_count, status FROM documents ORDER BY source"),
            "chunks": q(
                "SELECT d.source, c.ordinal, c.text FROM chunks c "
                "JOIN documents d ON d.id = c.document_id ORDER BY d.source, c.ordinal"
            ),
            "vectors": q("SELECT count(*), count(DISTINCT chunk_id) FROM chunk_vectors"),
        }


def test_concurrent_workers_run_each_job_exactly_once(tmp_path: Path, database_url: str):
    folder = _write_files(tmp_path / "docs", 10)
    platforms = [Platform(_settings(tmp_path / f"w{i}", database_url)) for i in range(WORKERS)]
    try:
        sources, _ = expand_sources([str(folder)])
        job_ids = platforms[0].ingestor().enqueue(sources, "hr")
        for p in platforms:  # load jieba and the embedder before the race starts
            p.tokenizer.tokenize("预热")
            p.embedder.embed_queries(["预热"])
        start = threading.Barrier(WORKERS)
        summaries, errors = [], []

        def work(platform: Platform) -> None:
            try:
                start.wait()
                summaries.append(platform.ingestor().run())
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(p,)) for p in platforms]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        done = Counter(j for s in summaries for j in s.done)
        assert sorted(done) == sorted(job_ids) and set(done.values()) == {1}
        state = _snapshot(platforms[0])
        assert state["jobs"] == [("done", "done", 2)] * 10  # claimed once to index, once to embed
        assert len(state["documents"]) == 10
        chunk_keys = [(source, ordinal) for source, ordinal, _ in state["chunks"]]
        assert len(chunk_keys) == len(set(chunk_keys)) == sum(n for _, n, _ in state["documents"])
        assert state["vectors"] == [(len(chunk_keys), len(chunk_keys))]
    finally:
        for p in platforms:
            p.close()


def test_a_dead_workers_job_is_resumed(backend_platform: Platform, corpus: Path):
    ingestor = backend_platform.ingestor()
    sources, _ = expand_sources([str(corpus)])
    ids = ingestor.enqueue(sources, "hr")
    with backend_platform.db.engine.begin() as conn:  # claimed by a process that then died
        claimed = jobstore.claim_next(conn)
        assert claimed is not None and claimed.id == ids[0]
        conn.execute(update(jobs).where(jobs.c.id == ids[0]).values(worker="elsewhere:1"))
        conn.execute(update(jobs).where(jobs.c.id == ids[0]).values(heartbeat_at=jobs.c.created_at))
    summary = ingestor.run(ids)
    assert ids[0] not in summary.done  # running elsewhere: not touched
    assert jobstore.recover_interrupted(backend_platform.db.engine) == []  # heartbeat is fresh
    with backend_platform.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE jobs SET heartbeat_at = :t WHERE id = :id"),
            {"t": "2000-01-01 00:00:00+00:00", "id": ids[0]},
        )
    assert jobstore.recover_interrupted(backend_platform.db.engine) == [ids[0]]
    assert ingestor.run(ids).done == [ids[0]]
    hits = backend_platform.searcher.search("源代码", ["hr"], mode="hybrid").hits
    assert hits and "源代码" in hits[0].text


CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from tokenbase.config import load_settings
    from tokenbase.ingest.sources import expand_sources
    from tokenbase.kb.platform import Platform
    from tokenbase.search import lexical, lexical_pg

    data_dir, url, folder = sys.argv[1:4]
    platform = Platform(load_settings(data_dir, database_url=url, ingest={"workers": 1}))
    for cls in (lexical.SqliteLexicalIndex, lexical_pg.PostgresLexicalIndex):
        def add_then_die(self, conn, rows, _original=cls.add):
            _original(self, conn, rows)
            if lexical.__dict__.setdefault("calls", [0])[0] == 1:
                os.kill(os.getpid(), signal.SIGKILL)  # second document: inside its transaction
            lexical.calls[0] += 1
        cls.add = add_then_die
    ingestor = platform.ingestor()
    sources, _ = expand_sources([folder])
    ingestor.run(ingestor.enqueue(sources, "hr"))
    """
)


def test_kill_inside_the_index_transaction_then_resume(
    tmp_path: Path, corpus: Path, new_database_url
):  # type: ignore[no-untyped-def]
    killed_url, clean_url = new_database_url(), new_database_url()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "killed"), killed_url, str(corpus)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr
    killed = Platform(_settings(tmp_path / "killed", killed_url))
    clean = Platform(_settings(tmp_path / "clean", clean_url))
    try:
        with killed.db.engine.connect() as conn:  # the second document left nothing behind
            assert conn.execute(text("SELECT count(*) FROM documents")).scalar_one() == 1
        assert jobstore.recover_interrupted(killed.db.engine)
        killed.ingestor().run()
        ingest(clean, [corpus])
        resumed, expected = _snapshot(killed), _snapshot(clean)
        for key in ("documents", "chunks", "vectors"):
            assert resumed[key] == expected[key], key
        hits = killed.searcher.search("磁盘加密", ["hr"], mode="lexical").hits
        assert hits and "磁盘加密" in hits[0].text
    finally:
        killed.close()
        clean.close()


def test_new_job_for_an_unchanged_document_without_vectors_embeds_it(
    backend_platform: Platform, corpus: Path
):
    sources, _ = expand_sources([str(corpus / "食堂.md")])
    first = backend_platform.ingestor(embed=False)
    [job_id] = first.enqueue(sources, "hr")
    assert first.run([job_id]).pending_embed == [job_id]
    with backend_platform.db.engine.begin() as conn:  # e.g. an upload always makes a new job
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(status="failed"))
    ingestor = backend_platform.ingestor()
    [again] = ingestor.enqueue(sources, "hr")
    assert again != job_id and ingestor.run([again]).done == [again]
    with backend_platform.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM chunk_vectors")).scalar_one() > 0
