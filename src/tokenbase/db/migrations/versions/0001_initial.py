"""Initial schema: knowledge bases, documents, chunks, vectors, jobs, state, lexical index.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "knowledge_bases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=False),
        _ts("created_at"),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "kb_id",
            sa.Integer,
            sa.ForeignKey("knowledge_bases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("classification", sa.Integer, nullable=False),
        sa.Column("licence", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("parser", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
        sa.Column("ocr_pages", sa.Integer, nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.UniqueConstraint("kb_id", "source", name="uq_documents_kb_source"),
        sqlite_autoincrement=True,  # ids are cited; a deleted id must never come back
    )
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kb_id", sa.Integer, nullable=False),
        sa.Column("classification", sa.Integer, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("locator", sa.JSON, nullable=False),
        sa.Column("start_offset", sa.Integer, nullable=False),
        sa.Column("end_offset", sa.Integer, nullable=False),
        sa.Column("token_count", sa.Integer, nullable=False),
        sqlite_autoincrement=True,  # the vector index keys on chunk ids: never reuse one
    )
    op.create_index("ix_chunks_document", "chunks", ["document_id", "ordinal"])
    op.create_index("ix_chunks_kb", "chunks", ["kb_id"])
    op.create_table(
        "chunk_vectors",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "chunk_id",
            sa.Integer,
            sa.ForeignKey("chunks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.UniqueConstraint("chunk_id", name="uq_chunk_vectors_chunk"),
        sqlite_autoincrement=True,  # seq is the ANN watermark: it must only grow
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "kb_id",
            sa.Integer,
            sa.ForeignKey("knowledge_bases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="SET NULL")),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("error_code", sa.String(40)),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("worker", sa.String(120)),
        _ts("heartbeat_at", nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("finished_at", nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "state",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Lexical index over jieba-tokenised chunk text; rowid = chunks.id.
        op.execute("CREATE VIRTUAL TABLE chunk_fts USING fts5(tokens, tokenize='unicode61')")
        # Per-term document frequencies, for idf weights of query terms.
        op.execute("CREATE VIRTUAL TABLE chunk_fts_vocab USING fts5vocab(chunk_fts, 'row')")
    elif op.get_bind().dialect.name == "postgresql":
        # The same lexical index on PostgreSQL (search/lexical_pg.py): the chunk's tokens as
        # FTS5's unicode61 splits them, with positions (term frequencies), and its length in
        # tokens, for BM25. GIN answers "which chunks contain term t" and counts them (df).
        op.create_table(
            "chunk_lexemes",
            sa.Column(
                "chunk_id",
                sa.Integer,
                sa.ForeignKey("chunks.id", ondelete="CASCADE"),
                primary_key=True,
                autoincrement=False,
            ),
            sa.Column("tokens", postgresql.TSVECTOR, nullable=False),
            sa.Column("length", sa.Integer, nullable=False),
        )
        op.create_index(
            "ix_chunk_lexemes_tokens", "chunk_lexemes", ["tokens"], postgresql_using="gin"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS chunk_fts_vocab")
        op.execute("DROP TABLE IF EXISTS chunk_fts")
    elif op.get_bind().dialect.name == "postgresql":
        op.drop_table("chunk_lexemes")
    for table in ("state", "jobs", "chunk_vectors", "chunks", "documents", "knowledge_bases"):
        op.drop_table(table)
