"""Engine creation: URL handling, driver errors, concurrent migrations on every backend."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text

from tokenbase.db.engine import (
    DatabaseConfigError,
    create_db_engine,
    normalise_url,
    open_database,
    url_without_password,
)

from .servers import DatabaseFactory


def test_postgres_urls_mean_psycopg():
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_password_is_dropped_from_shown_urls():
    shown = url_without_password("postgresql+psycopg://kb:s3cr%40t@db.internal:5432/kb")
    assert shown == "postgresql+psycopg://kb@db.internal:5432/kb"
    assert "s3cr" not in url_without_password("postgresql://kb:s3cret@db/kb")


def test_a_missing_driver_says_what_to_install():
    with pytest.raises(DatabaseConfigError) as info:
        create_db_engine("nosuchdb+nodriver://user:secret@host/db")
    assert "install" in str(info.value) and "secret" not in str(info.value)
    with pytest.raises(DatabaseConfigError) as info:
        create_db_engine("postgresql+nosuchdriver://user:pw@host/db")
    assert "tokenbase[postgres]" in str(info.value) and "pw" not in str(info.value)


def test_replicas_opening_an_empty_database_together_migrate_once(
    new_database_url: DatabaseFactory,
):
    url = new_database_url(migrated=False)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def open_it() -> None:
        try:
            start.wait()
            open_database(url).engine.dispose()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    db = open_database(url)
    try:
        assert "chunks" in inspect(db.engine).get_table_names()
        with db.engine.connect() as conn:
            assert len(conn.execute(text("SELECT version_num FROM alembic_version")).all()) == 1
    finally:
        db.engine.dispose()
