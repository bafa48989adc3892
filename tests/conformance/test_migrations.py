"""Migrations run from an empty database to head on every backend, and ids are never reused."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from tokenbase.db.engine import migrate, open_database
from tokenbase.db.schema import metadata

from ..db.servers import DatabaseFactory

LEXICAL_TABLES = {"sqlite": {"chunk_fts", "chunk_fts_vocab"}, "postgresql": {"chunk_lexemes"}}


def test_migrations_run_from_empty_to_head(new_database_url: DatabaseFactory, backend: str):
    url = new_database_url(migrated=False)
    db = open_database(url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert set(metadata.tables) <= tables
        assert LEXICAL_TABLES[backend] <= tables | _virtual_tables(db.engine)
        with db.engine.connect() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        migrate(db.engine)  # a second run (another replica starting) is a no-op
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(head,)]
    finally:
        db.engine.dispose()


def test_deleted_ids_are_never_reused(database_url: str):
    db = open_database(database_url)
    now = datetime.now(UTC)
    try:
        ids = []
        for name in ("a", "b"):
            with db.engine.begin() as conn:
                kb = conn.execute(
                    text(
                        "INSERT INTO knowledge_bases (name, description, created_at) "
                        "VALUES (:n, '', :t) RETURNING id"
                    ),
                    {"n": name, "t": now},
                ).scalar_one()
                doc = conn.execute(
                    text(
                        "INSERT INTO documents (kb_id, title, source, source_kind, content_hash,"
                        " media_type, size_bytes, classification, licence, status, parser, text,"
                        " chunk_count, ocr_pages, meta, created_at, updated_at) VALUES (:kb, 't',"
                        " 's', 'file', 'h', '', 0, 1, '', 'indexed', '', '', 1, 0, '{}', :t, :t)"
                        " RETURNING id"
                    ),
                    {"kb": kb, "t": now},
                ).scalar_one()
                chunk = conn.execute(
                    text(
                        "INSERT INTO chunks (document_id, kb_id, classification, ordinal, text,"
                        " locator, start_offset, end_offset, token_count) VALUES"
                        " (:d, :kb, 1, 0, 'x', '{}', 0, 1, 1) RETURNING id"
                    ),
                    {"d": doc, "kb": kb},
                ).scalar_one()
                ids.append((doc, chunk))  # (knowledge-base ids may be reused on SQLite)
                # The newest rows go: the next insert must still get a larger id.
                conn.execute(text("DELETE FROM knowledge_bases WHERE id = :kb"), {"kb": kb})
        assert all(second > first for first, second in zip(ids[0], ids[1], strict=True))
    finally:
        db.engine.dispose()


def _virtual_tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "sqlite":
        return set()
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
