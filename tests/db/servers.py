"""Databases for backend-parametrised tests: SQLite files in tmp_path, or fresh PostgreSQL
databases on the server named by TOKENBASE_TEST_PG_URL.

Each PostgreSQL test gets its own database, copied from a template that was migrated once per
session (`CREATE DATABASE ... TEMPLATE`, ~0.1 s), and dropped afterwards.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

from sqlalchemy.engine import make_url

from tokenbase.db import open_database

PG_ENV = "TOKENBASE_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")
PG_SKIP_REASON = (
    f'PostgreSQL tests need {PG_ENV}: run `eval "$(bash scripts/test-postgres.sh start)"` '
    "(a throwaway server on 127.0.0.1), then pytest again"
)


def pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


class PgDatabases:
    """Creates and drops databases on one PostgreSQL server (the URL's user needs CREATEDB)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._names = (f"tbt_{os.getpid()}_{i}" for i in itertools.count())
        self._created: list[str] = []
        self._template: str | None = None

    def _admin(self, sql: str) -> None:
        import psycopg

        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def url_for(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def template(self) -> str:
        """A database migrated to head, to copy from (made on first use)."""
        if self._template is None:
            name = f"tbt_{os.getpid()}_template"
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
            db = open_database(self.url_for(name))
            db.engine.dispose()
            self._template = name
        return self._template

    def create(self, *, migrated: bool = True) -> str:
        """A new database's URL: migrated to head (copied from the template) or empty."""
        name = next(self._names)
        source = self.template() if migrated else "template0"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        self._created.append(name)
        return self.url_for(name)

    def drop_created(self) -> None:
        while self._created:
            self._admin(f'DROP DATABASE IF EXISTS "{self._created.pop()}" WITH (FORCE)')

    def close(self) -> None:
        self.drop_created()
        if self._template is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._template = None


DatabaseFactory = Callable[..., str]
