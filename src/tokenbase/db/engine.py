"""Engine creation and migrations.

SQLite runs in WAL mode with foreign keys on, so readers never block the ingest writer and a
`kill -9` leaves a consistent file. PostgreSQL (`postgresql://` or `postgresql+psycopg://`
URLs, psycopg 3 from the `postgres` extra) runs the same Alembic migrations; replicas starting
together take an advisory lock so only one of them migrates. Every schema change is an Alembic
migration, applied on open.

Errors::

    DatabaseConfigError   the URL names a driver that is not installed, or cannot be parsed
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key held while migrating: concurrent replicas migrate one at a time.
MIGRATION_LOCK_KEY = 0x70B5E  # arbitrary, fixed
# Alembic keeps its `op` and `context` proxies in module globals: one migration per process.
_MIGRATE_LOCK = threading.Lock()


class DatabaseConfigError(Exception):
    """The database URL cannot be used; the message says what to install or fix."""


@dataclass
class Database:
    """An engine plus what callers need to know about its dialect."""

    engine: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def backend(self) -> str:
        """The dialect name: "sqlite" or "postgresql"."""
        return self.engine.dialect.name


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` mean psycopg 3 (the driver the `postgres` extra
    installs); every other URL is returned unchanged."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def url_without_password(url: str) -> str:
    """The URL with any password removed: safe to log, hash or show."""
    try:
        return make_url(url)._replace(password=None).render_as_string(hide_password=False)
    except ArgumentError:
        return url.split("@")[-1]


def create_db_engine(url: str) -> Engine:
    """Create an engine; for SQLite, make the parent directory and set the pragmas.

    Raises DatabaseConfigError when the URL's driver is not installed."""
    url = normalise_url(url)
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ImportError, NoSuchModuleError) as exc:
        hint = (
            "pip install 'tokenbase[postgres]'"
            if url.startswith("postgresql")
            else "install the driver this URL names"
        )
        raise DatabaseConfigError(
            f"cannot open {url_without_password(url)}: {exc}; {hint}"
        ) from exc
    except ArgumentError as exc:
        raise DatabaseConfigError(
            f"invalid database URL {url_without_password(url)!r}: {exc}; "
            "check TOKENBASE_DATABASE_URL"
        ) from exc


def migrate(engine: Engine, revision: str = "head") -> None:
    """Apply Alembic migrations up to `revision` on this engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _MIGRATE_LOCK, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends: a second replica waits, then finds head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def open_database(url: str, *, upgrade: bool = True) -> Database:
    """Open (and by default migrate) the database at `url`."""
    engine = create_db_engine(url)
    if upgrade:
        migrate(engine)
    return Database(engine)
