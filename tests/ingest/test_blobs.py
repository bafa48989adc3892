"""Originals go to the `blobs` table: read back byte-identical, stored once, and a SQL source
interrupted after it was read resumes from the stored rows (its password is never stored)."""

import hashlib
import sqlite3
from pathlib import Path

from sqlalchemy import select, update

from tokenbase.db.schema import blobs, documents, jobs
from tokenbase.ingest.blobs import get_blob, put_blob
from tokenbase.ingest.sources import expand_sources, sql_source
from tokenbase.kb.platform import Platform


def test_blob_store_is_content_addressed_and_idempotent(platform: Platform):
    with platform.db.engine.begin() as conn:
        digest = put_blob(conn, b"hello")
        assert put_blob(conn, b"hello") == digest == hashlib.sha256(b"hello").hexdigest()
        assert get_blob(conn, digest) == b"hello"
        assert get_blob(conn, "0" * 64) is None
        assert len(conn.execute(select(blobs.c.digest)).all()) == 1


def test_ingested_file_original_is_stored(platform: Platform, tmp_path: Path):
    path = tmp_path / "规定.md"
    path.write_text("# 规定\n\n上班时间为九点。\n", encoding="utf-8")
    sources, _ = expand_sources([str(path)])
    ingestor = platform.ingestor(embed=False)
    ingestor.run(ingestor.enqueue(sources, "hr"))
    with platform.db.engine.connect() as conn:
        content_hash = conn.execute(select(documents.c.content_hash)).scalar()
        assert get_blob(conn, content_hash) == path.read_bytes()


def test_folder_ingest_in_parse_workers_stores_every_original(tmp_path: Path):
    from tokenbase.config import load_settings

    platform = Platform(load_settings(tmp_path / "data", ingest={"workers": 2}))
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(4):  # enough jobs for the parallel path
        (folder / f"制度{i}.md").write_text(f"# 制度{i}\n\n第{i}条：按时上班。\n", encoding="utf-8")
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor(embed=False)
    summary = ingestor.run(ingestor.enqueue(sources, "hr"))
    assert len(summary.pending_embed) == 4 and not summary.failed
    with platform.db.engine.connect() as conn:
        for source, content_hash in conn.execute(
            select(documents.c.source, documents.c.content_hash)
        ):
            assert get_blob(conn, content_hash) == Path(source).read_bytes()
    platform.close()


def test_sql_job_resumes_from_stored_rows(platform: Platform, tmp_path: Path):
    db_path = tmp_path / "crm.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE customers (name TEXT, city TEXT)")
        conn.execute("INSERT INTO customers VALUES ('云帆', '杭州')")
    source = sql_source(f"sqlite:///{db_path}", "SELECT * FROM customers")
    ingestor = platform.ingestor()
    [job_id] = ingestor.enqueue([source], "crm")
    ingestor.run([job_id])
    with platform.db.engine.begin() as conn:
        options = conn.execute(select(jobs.c.options).where(jobs.c.id == job_id)).scalar()
        assert get_blob(conn, options["blob"]) is not None
        # As if the process died after reading the rows: requeue from the start.
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(status="queued", stage="fetch"))
    db_path.unlink()  # the database (and its credentials) are gone; the stored rows are not
    summary = platform.ingestor().run([job_id])
    assert summary.skipped == [job_id] and not summary.failed  # same rows: unchanged
