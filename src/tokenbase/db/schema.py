"""The relational schema as SQLAlchemy Core tables. Alembic migrations create it; code reads it.

Classification levels are stored as small integers so "clearance >= classification" is one
comparison inside a query: 0 公开 public, 1 内部 internal, 2 机密 confidential, 3 绝密 secret.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

CLASSIFICATIONS = {0: "公开", 1: "内部", 2: "机密", 3: "绝密"}
CLASSIFICATION_CODES = {"public": 0, "internal": 1, "confidential": 2, "secret": 3}
DEFAULT_CLASSIFICATION = 1


def parse_classification(value: str | int) -> int:
    """Accept 0–3, an English code ('internal') or the Chinese label ('内部')."""
    if isinstance(value, int) or str(value).isdigit():
        level = int(value)
        if level in CLASSIFICATIONS:
            return level
    text = str(value).strip().lower()
    if text in CLASSIFICATION_CODES:
        return CLASSIFICATION_CODES[text]
    for level, label in CLASSIFICATIONS.items():
        if text == label:
            return level
    raise ValueError(
        f"unknown classification {value!r}: use 公开/内部/机密/绝密 "
        "or public/internal/confidential/secret"
    )


knowledge_bases = Table(
    "knowledge_bases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kb_id", Integer, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),  # absolute path, URL, or sql:<url>#<query>
    Column("source_kind", String(16), nullable=False),  # file | url | sql
    Column("content_hash", String(64), nullable=False),
    Column("media_type", String(120), nullable=False, default=""),
    Column("size_bytes", Integer, nullable=False, default=0),
    Column("classification", Integer, nullable=False, default=DEFAULT_CLASSIFICATION),
    Column("licence", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),  # indexed | ready | failed
    Column("error", Text),
    Column("parser", String(40), nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("chunk_count", Integer, nullable=False, default=0),
    Column("ocr_pages", Integer, nullable=False, default=0),
    Column("meta", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kb_id", "source", name="uq_documents_kb_source"),
    sqlite_autoincrement=True,
)

chunks = Table(
    "chunks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("kb_id", Integer, nullable=False),
    Column("classification", Integer, nullable=False, default=DEFAULT_CLASSIFICATION),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("locator", JSON, nullable=False, default=dict),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("token_count", Integer, nullable=False),
    Index("ix_chunks_document", "document_id", "ordinal"),
    Index("ix_chunks_kb", "kb_id"),
    sqlite_autoincrement=True,
)

chunk_vectors = Table(
    "chunk_vectors",
    metadata,
    # seq grows with every insert: the ANN index catches up from a watermark on it.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("chunk_id", Integer, ForeignKey("chunks.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian, L2-normalised
    UniqueConstraint("chunk_id", name="uq_chunk_vectors_chunk"),
    sqlite_autoincrement=True,
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kb_id", Integer, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="SET NULL")),
    Column("source", Text, nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed | skipped
    Column("stage", String(16), nullable=False),  # fetch|parse|ocr|chunk|index|embed|done
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("error_code", String(40)),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("options", JSON, nullable=False, default=dict),
    Column("worker", String(120)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_jobs_status", "status"),
    sqlite_autoincrement=True,
)

state = Table(
    "state",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)
