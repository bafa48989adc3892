"""Knowledge bases and documents: create, list, look up, remove."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, func, select, text, update

from ..db.schema import chunks, documents, knowledge_bases
from ..search.lexical import lexical_index_for


class CatalogError(Exception):
    """A knowledge base or document was not found; the message says how to list them."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class KnowledgeBase:
    id: int
    name: str
    description: str
    documents: int = 0
    chunks: int = 0


def get_or_create_kb(conn: Connection, name: str, description: str = "") -> int:
    kb_id = conn.execute(
        select(knowledge_bases.c.id).where(knowledge_bases.c.name == name)
    ).scalar()
    if kb_id is not None:
        return int(kb_id)
    result = conn.execute(
        knowledge_bases.insert().values(name=name, description=description, created_at=utcnow())
    )
    return int(result.inserted_primary_key[0])


def kb_id_for(conn: Connection, name: str) -> int:
    kb_id = conn.execute(
        select(knowledge_bases.c.id).where(knowledge_bases.c.name == name)
    ).scalar()
    if kb_id is None:
        raise CatalogError(f"no knowledge base named {name!r}; `tokenbase kb list` shows them")
    return int(kb_id)


def list_kbs(engine: Engine) -> list[KnowledgeBase]:
    doc_counts = (
        select(documents.c.kb_id, func.count().label("n")).group_by(documents.c.kb_id).subquery()
    )
    chunk_counts = (
        select(chunks.c.kb_id, func.count().label("n")).group_by(chunks.c.kb_id).subquery()
    )
    stmt = (
        select(
            knowledge_bases.c.id,
            knowledge_bases.c.name,
            knowledge_bases.c.description,
            func.coalesce(doc_counts.c.n, 0),
            func.coalesce(chunk_counts.c.n, 0),
        )
        .outerjoin(doc_counts, doc_counts.c.kb_id == knowledge_bases.c.id)
        .outerjoin(chunk_counts, chunk_counts.c.kb_id == knowledge_bases.c.id)
        .order_by(knowledge_bases.c.name)
    )
    with engine.connect() as conn:
        return [KnowledgeBase(*row) for row in conn.execute(stmt)]


def find_documents(conn: Connection, ref: str, kb_id: int | None = None) -> list[dict]:
    """Documents matching an id, an exact source, or a title/source suffix."""
    query = select(documents)
    if kb_id is not None:
        query = query.where(documents.c.kb_id == kb_id)
    if ref.isdigit():
        rows = conn.execute(query.where(documents.c.id == int(ref))).mappings().all()
        if rows:
            return [dict(r) for r in rows]
    rows = conn.execute(
        query.where(
            (documents.c.source == ref)
            | (documents.c.title == ref)
            | documents.c.source.endswith("/" + ref)
        )
    ).mappings()
    return [dict(r) for r in rows]


CHUNK_DELETIONS_KEY = "chunk_deletions"


def _bump(conn: Connection, key: str) -> None:
    conn.execute(
        text(
            "INSERT INTO state (key, value) VALUES (:k, '1') ON CONFLICT (key) "
            "DO UPDATE SET value = CAST(CAST(state.value AS INTEGER) + 1 AS TEXT)"
        ),
        {"k": key},
    )


def note_chunk_deletions(conn: Connection) -> None:
    """Count a deletion of chunks, so derived indexes know to look for stale rows."""
    _bump(conn, CHUNK_DELETIONS_KEY)


def note_label_change(conn: Connection) -> None:
    """Count a change of chunk classification, so derived indexes re-read their labels."""
    _bump(conn, "chunk_labels")


def set_document_classification(conn: Connection, document_id: int, level: int) -> None:
    """Reclassify a document and its chunks in one transaction."""
    conn.execute(
        update(documents).where(documents.c.id == document_id).values(classification=level)
    )
    conn.execute(
        update(chunks).where(chunks.c.document_id == document_id).values(classification=level)
    )
    note_label_change(conn)


def remove_document(conn: Connection, document_id: int) -> int:
    """Delete a document with its chunks, lexical rows and vectors. Returns chunks removed."""
    note_chunk_deletions(conn)
    lexical_index_for(conn).delete_document(conn, document_id)
    removed = conn.execute(delete(chunks).where(chunks.c.document_id == document_id)).rowcount
    conn.execute(delete(documents).where(documents.c.id == document_id))
    return int(removed or 0)
