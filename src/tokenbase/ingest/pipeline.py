"""The ingest pipeline: sources -> jobs -> fetch, parse, chunk, index -> embed.

`Ingestor.run()` works in two passes so a whole batch becomes lexically searchable before the
slow part starts: pass one takes each job through `index` (one transaction that swaps the
document's chunks atomically), pass two embeds every job waiting at the `embed` stage.
Failures are per job: the error is recorded with its code and the batch goes on.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import numpy as np
from sqlalchemy import Engine, select, update

from ..config import Settings
from ..db.schema import DEFAULT_CLASSIFICATION, chunk_vectors, chunks, documents, jobs
from ..ledger.attribution import attributed, current_attribution
from ..llm.embeddings import Embedder
from ..llm.errors import ModelError
from ..search.lexical import lexical_index_for
from ..search.tokenizer import Tokenizer
from . import jobs as jobstore
from .blobs import digest_of, get_blob, put_blob
from .catalog import (
    get_or_create_kb,
    note_chunk_deletions,
    set_document_classification,
    utcnow,
)
from .chunker import context_for
from .document import Locator
from .errors import IngestError
from .parallel import ParsePool, WorkerResult
from .prepare import Prepared, prepare_document
from .sources import Fetched, Source, fetch

log = logging.getLogger(__name__)
PARALLEL_MIN_JOBS = 4  # below this, starting worker processes costs more than it saves


class ProgressSink(Protocol):
    def job_started(self, job_id: int, name: str) -> None: ...
    def job_stage(self, job_id: int, stage: str, fraction: float) -> None: ...
    def job_finished(self, job_id: int, status: str, message: str) -> None: ...


class NullProgress:
    def job_started(self, job_id: int, name: str) -> None:
        pass

    def job_stage(self, job_id: int, stage: str, fraction: float) -> None:
        pass

    def job_finished(self, job_id: int, status: str, message: str) -> None:
        pass


@dataclass
class RunSummary:
    done: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    pending_embed: list[int] = field(default_factory=list)


def _source_from_options(options: dict[str, Any]) -> Source:
    return Source(options["kind"], options["location"], options["name"])


class Ingestor:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        tokenizer: Tokenizer,
        embedder: Embedder | None,
        *,
        debug: bool = False,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.lexical = lexical_index_for(engine)
        self.debug = debug
        self.blob_dir = settings.data_dir / "files"
        # Test hook: called with (job_id, stage) as each stage starts. Lets the resume tests
        # kill the process at an exact point; never set in production code.
        self.on_stage: Callable[[int, str], None] | None = None

    # -- queueing ----------------------------------------------------------------------------
    def enqueue(
        self,
        sources: list[Source],
        kb: str,
        *,
        classification: int | None = None,
        licence: str | None = None,
        usage: str | None = None,
        title: str | None = None,
    ) -> list[int]:
        """Create one queued job per source; returns the job ids. `usage` (internal, external,
        third_party) says where a document's text may be used (red line 3)."""
        ids: list[int] = []
        with self.engine.begin() as conn:
            kb_id = get_or_create_kb(conn, kb)
            for source in sources:
                options = {
                    "kind": source.kind,
                    "location": source.location,
                    "name": source.name,
                    "classification": classification,
                    "licence": licence,
                    "usage": usage,
                    "title": title if len(sources) == 1 else None,
                }
                waiting = conn.execute(
                    select(jobs.c.id).where(
                        jobs.c.kb_id == kb_id,
                        jobs.c.source == source.location,
                        jobs.c.status == "queued",
                    )
                ).scalar()
                if waiting is not None:  # an interrupted run left this one: resume it
                    ids.append(int(waiting))
                    continue
                ids.append(jobstore.create_job(conn, kb_id, source.location, source.kind, options))
        self._live_sources = {s.location: s for s in sources}
        return ids

    # -- running -----------------------------------------------------------------------------
    def run(
        self,
        job_ids: list[int] | None = None,
        progress: ProgressSink | None = None,
        *,
        embed: bool = True,
    ) -> RunSummary:
        """Process queued jobs (all, or `job_ids`): index pass, then embed pass.

        Jobs are claimed one at a time (`jobs.claim_next`), so several workers (processes or
        replicas) running at once share the queue and never take the same job."""
        progress = progress or NullProgress()
        summary = RunSummary()
        workers = self.settings.ingest.workers or os.cpu_count() or 1
        if (
            workers > 1
            and self.on_stage is None
            and len(self._queued(job_ids, stage_not="embed")) >= PARALLEL_MIN_JOBS
        ):
            self._index_in_pool(job_ids, workers, progress, summary)
        to_index = jobstore.JobQueue(self.engine, job_ids, stage_not="embed")
        while (job := to_index.claim()) is not None:
            self._run_one(job, progress, summary, embed_now=False)
        if embed and self.embedder is not None:
            to_embed = jobstore.JobQueue(self.engine, job_ids, stage="embed")
            requeued: set[int] = set()  # embedding failed: waits for `resume`, not this pass
            while (job := to_embed.claim(skip=requeued)) is not None:
                if not self._run_one(job, progress, summary, embed_now=True):
                    requeued.add(job.id)
        else:
            summary.pending_embed.extend(self._queued(job_ids, stage="embed"))
        return summary

    def _index_in_pool(
        self,
        job_ids: list[int] | None,
        workers: int,
        progress: ProgressSink,
        summary: RunSummary,
    ) -> None:
        """Index queued jobs with file parsing in worker processes. Claims a few jobs per
        worker ahead (not the whole batch), so other workers on the queue get their share."""
        window = 2 * workers
        inflight: deque[tuple[jobstore.ClaimedJob, Future[WorkerResult]]] = deque()
        queue = jobstore.JobQueue(self.engine, job_ids, stage_not="embed")
        with ParsePool(workers, self.settings.glossary_path) as pool:
            while True:
                while len(inflight) < window:
                    job = queue.claim()
                    if job is None:
                        break
                    if job.options["kind"] != "file":  # URLs and SQL: fetched in-process
                        self._run_one(job, progress, summary, embed_now=False)
                        continue
                    existing = self._known(job.kb_id, job.options["location"])
                    known_hash = existing.content_hash if existing is not None else None
                    future = pool.submit(job.options, self.settings.ingest, known_hash)
                    jobstore.set_stage(self.engine, job.id, "parse", 0.0)
                    inflight.append((job, future))
                if not inflight:
                    return
                job, future = inflight.popleft()  # in claim order, so progress reads naturally
                progress.job_started(job.id, job.options["name"])
                self._finish_pooled(
                    job.id, job.kb_id, job.options, future.result(), progress, summary
                )

    def _finish_pooled(
        self,
        job_id: int,
        kb_id: int,
        options: dict[str, Any],
        result: WorkerResult,
        progress: ProgressSink,
        summary: RunSummary,
    ) -> None:
        if result.error_code is not None:
            self._fail(job_id, result.error_code, result.error or "", progress, summary)
            return
        assert result.fetched is not None and result.digest is not None
        existing = self._known(kb_id, options["location"])
        if result.unchanged and existing is not None:
            status, message, document_id = self._unchanged(existing, options)
        else:
            assert result.prepared is not None
            progress.job_stage(job_id, "index", 0.0)
            self._keep_original(options, result.digest)
            status, message, document_id = self._store(
                job_id,
                kb_id,
                options,
                result.fetched,
                result.size,
                result.digest,
                result.prepared,
            )
        self._settle(job_id, status, message, document_id, progress, summary)

    def _keep_original(self, options: dict[str, Any], digest: str) -> None:
        """Store a pooled file's bytes in `blobs`, as `_fetch` does on the sequential path (the
        parse worker sends back only the digest). A file changed since it was parsed is left
        out rather than stored under the wrong document."""
        try:
            data = Path(options["location"]).read_bytes()
        except OSError:
            return
        if digest_of(data) == digest:
            with self.engine.begin() as conn:
                put_blob(conn, data, digest)

    def _queued(
        self, job_ids: list[int] | None, *, stage: str | None = None, stage_not: str | None = None
    ) -> list[int]:
        stmt = select(jobs.c.id).where(jobs.c.status == "queued").order_by(jobs.c.id)
        if job_ids is not None:
            stmt = stmt.where(jobs.c.id.in_(job_ids))
        if stage:
            stmt = stmt.where(jobs.c.stage == stage)
        if stage_not:
            stmt = stmt.where(jobs.c.stage != stage_not)
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(stmt)]

    def _stage(self, job_id: int, stage: str, fraction: float, progress: ProgressSink) -> None:
        if self.on_stage is not None:
            self.on_stage(job_id, stage)
        jobstore.set_stage(self.engine, job_id, stage, fraction)
        progress.job_stage(job_id, stage, fraction)

    def _run_one(
        self,
        job: jobstore.ClaimedJob,
        progress: ProgressSink,
        summary: RunSummary,
        *,
        embed_now: bool,
    ) -> bool:
        """Run a claimed job through its pass. False if it went back to the queue."""
        job_id, kb_id, options, document_id = job.id, job.kb_id, job.options, job.document_id
        progress.job_started(job_id, options["name"])
        try:
            if embed_now:
                self._embed_document(job_id, document_id, progress)
                status, message = "done", "indexed and embedded"
            else:
                status, message, document_id = self._index(job_id, kb_id, options, progress)
        except IngestError as exc:
            self._fail(job_id, exc.code, str(exc), progress, summary)
            return True
        except ModelError as exc:
            # The document stays indexed (lexically searchable); only its vectors wait.
            message = f"embedding failed: {exc}; run `tokenbase resume` once the embedder works"
            with self.engine.begin() as conn:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(status="queued", worker=None, message=message)
                )
            summary.pending_embed.append(job_id)
            progress.job_finished(job_id, "queued", message)
            return False
        except Exception as exc:  # a parser bug must fail this job, not the batch
            log.debug("job %s crashed", job_id, exc_info=True)
            detail = traceback.format_exc() if self.debug else f"{type(exc).__name__}: {exc}"
            self._fail(
                job_id,
                "internal",
                f"unexpected error while processing {options['name']}: {detail}. "
                "Re-run with --debug for the traceback and report it.",
                progress,
                summary,
            )
            return True
        self._settle(job_id, status, message, document_id, progress, summary)
        return True

    def _settle(
        self,
        job_id: int,
        status: str,
        message: str,
        document_id: int | None,
        progress: ProgressSink,
        summary: RunSummary,
    ) -> None:
        """Record a finished stage: indexed jobs queue for embedding, others are final."""
        with self.engine.begin() as conn:
            if status == "embed":  # indexed; embedding is queued as the job's next stage
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id)
                    .values(
                        status="queued",
                        stage="embed",
                        document_id=document_id,
                        worker=None,
                        message=message,
                    )
                )
            else:
                jobstore.finish(conn, job_id, status, message=message, document_id=document_id)
        if status == "skipped":
            summary.skipped.append(job_id)
        elif status == "done":
            summary.done.append(job_id)
        progress.job_finished(job_id, status, message)

    def _fail(
        self, job_id: int, code: str, message: str, progress: ProgressSink, summary: RunSummary
    ) -> None:
        with self.engine.begin() as conn:
            jobstore.finish(conn, job_id, "failed", error_code=code, error=message)
        summary.failed.append(job_id)
        progress.job_finished(job_id, "failed", message)

    # -- fetch, parse, chunk, index ----------------------------------------------------------
    def _fetch(self, options: dict[str, Any]) -> Fetched:
        """Read a job's source. Uploads (and SQL rows read before an interruption) come from
        the `blobs` table; every original read here is stored there, so any replica can
        serve it back and a resumed job can re-read it."""
        source = getattr(self, "_live_sources", {}).get(options["location"])
        if source is None and options.get("blob") and options["kind"] in ("upload", "sql"):
            fetched = self._fetch_stored(options)
            if fetched is not None:
                return fetched
        if source is None:
            if options["kind"] == "upload":
                raise IngestError(
                    f"the uploaded bytes of {options['name']} are missing from the database; "
                    "upload the file again"
                )
            if options["kind"] == "sql":
                raise IngestError(
                    "this SQL source was interrupted before it was read and its password is "
                    "not stored; run the `tokenbase ingest ... --query` command again"
                )
            source = _source_from_options(options)
        fetched = fetch(
            source,
            max_bytes=int(self.settings.ingest.max_file_size_mb * 1024 * 1024),
            timeout_s=self.settings.ingest.fetch_timeout_s,
        )
        with self.engine.begin() as conn:
            put_blob(conn, fetched.data)
        return fetched

    def _fetch_stored(self, options: dict[str, Any]) -> Fetched | None:
        blob = str(options["blob"])
        with self.engine.connect() as conn:
            data = get_blob(conn, blob.rsplit("/", 1)[-1])
        if data is None and (self.blob_dir / blob).exists():  # written by an older version
            data = (self.blob_dir / blob).read_bytes()
        if data is None:
            return None
        if options["kind"] == "sql":
            from .sources import SQL_ROWS_MEDIA_TYPE

            media_type = SQL_ROWS_MEDIA_TYPE
        else:
            media_type = options.get("media_type") or (
                mimetypes.guess_type(options["name"])[0] or "application/octet-stream"
            )
        return Fetched(data, media_type, PurePosixPath(options["name"]).name)

    def _known(self, kb_id: int, location: str):  # type: ignore[no-untyped-def]
        with self.engine.connect() as conn:
            return conn.execute(
                select(documents.c.id, documents.c.content_hash, documents.c.status).where(
                    documents.c.kb_id == kb_id, documents.c.source == location
                )
            ).first()

    def _unchanged(self, existing, options: dict[str, Any]) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
        self._update_labels(
            existing.id,
            options.get("classification"),
            options.get("licence"),
            options.get("usage"),
        )
        if existing.status == "indexed":  # unchanged, but its embedding never finished
            return "embed", "unchanged; embedding pending", existing.id
        return "skipped", "unchanged (same content hash)", existing.id

    def _index(
        self, job_id: int, kb_id: int, options: dict[str, Any], progress: ProgressSink
    ) -> tuple[str, str, int | None]:
        self._stage(job_id, "fetch", 0.0, progress)
        fetched = self._fetch(options)
        digest = hashlib.sha256(fetched.data).hexdigest()
        if options["kind"] != "file":
            self._save_blob(job_id, options, digest, fetched.data)
        existing = self._known(kb_id, options["location"])
        if existing is not None and existing.content_hash == digest:
            return self._unchanged(existing, options)

        self._stage(job_id, "parse", 0.0, progress)

        def on_pages(done: int, total: int) -> None:
            fraction = done / total if total else 0.0
            jobstore.set_stage(self.engine, job_id, "parse", fraction)
            progress.job_stage(job_id, "parse", fraction)

        prepared = prepare_document(
            fetched.data,
            name=fetched.name,
            media_type=fetched.media_type,
            settings=self.settings.ingest,
            tokenizer=self.tokenizer,
            url=options["location"] if options["kind"] == "url" else None,
            on_pages=on_pages,
            on_stage=lambda stage: self._stage(
                job_id, stage, 1.0 if stage == "ocr" else 0.0, progress
            ),
        )
        self._stage(job_id, "index", 0.0, progress)
        return self._store(job_id, kb_id, options, fetched, len(fetched.data), digest, prepared)

    def _store(
        self,
        job_id: int,
        kb_id: int,
        options: dict[str, Any],
        fetched: Fetched,
        size: int,
        digest: str,
        prepared: Prepared,
    ) -> tuple[str, str, int]:
        parsed = prepared.parsed
        title = options.get("title") or parsed.title or PurePosixPath(fetched.name).stem
        document_id = self._write(job_id, kb_id, options, fetched, size, digest, prepared, title)
        message = f"{len(prepared.pieces)} chunks" + (
            f", {parsed.ocr_pages} OCR pages" if parsed.ocr_pages else ""
        )
        return "embed", message, document_id

    def _save_blob(self, job_id: int, options: dict[str, Any], digest: str, data: bytes) -> None:
        """Record in the job which stored original it read (`_fetch` stored the bytes), so a
        resumed job re-reads exactly that."""
        if options.get("blob") == digest:
            return
        with self.engine.begin() as conn:
            options["blob"] = digest
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(options=options))

    def _update_labels(
        self,
        document_id: int,
        classification: int | None,
        licence: str | None,
        usage: str | None = None,
    ) -> None:
        values: dict[str, Any] = {}
        if classification is not None:
            values["classification"] = classification
        if licence is not None:
            values["licence"] = licence
        if usage is not None:
            values["usage"] = usage
        if not values:
            return
        with self.engine.begin() as conn:
            conn.execute(update(documents).where(documents.c.id == document_id).values(**values))
            if classification is not None:
                set_document_classification(conn, document_id, classification)

    def _write(
        self,
        job_id: int,
        kb_id: int,
        options: dict[str, Any],
        fetched: Fetched,
        size: int,
        digest: str,
        prepared: Prepared,
        title: str,
    ) -> int:
        """Insert or replace the document and all its chunks in one transaction."""
        now = utcnow()
        parsed, pieces = prepared.parsed, prepared.pieces
        classification, licence = options.get("classification"), options.get("licence")
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(
                    documents.c.id,
                    documents.c.classification,
                    documents.c.licence,
                    documents.c.usage,
                ).where(documents.c.kb_id == kb_id, documents.c.source == options["location"])
            ).first()
            level = classification
            if level is None:
                level = existing.classification if existing else DEFAULT_CLASSIFICATION
            values = dict(
                title=title,
                source_kind=options["kind"],
                content_hash=digest,
                media_type=parsed.media_type or fetched.media_type,
                size_bytes=size,
                classification=level,
                licence=licence if licence is not None else (existing.licence if existing else ""),
                usage=options.get("usage") or (existing.usage if existing else "internal"),
                status="indexed",
                error=None,
                parser=prepared.parser_name,
                text=parsed.text,
                chunk_count=len(pieces),
                ocr_pages=parsed.ocr_pages,
                meta={"warnings": parsed.warnings, **parsed.metadata},
                updated_at=now,
            )
            if existing is not None:
                document_id = int(existing.id)
                note_chunk_deletions(conn)
                self.lexical.delete_document(conn, document_id)
                conn.execute(chunks.delete().where(chunks.c.document_id == document_id))
                conn.execute(
                    update(documents).where(documents.c.id == document_id).values(**values)
                )
            else:
                result = conn.execute(
                    documents.insert().values(
                        kb_id=kb_id, source=options["location"], created_at=now, **values
                    )
                )
                document_id = int(result.inserted_primary_key[0])
            if pieces:
                rows = [
                    dict(
                        document_id=document_id,
                        kb_id=kb_id,
                        classification=level,
                        ordinal=i,
                        text=c.text,
                        locator=c.locator.to_dict(),
                        start_offset=c.start,
                        end_offset=c.end,
                        token_count=c.token_count,
                    )
                    for i, c in enumerate(pieces)
                ]
                ids = (
                    conn.execute(
                        chunks.insert().returning(chunks.c.id, sort_by_parameter_order=True), rows
                    )
                    .scalars()
                    .all()
                )
                self.lexical.add(conn, zip(ids, prepared.index_texts, strict=True))
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(stage="embed", progress=0.0, document_id=document_id, updated_at=now)
            )
        return document_id

    # -- embed -------------------------------------------------------------------------------
    def _embed_document(self, job_id: int, document_id: int | None, progress: ProgressSink) -> None:
        assert self.embedder is not None
        if document_id is None:
            return
        self._stage(job_id, "embed", 0.0, progress)
        model = self.embedder.name
        with self.engine.connect() as conn:
            query = (
                select(chunks.c.id, chunks.c.text, chunks.c.locator)
                .outerjoin(chunk_vectors, chunk_vectors.c.chunk_id == chunks.c.id)
                .where(chunks.c.document_id == document_id, chunk_vectors.c.chunk_id.is_(None))
                .order_by(chunks.c.ordinal)
            )
            if self.settings.embedder.deployment == "public":
                # Red line: classified chunks never go to a public embedding API; they stay
                # lexically searchable.
                query = query.where(chunks.c.classification < self.settings.guard.redline.min_level)
            todo = conn.execute(query).all()
            total = conn.execute(
                select(chunks.c.id).where(chunks.c.document_id == document_id)
            ).all()
        done = len(total) - len(todo)
        batch_size = self.settings.ingest.embed_batch_size
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            texts = [_embed_text(r.text, r.locator) for r in batch]
            with attributed(scenario=current_attribution().scenario or "ingest"):
                matrix = self.embedder.embed_passages(texts)
            with self.engine.begin() as conn:
                conn.execute(
                    chunk_vectors.insert(),
                    [
                        dict(
                            chunk_id=r.id,
                            model=model,
                            dim=int(matrix.shape[1]),
                            vector=np.ascontiguousarray(vec, dtype=np.float32).tobytes(),
                        )
                        for r, vec in zip(batch, matrix, strict=True)
                    ],
                )
            done += len(batch)
            self._stage(job_id, "embed", done / max(1, len(total)), progress)
        with self.engine.begin() as conn:
            conn.execute(
                update(documents)
                .where(documents.c.id == document_id)
                .values(status="ready", updated_at=utcnow())
            )


def _embed_text(text: str, locator: Any) -> str:
    context = context_for(Locator.from_dict(locator if isinstance(locator, dict) else {}))
    return f"{context}\n{text}" if context else text


def blob_path(settings: Settings, blob: str) -> Path:
    return settings.data_dir / "files" / blob
