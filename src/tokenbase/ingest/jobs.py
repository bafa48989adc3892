"""The durable jobs table: one job per source, with stages and progress.

Stages run in order: fetch -> parse -> ocr -> chunk -> index -> embed -> done. Everything up
to `index` is committed in one transaction at the end of `index`, so a crash before it leaves
nothing behind and the job simply starts over; `embed` commits per batch and resumes with the
chunks that still lack a vector. A job whose worker process died is put back in the queue by
`recover_interrupted`.

Several workers (processes, or replicas on other hosts sharing a PostgreSQL database) can run
the same queue: `claim_next` picks the oldest queued job with `SELECT ... FOR UPDATE SKIP
LOCKED`, so concurrent claimers never wait on each other's rows, and marks it running in the
same transaction; the conditional UPDATE (`status = 'queued'`) makes a claim exclusive on
SQLite too, where `FOR UPDATE` renders as nothing and the database's single writer lock
serialises claimers.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, select, update

from ..db.schema import jobs, knowledge_bases
from .catalog import utcnow

STAGES = ("fetch", "parse", "ocr", "chunk", "index", "embed", "done")
STALE_AFTER = timedelta(minutes=10)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobRow:
    id: int
    kb: str
    source: str
    source_kind: str
    status: str
    stage: str
    progress: float
    message: str
    error_code: str | None
    error: str | None
    attempts: int
    document_id: int | None
    updated_at: datetime
    options: dict[str, Any]


def create_job(
    conn: Connection, kb_id: int, source: str, kind: str, options: dict[str, Any]
) -> int:
    now = utcnow()
    result = conn.execute(
        jobs.insert().values(
            kb_id=kb_id,
            source=source,
            source_kind=kind,
            status="queued",
            stage="fetch",
            progress=0.0,
            message="",
            attempts=0,
            options=options,
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


@dataclass
class ClaimedJob:
    id: int
    kb_id: int
    options: dict[str, Any]
    document_id: int | None


CLAIM_RETRIES = 20  # a claim lost to a concurrent worker is retried with the next job


def claim_next(
    conn: Connection,
    *,
    job_ids: Collection[int] | None = None,
    skip: Collection[int] = (),
    stage: str | None = None,
    stage_not: str | None = None,
) -> ClaimedJob | None:
    """Claim the oldest queued job (among `job_ids` if given, never one in `skip`, at `stage`
    or not at `stage_not`) for this process. None when no such job is left.

    Commit `conn`'s transaction promptly: the job's row stays locked until then.
    """
    conditions = [jobs.c.status == "queued"]
    if job_ids is not None:
        conditions.append(jobs.c.id.in_(list(job_ids)))
    if skip:
        conditions.append(jobs.c.id.not_in(list(skip)))
    if stage is not None:
        conditions.append(jobs.c.stage == stage)
    if stage_not is not None:
        conditions.append(jobs.c.stage != stage_not)
    pick = (
        select(jobs.c.id)
        .where(*conditions)
        .order_by(jobs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    for _ in range(CLAIM_RETRIES):
        job_id = conn.execute(pick).scalar()
        if job_id is None:
            return None
        # The same conditions again: on SQLite nothing locked the row since the SELECT, and
        # another worker may have claimed it, or finished a stage of it, in between.
        if claim(conn, job_id, *conditions):
            row = conn.execute(
                select(jobs.c.kb_id, jobs.c.options, jobs.c.document_id).where(jobs.c.id == job_id)
            ).one()
            return ClaimedJob(int(job_id), int(row[0]), dict(row[1]), row[2])
    return None


class JobQueue:
    """Claims jobs for one pass of a worker: any queued job, or only those among `job_ids`
    (oldest first), at `stage` or not at `stage_not`.

    With `job_ids`, each claim looks at a window of the ids still pending (an IN list of
    thousands makes PostgreSQL compare every queued row with every id); a window with nothing
    claimable (jobs done, running elsewhere, or being claimed) is dropped, as a snapshot of the
    queue would have dropped them.
    """

    WINDOW = 200

    def __init__(
        self,
        engine: Engine,
        job_ids: Collection[int] | None = None,
        *,
        stage: str | None = None,
        stage_not: str | None = None,
    ) -> None:
        self.engine = engine
        self.pending = None if job_ids is None else sorted(set(job_ids))
        self.stage, self.stage_not = stage, stage_not

    def claim(self, skip: Collection[int] = ()) -> ClaimedJob | None:
        """The next claimed job, or None when this pass has nothing left."""
        while True:
            window = None if self.pending is None else self.pending[: self.WINDOW]
            if window == []:
                return None
            with self.engine.begin() as conn:
                job = claim_next(
                    conn, job_ids=window, skip=skip, stage=self.stage, stage_not=self.stage_not
                )
            if job is not None or self.pending is None:
                return job
            del self.pending[: self.WINDOW]


def claim(conn: Connection, job_id: int, *conditions: ColumnElement[bool]) -> bool:
    """Mark a queued job (still meeting `conditions`) running for this process. False if
    someone else has it."""
    now = utcnow()
    result = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status == "queued", *conditions)
        .values(
            status="running",
            worker=worker_id(),
            heartbeat_at=now,
            updated_at=now,
            attempts=jobs.c.attempts + 1,
        )
    )
    return result.rowcount == 1


def set_stage(
    engine: Engine, job_id: int, stage: str, progress: float = 0.0, message: str = ""
) -> None:
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id)
            .values(
                stage=stage, progress=progress, message=message, heartbeat_at=now, updated_at=now
            )
        )


def finish(
    conn: Connection,
    job_id: int,
    status: str,
    *,
    message: str = "",
    error_code: str | None = None,
    error: str | None = None,
    document_id: int | None = None,
) -> None:
    now = utcnow()
    values: dict[str, Any] = dict(
        status=status,
        message=message,
        error_code=error_code,
        error=error,
        updated_at=now,
        heartbeat_at=now,
    )
    if status in ("done", "failed", "skipped"):
        values.update(finished_at=now, stage="done" if status != "failed" else jobs.c.stage)
        values["progress"] = 1.0 if status != "failed" else jobs.c.progress
    if document_id is not None:
        values["document_id"] = document_id
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(**values))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_interrupted(engine: Engine) -> list[int]:
    """Requeue running jobs whose worker died (same host: pid gone; other host: stale)."""
    host = socket.gethostname()
    now = utcnow()
    requeued: list[int] = []
    with engine.begin() as conn:
        rows = conn.execute(
            select(jobs.c.id, jobs.c.worker, jobs.c.heartbeat_at).where(jobs.c.status == "running")
        ).all()
        for job_id, worker, heartbeat in rows:
            worker_host, _, pid = (worker or ":").rpartition(":")
            if worker_host == host and pid.isdigit():
                dead = not _pid_alive(int(pid)) or int(pid) == os.getpid()
            else:
                beat = heartbeat.replace(tzinfo=now.tzinfo) if heartbeat else None
                dead = beat is None or now - beat > STALE_AFTER
            if dead:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.status == "running")
                    .values(status="queued", worker=None, message="resumed after interruption")
                )
                requeued.append(job_id)
    return requeued


def list_jobs(
    engine: Engine, *, status: str | None = None, limit: int = 50, ids: list[int] | None = None
) -> list[JobRow]:
    stmt = (
        select(
            jobs.c.id,
            knowledge_bases.c.name,
            jobs.c.source,
            jobs.c.source_kind,
            jobs.c.status,
            jobs.c.stage,
            jobs.c.progress,
            jobs.c.message,
            jobs.c.error_code,
            jobs.c.error,
            jobs.c.attempts,
            jobs.c.document_id,
            jobs.c.updated_at,
            jobs.c.options,
        )
        .join(knowledge_bases, knowledge_bases.c.id == jobs.c.kb_id)
        .order_by(jobs.c.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(jobs.c.status == status)
    if ids is not None:
        stmt = stmt.where(jobs.c.id.in_(ids))
    with engine.connect() as conn:
        return [JobRow(*row) for row in conn.execute(stmt)]
