"""PDF pages for a source viewer: a page rendered as PNG, and where a chunk stands on its
pages (boxes around the text lines it covers), so a citation can be shown on the page.

- `GET /documents/{id}/pages/{n}.png?width=`: the same read check as the original download
  (`readable_document`: knowledge-base grant and clearance inside the query; the same 404
  whether the document is missing or not the caller's to see).
- `GET /chunks/{id}/areas?quote=`: the chunk's pages (from its locator) with boxes as fractions
  of the page (0–1, origin top left); a line is marked when its text is part of the chunk's
  text (or of `quote`: the sentences a citation quotes).
  No text layer (scanned pages), or a chunk that is not from a PDF: `pages: []`.

PDFium is not thread-safe: every call holds the parser's lock.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path as FilePath
from typing import Annotated, Any

import pypdfium2 as pdfium
from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import Connection, text

from ...ingest.blobs import get_blob
from ...ingest.parsers.pdf import _PDFIUM_LOCK, page_lines
from ..deps import Caller, ReadCaller, State
from ..errors import ApiError, not_found
from .documents import readable_document

router = APIRouter(tags=["documents"])

PDF = "application/pdf"
MAX_PAGES_MARKED = 5  # a chunk's locator spans at most a few pages
_SPACE = re.compile(r"\s+")


def _original(conn: Connection, row: Any) -> bytes | None:
    """The stored original, or (ingested from a path by the CLI) the file if unchanged — as
    the download endpoint finds it."""
    data = get_blob(conn, row.content_hash)
    if data is None and row.source_kind == "file":
        path = FilePath(row.source)
        if path.is_file():
            candidate = path.read_bytes()
            if hashlib.sha256(candidate).hexdigest() == row.content_hash:
                data = candidate
    return data


def _pdf_bytes(conn: Connection, row: Any) -> bytes:
    if (row.media_type or "") != PDF:
        raise ApiError(404, "not_a_pdf", "this document is not a PDF: it has no pages to show")
    data = _original(conn, row)
    if data is None:
        raise ApiError(
            404,
            "original_not_stored",
            "the original of this document is not stored on this server; re-upload it",
        )
    return data


@router.get(
    "/documents/{document_id}/pages/{page}.png",
    operation_id="render_document_page",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def render_page(
    document_id: int,
    page: Annotated[int, Path(ge=1)],
    caller: ReadCaller,
    state: State,
    width: Annotated[int, Query(ge=100, le=2400, description="Pixels.")] = 1000,
) -> Response:
    """One page of a PDF as a PNG `width` pixels wide."""
    with state.platform.db.engine.connect() as conn:
        row = readable_document(conn, caller, document_id)
        data = _pdf_bytes(conn, row)
    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            if page > len(doc):
                raise ApiError(404, "page_not_found", f"the document has {len(doc)} page(s)")
            pdf_page = doc[page - 1]
            try:
                scale = width / max(pdf_page.get_width(), 1.0)
                bitmap = pdf_page.render(scale=scale)
                try:
                    image = bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            finally:
                pdf_page.close()
        finally:
            doc.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return Response(
        out.getvalue(),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=600", "X-Content-Type-Options": "nosniff"},
    )


def _chunk(conn: Connection, caller: Caller, chunk_id: int) -> Any:
    scope = caller.access_scope(conn)
    row = conn.execute(
        text(
            "SELECT c.id, c.document_id, c.text, c.locator FROM chunks c "
            f"WHERE c.id = :id AND {scope.sql('c')}"
        ),
        {"id": chunk_id},
    ).first()
    if row is None:
        raise not_found("chunk", "chunk_not_found")
    return row


def _squeeze(value: str) -> str:
    return _SPACE.sub("", value)


def line_marked(line: str, chunk: str) -> bool:
    """Whether a page line belongs to the chunk: the whole line is in the chunk's text, or the
    line holds the chunk's first or last words (a chunk may start or end mid-line). Both are
    compared without whitespace; lines of fewer than 4 characters only as a whole line."""
    line = _squeeze(line).replace("\x02", "")
    if not line:
        return False
    if len(line) < 4:
        return line == chunk
    if line in chunk:
        return True
    edge = min(12, len(chunk))
    return edge >= 4 and (chunk[:edge] in line or chunk[-edge:] in line)


@router.get("/chunks/{chunk_id}/areas", operation_id="get_chunk_areas")
def chunk_areas(
    chunk_id: int,
    caller: ReadCaller,
    state: State,
    quote: Annotated[
        str, Query(max_length=4000, description="Mark only these words of the chunk.")
    ] = "",
) -> dict[str, Any]:
    """Where the chunk (or the `quote` from it a citation gives) stands on its PDF pages:
    `{document_id, pages: [{page, boxes: [[x0, y0, x1, y1], …]}]}`, fractions of the page
    with the origin at the top left; every page of the chunk's locator is listed."""
    with state.platform.db.engine.connect() as conn:
        row = _chunk(conn, caller, chunk_id)
        document = readable_document(conn, caller, row.document_id)
        data = _original(conn, document) if document.media_type == PDF else None
    locator = row.locator if isinstance(row.locator, dict) else json.loads(row.locator or "{}")
    first = locator.get("page")
    if data is None or not first:
        return {"document_id": row.document_id, "pages": []}
    last = min(locator.get("page_end") or first, first + MAX_PAGES_MARKED - 1)
    chunk = _squeeze(quote) or _squeeze(row.text)
    pages = []
    with _PDFIUM_LOCK:
        doc = pdfium.PdfDocument(data)
        try:
            for number in range(first, min(last, len(doc)) + 1):
                page = doc[number - 1]
                textpage = page.get_textpage()
                try:
                    width, height = page.get_size()
                    boxes = [
                        [
                            round(line.x0 / width, 4),
                            round(1 - line.top / height, 4),
                            round(line.x1 / width, 4),
                            round(1 - line.bottom / height, 4),
                        ]
                        for line in page_lines(textpage)
                        if line.x1 > line.x0 and line_marked(line.text, chunk)
                    ]
                finally:
                    textpage.close()
                    page.close()
                pages.append({"page": number, "boxes": boxes})
        finally:
            doc.close()
    return {"document_id": row.document_id, "pages": pages}
