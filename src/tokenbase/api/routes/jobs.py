"""Ingest jobs, limited to knowledge bases the caller may read and to documents within
their clearance (checked in the query; a job not yet tied to a document is judged by the
classification it was queued with). A failed job can be queued again (`POST .../retry`)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import text, update

from ...db.schema import jobs
from ...ingest.catalog import utcnow
from ..deps import Caller, ReadCaller, State, WriteCaller
from ..errors import ApiError, not_found
from ..lookups import require_level

router = APIRouter(prefix="/jobs", tags=["jobs"])

JobStatus = Literal["queued", "running", "done", "failed", "skipped"]


class JobPublic(BaseModel):
    id: int
    kb: str
    name: str = Field(description="The file name (or URL) the job ingests.")
    source: str
    source_kind: str
    status: str
    stage: str = Field(
        description="fetch | parse | ocr | chunk | index | embed | done; a failed job keeps "
        "the stage it failed in."
    )
    progress: float = Field(description="0–1 within the stage.")
    message: str
    error_code: str | None
    error: str | None
    attempts: int
    document_id: int | None
    created_at: str
    updated_at: str
    finished_at: str | None


_SELECT = (
    "SELECT j.id, j.kb_id, k.name AS kb, j.source, j.source_kind, j.status, j.stage, "
    "j.progress, j.message, j.error_code, j.error, j.attempts, j.document_id, j.created_at, "
    "j.updated_at, j.finished_at, j.options FROM jobs j JOIN knowledge_bases k ON k.id = j.kb_id "
    "LEFT JOIN documents d ON d.id = j.document_id "
)


def _visible(row: Any, clearance: int) -> bool:
    """For a job with no document yet: the classification it was queued with."""
    if row.document_id is not None:
        return True  # already checked in SQL
    level = _options(row).get("classification")
    return level is None or int(level) <= clearance


def _options(row: Any) -> dict[str, Any]:
    if isinstance(row.options, dict):
        return row.options
    if isinstance(row.options, str) and row.options:
        return json.loads(row.options)
    return {}


def _public(row: Any) -> JobPublic:
    return JobPublic(
        id=row.id,
        kb=row.kb,
        name=str(_options(row).get("name") or row.source.removeprefix("upload:")),
        source=row.source,
        source_kind=row.source_kind,
        status=row.status,
        stage=row.stage,
        progress=row.progress,
        message=row.message,
        error_code=row.error_code,
        error=row.error,
        attempts=row.attempts,
        document_id=row.document_id,
        created_at=str(row.created_at),
        updated_at=str(row.updated_at),
        finished_at=str(row.finished_at) if row.finished_at else None,
    )


def _where(scope_sql_kb: str, clearance: int) -> str:
    return f"{scope_sql_kb} AND (d.id IS NULL OR d.classification <= {int(clearance)})"


@router.get("", operation_id="list_jobs")
def list_jobs(
    caller: ReadCaller,
    state: State,
    status: JobStatus | None = None,
    kb: str | None = None,
    ids: Annotated[list[int] | None, Query(description="Only these job ids.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobPublic]:
    """Recent jobs, newest first."""
    with state.platform.db.engine.connect() as conn:
        scope = caller.access_scope(conn)
        kb_filter = (
            "j.kb_id IN (SELECT id FROM knowledge_bases)"
            if scope.kb_ids is None
            else (f"j.kb_id IN ({','.join(str(int(i)) for i in sorted(scope.kb_ids)) or 'NULL'})")
        )
        sql = _SELECT + "WHERE " + _where(kb_filter, scope.clearance)
        params: dict[str, Any] = {"limit": limit}
        if status:
            sql += " AND j.status = :status"
            params["status"] = status
        if kb:
            sql += " AND k.name = :kb"
            params["kb"] = kb
        if ids:
            sql += f" AND j.id IN ({','.join(str(int(i)) for i in ids[:1000])})"
        rows = conn.execute(text(sql + " ORDER BY j.id DESC LIMIT :limit"), params).all()
    return [_public(r) for r in rows if _visible(r, scope.clearance)]


def _readable_job(conn: Any, caller: Caller, job_id: int) -> Any:
    """The job row if the caller may read it; the same 404 otherwise."""
    scope = caller.access_scope(conn)
    kb_filter = (
        "1 = 1"
        if scope.kb_ids is None
        else (f"j.kb_id IN ({','.join(str(int(i)) for i in sorted(scope.kb_ids)) or 'NULL'})")
    )
    row = conn.execute(
        text(_SELECT + "WHERE j.id = :id AND " + _where(kb_filter, scope.clearance)),
        {"id": job_id},
    ).first()
    if row is None or not _visible(row, scope.clearance):
        raise not_found("job", "job_not_found")
    return row


@router.get("/{job_id}", operation_id="get_job")
def get_job(job_id: int, caller: ReadCaller, state: State) -> JobPublic:
    with state.platform.db.engine.connect() as conn:
        return _public(_readable_job(conn, caller, job_id))


@router.post("/{job_id}/retry", operation_id="retry_job")
def retry_job(job_id: int, caller: WriteCaller, state: State) -> JobPublic:
    """Queue a failed job again (write access to its knowledge base). It starts over from
    the stored original; one that failed while embedding resumes at `embed`. 409
    `job_not_failed` for a job that has not failed."""
    with state.platform.db.engine.begin() as conn:
        row = _readable_job(conn, caller, job_id)
        require_level(conn, caller, row.kb_id, 2)
        if row.status != "failed":
            raise ApiError(
                409,
                "job_not_failed",
                f"job {job_id} is {row.status}; only a failed job can be retried "
                "(只能重试失败的任务)",
            )
        stage = "embed" if row.stage == "embed" and row.document_id is not None else "fetch"
        conn.execute(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.status == "failed")
            .values(
                status="queued",
                stage=stage,
                progress=0.0,
                message="retry requested",
                error_code=None,
                error=None,
                worker=None,
                finished_at=None,
                updated_at=utcnow(),
            )
        )
        row = _readable_job(conn, caller, job_id)
    state.wake_worker()
    return _public(row)
