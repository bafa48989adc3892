"""One chunk in context: its text, locator and the surrounding document text with offsets,
so a viewer can show a citation where it stands in the document and highlight it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import text

from ...db.schema import CLASSIFICATIONS
from ...ingest.document import Locator
from ..deps import ReadCaller, State
from ..errors import not_found

router = APIRouter(prefix="/chunks", tags=["documents"])


class ChunkContext(BaseModel):
    text: str = Field(description="document.text[start:end]")
    start: int
    end: int
    chunk_start: int = Field(description="Where the chunk starts, as an offset into `text`.")
    chunk_end: int


class ChunkPublic(BaseModel):
    id: int
    document_id: int
    kb: str
    title: str
    ordinal: int
    text: str
    start: int = Field(description="Offset of the chunk in the document text.")
    end: int
    locator: dict[str, Any]
    location: str
    classification: int
    classification_label: str
    context: ChunkContext


@router.get("/{chunk_id}", operation_id="get_chunk")
def get_chunk(
    chunk_id: int,
    caller: ReadCaller,
    state: State,
    context: Annotated[int, Query(ge=0, le=20000, description="Characters each side.")] = 1000,
) -> ChunkPublic:
    with state.platform.db.engine.connect() as conn:
        scope = caller.access_scope(conn)
        row = conn.execute(
            text(
                "SELECT c.id, c.document_id, c.ordinal, c.text, c.start_offset, c.end_offset, "
                "c.locator, c.classification, d.title, d.text AS doc_text, k.name AS kb "
                "FROM chunks c JOIN documents d ON d.id = c.document_id "
                "JOIN knowledge_bases k ON k.id = c.kb_id "
                f"WHERE c.id = :id AND {scope.sql('c')}"
            ),
            {"id": chunk_id},
        ).first()
    if row is None:
        raise not_found("chunk", "chunk_not_found")
    locator_dict = row.locator if isinstance(row.locator, dict) else _json(row.locator)
    locator = Locator.from_dict(locator_dict)
    doc_text = row.doc_text or ""
    start = max(0, row.start_offset - context)
    end = min(len(doc_text), row.end_offset + context)
    return ChunkPublic(
        id=row.id,
        document_id=row.document_id,
        kb=row.kb,
        title=row.title,
        ordinal=row.ordinal,
        text=row.text,
        start=row.start_offset,
        end=row.end_offset,
        locator=locator.to_dict(),
        location=locator.label(title=row.title),
        classification=row.classification,
        classification_label=CLASSIFICATIONS[row.classification],
        context=ChunkContext(
            text=doc_text[start:end],
            start=start,
            end=end,
            chunk_start=row.start_offset - start,
            chunk_end=row.end_offset - start,
        ),
    )


def _json(value: Any) -> dict:
    import json

    return json.loads(value) if value else {}
