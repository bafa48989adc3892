"""Documents: upload files (or a .zip folder), ingest a URL, list, view, relabel, delete,
download the original. Every lookup applies the caller's scope inside the SQL query."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Connection, text

from ...db.schema import CLASSIFICATIONS, DEFAULT_CLASSIFICATION, parse_classification
from ...guard import audit
from ...ingest.blobs import get_blob
from ...ingest.catalog import remove_document, set_document_classification
from ...ingest.document import Locator
from ...ingest.sources import Source
from ..deps import Caller, ReadCaller, State, WriteCaller
from ..errors import ApiError, not_found
from ..lookups import find_kb, require_level
from ..uploads import UploadItem, check_type, clean_name, enqueue_upload, expand_zip, is_zip

router = APIRouter(tags=["documents"])


class DocumentPublic(BaseModel):
    id: int
    kb: str
    title: str
    source: str
    source_kind: str
    media_type: str
    size_bytes: int
    classification: int
    classification_label: str
    licence: str
    usage: str = Field(description="internal | external (cleared for use outside) | third_party")
    status: str = Field(description="indexed (lexically searchable) | ready (embedded) | failed")
    error: str | None
    chunk_count: int
    parser: str = Field(description="The parser that read it (markdown, docx, pdf, ...).")
    ocr_pages: int = Field(description="Pages read by OCR (0: the OCR stage was not needed).")
    created_at: str
    updated_at: str


class DocumentChunk(BaseModel):
    id: int
    ordinal: int
    text: str
    location: str = Field(description="Where it stands: heading path, page, sheet and row.")
    token_count: int
    classification: int


class DocumentUpdate(BaseModel):
    classification: str | int | None = Field(
        None, description="0–3, public/internal/confidential/secret or 公开/内部/机密/绝密."
    )
    licence: str | None = Field(None, max_length=2000)
    usage: Literal["internal", "external", "third_party"] | None = Field(
        None, description="Where the text may be used (external answers use only 'external')."
    )


class UrlIngest(BaseModel):
    url: str = Field(min_length=8, max_length=4000)
    classification: str | int = "内部"
    licence: str = Field("", max_length=2000)
    usage: Literal["internal", "external", "third_party"] = "internal"
    title: str | None = Field(None, max_length=500)


class QueuedJob(BaseModel):
    job_id: int
    name: str
    source: str


class UploadAccepted(BaseModel):
    kb: str
    jobs: list[QueuedJob]
    skipped: list[dict[str, str]] = Field(
        default_factory=list, description="Files inside a .zip that were not ingested, and why."
    )


_DOC_COLUMNS = (
    "d.id, k.name AS kb, d.kb_id, d.title, d.source, d.source_kind, d.media_type, d.size_bytes, "
    "d.classification, d.licence, d.usage, d.status, d.error, d.chunk_count, d.parser, "
    "d.ocr_pages, d.created_at, d.updated_at, d.content_hash"
)


def _public(row: Any) -> DocumentPublic:
    return DocumentPublic(
        id=row.id,
        kb=row.kb,
        title=row.title,
        source=row.source,
        source_kind=row.source_kind,
        media_type=row.media_type,
        size_bytes=row.size_bytes,
        classification=row.classification,
        classification_label=CLASSIFICATIONS[row.classification],
        licence=row.licence,
        usage=row.usage,
        status=row.status,
        error=row.error,
        chunk_count=row.chunk_count,
        parser=row.parser or "",
        ocr_pages=row.ocr_pages or 0,
        created_at=str(row.created_at),
        updated_at=str(row.updated_at),
    )


def readable_document(conn: Connection, caller: Caller, document_id: int) -> Any:
    """The document row if the caller may read it; the same 404 whether it is missing or
    not theirs to see (KB grant and classification are checked in the query)."""
    scope = caller.access_scope(conn)
    row = conn.execute(
        text(
            f"SELECT {_DOC_COLUMNS} FROM documents d "
            "JOIN knowledge_bases k ON k.id = d.kb_id "
            f"WHERE d.id = :id AND {scope.sql('d')}"
        ),
        {"id": document_id},
    ).first()
    if row is None:
        raise not_found("document", "document_not_found")
    return row


def _classification(value: str | int | None, caller: Caller) -> int:
    if value is None or value == "":
        level = DEFAULT_CLASSIFICATION
    else:
        try:
            level = parse_classification(value)
        except ValueError as exc:
            raise ApiError(
                422,
                "validation_error",
                f"classification: {exc}",
                [{"field": "classification", "message": str(exc), "type": "value_error"}],
            ) from exc
    if level > caller.user.clearance:
        raise ApiError(
            403,
            "classification_above_clearance",
            f"you cannot label a document {CLASSIFICATIONS[level]}: it is above your clearance "
            f"({CLASSIFICATIONS[caller.user.clearance]}) (密级超出你的权限)",
        )
    return level


@router.post(
    "/knowledge-bases/{kb}/documents",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="upload_documents",
)
async def upload_documents(
    kb: str,
    caller: WriteCaller,
    state: State,
    files: Annotated[list[UploadFile], File(description="One or more files, or a .zip folder.")],
    classification: Annotated[str, Form(description="公开/内部/机密/绝密 or 0–3.")] = "内部",
    licence: Annotated[str, Form(max_length=2000)] = "",
    usage: Annotated[
        Literal["internal", "external", "third_party"],
        Form(description="Where the text may be used: internal, external or third_party."),
    ] = "internal",
) -> UploadAccepted:
    """Upload files (a .zip is expanded as a folder) into a knowledge base. Ingest runs in
    the background; follow it with GET /jobs. A file with the same name replaces the
    document uploaded before it."""
    if len(files) > state.settings.server.max_upload_files:
        raise ApiError(
            413,
            "too_many_files",
            f"{len(files)} files in one request; the limit is "
            f"{state.settings.server.max_upload_files} (server.max_upload_files)",
        )
    level = _classification(classification, caller)

    def check_kb() -> None:
        with state.platform.db.engine.connect() as conn:
            find_kb(conn, caller, kb, min_level=2)

    await run_in_threadpool(check_kb)
    items: list[UploadItem] = []
    skipped: list[dict[str, str]] = []
    for upload in files:
        name = clean_name(upload.filename or "")
        check_type(name)
        data = await upload.read()
        if not data:
            raise ApiError(422, "empty_file", f"{name} is empty (0 bytes)")
        if is_zip(name):
            max_entry = int(state.settings.ingest.max_file_size_mb * 1024 * 1024)
            found, passed = await run_in_threadpool(
                expand_zip, name, data, state.settings.server, max_entry
            )
            items.extend(found)
            skipped.extend(passed)
        else:
            items.append(UploadItem(name, data))
    if not items:
        raise ApiError(
            422, "nothing_to_ingest", "no supported file in the upload", {"skipped": skipped}
        )

    def store() -> list[QueuedJob]:
        with state.platform.db.engine.begin() as conn:
            ref = find_kb(conn, caller, kb, min_level=2)
            queued = []
            for item in items:
                job_id, location = enqueue_upload(
                    conn, ref.id, item, classification=level, licence=licence, usage=usage
                )
                queued.append(QueuedJob(job_id=job_id, name=item.name, source=location))
            return queued

    queued = await run_in_threadpool(store)
    state.wake_worker()
    return UploadAccepted(kb=kb, jobs=queued, skipped=skipped)


@router.post(
    "/knowledge-bases/{kb}/documents/url",
    status_code=status.HTTP_202_ACCEPTED,
    operation_id="ingest_url",
)
def ingest_url(kb: str, body: UrlIngest, caller: WriteCaller, state: State) -> UploadAccepted:
    """Fetch a web page (server side) and ingest it."""
    if not state.settings.server.url_ingest:
        raise ApiError(403, "url_ingest_disabled", "URL ingest is off (server.url_ingest)")
    if urlsplit(body.url).scheme not in ("http", "https"):
        raise ApiError(422, "validation_error", "url: only http and https URLs can be ingested")
    level = _classification(body.classification, caller)
    with state.platform.db.engine.connect() as conn:
        find_kb(conn, caller, kb, min_level=2)
    ingestor = state.platform.ingestor()
    [job_id] = ingestor.enqueue(
        [Source("url", body.url, body.url)],
        kb,
        classification=level,
        licence=body.licence,
        usage=body.usage,
        title=body.title,
    )
    state.wake_worker()
    return UploadAccepted(kb=kb, jobs=[QueuedJob(job_id=job_id, name=body.url, source=body.url)])


@router.get("/knowledge-bases/{kb}/documents", operation_id="list_documents")
def list_documents(
    kb: str, caller: ReadCaller, state: State, limit: int = 200, offset: int = 0
) -> list[DocumentPublic]:
    """Documents in a knowledge base, up to the caller's clearance."""
    limit = max(1, min(limit, 1000))
    with state.platform.db.engine.connect() as conn:
        ref = find_kb(conn, caller, kb)
        scope = caller.access_scope(conn)
        rows = conn.execute(
            text(
                f"SELECT {_DOC_COLUMNS} FROM documents d "
                "JOIN knowledge_bases k ON k.id = d.kb_id "
                f"WHERE d.kb_id = :kb AND {scope.sql('d')} "
                "ORDER BY d.title, d.id LIMIT :limit OFFSET :offset"
            ),
            {"kb": ref.id, "limit": limit, "offset": max(0, offset)},
        )
        return [_public(r) for r in rows]


@router.get("/documents/{document_id}", operation_id="get_document")
def get_document(document_id: int, caller: ReadCaller, state: State) -> DocumentPublic:
    with state.platform.db.engine.connect() as conn:
        return _public(readable_document(conn, caller, document_id))


@router.get("/documents/{document_id}/chunks", operation_id="list_document_chunks")
def list_document_chunks(
    document_id: int,
    caller: ReadCaller,
    state: State,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DocumentChunk]:
    """A document's chunks in reading order (the chunk browser); its text in full with
    `GET /chunks/{id}`."""
    with state.platform.db.engine.connect() as conn:
        readable_document(conn, caller, document_id)
        scope = caller.access_scope(conn)
        rows = conn.execute(
            text(
                "SELECT c.id, c.ordinal, c.text, c.locator, c.token_count, c.classification, "
                "d.title FROM chunks c JOIN documents d ON d.id = c.document_id "
                f"WHERE c.document_id = :id AND {scope.sql('c')} "
                "ORDER BY c.ordinal LIMIT :limit OFFSET :offset"
            ),
            {"id": document_id, "limit": limit, "offset": offset},
        ).all()
    return [
        DocumentChunk(
            id=r.id,
            ordinal=r.ordinal,
            text=r.text,
            location=Locator.from_dict(_locator(r.locator)).label(title=r.title),
            token_count=r.token_count or 0,
            classification=r.classification,
        )
        for r in rows
    ]


def _locator(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return json.loads(value) if value else {}


@router.patch("/documents/{document_id}", operation_id="update_document")
def update_document(
    document_id: int, body: DocumentUpdate, caller: WriteCaller, state: State
) -> DocumentPublic:
    """Change a document's classification (its chunks follow at once), licence or usage
    (audited as `document.update`)."""
    with state.platform.db.engine.begin() as conn:
        row = readable_document(conn, caller, document_id)
        require_level(conn, caller, row.kb_id, 2)
        if body.classification is not None:
            set_document_classification(
                conn, document_id, _classification(body.classification, caller)
            )
        if body.licence is not None:
            conn.execute(
                text("UPDATE documents SET licence = :licence WHERE id = :id"),
                {"licence": body.licence, "id": document_id},
            )
        if body.usage is not None:
            conn.execute(
                text("UPDATE documents SET usage = :usage WHERE id = :id"),
                {"usage": body.usage, "id": document_id},
            )
        changes = body.model_dump(exclude_none=True)
        if changes:  # who may read it, and where its text may go: audited
            audit.append(
                conn,
                caller,
                "document.update",
                f"document:{document_id}",
                {"kb_id": row.kb_id, "before": {k: getattr(row, k) for k in changes}, **changes},
                settings=state.settings,
            )
        return _public(readable_document(conn, caller, document_id))


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_document",
)
def delete_document(document_id: int, caller: WriteCaller, state: State) -> None:
    """Remove a document with its chunks and vectors."""
    with state.platform.db.engine.begin() as conn:
        row = readable_document(conn, caller, document_id)
        require_level(conn, caller, row.kb_id, 2)
        remove_document(conn, document_id)


def _download_name(row: Any) -> str:
    if row.source_kind in ("upload", "file"):
        return PurePosixPath(row.source.removeprefix("upload:").replace("\\", "/")).name
    suffix = PurePosixPath(urlsplit(row.source).path).suffix if row.source_kind == "url" else ""
    return f"{row.title}{suffix or ''}"


@router.get(
    "/documents/{document_id}/original",
    operation_id="download_original",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_original(document_id: int, caller: ReadCaller, state: State) -> Response:
    """The original bytes as ingested (byte-identical; sha256 = the document's content hash)."""
    with state.platform.db.engine.connect() as conn:
        row = readable_document(conn, caller, document_id)
        data = get_blob(conn, row.content_hash)
    if data is None and row.source_kind == "file":
        # Files ingested from a path by the CLI: read them where they were, if unchanged.
        path = Path(row.source)
        if path.is_file():
            candidate = path.read_bytes()
            if hashlib.sha256(candidate).hexdigest() == row.content_hash:
                data = candidate
    if data is None:
        raise ApiError(
            404,
            "original_not_stored",
            "the original of this document is not stored on this server (ingested from a path "
            "that is no longer readable here); re-upload it",
        )
    name = _download_name(row)
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(
        content=data,
        media_type=row.media_type or "application/octet-stream",
        headers={
            # Always an attachment: an uploaded HTML file must never render in our origin.
            "Content-Disposition": f'attachment; filename="{fallback}"; '
            f"filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )
