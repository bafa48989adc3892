"""Suite-wide fixtures: no test reaches beyond loopback; a CJK font for generated files;
databases of each backend (SQLite always, PostgreSQL when TOKENBASE_TEST_PG_URL is set).

Backend-parametrised tests take `database_url` (a fresh, migrated database of the current
backend), `new_database_url` (a factory for more, or `migrated=False` for an empty one),
`backend` (its name) or `backend_platform` (a Platform on `database_url`).
"""

from __future__ import annotations

import ipaddress
import itertools
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenbase.config import load_settings
from tokenbase.db import open_database
from tokenbase.guard.redline import clean_context
from tokenbase.kb.platform import Platform

from .db.servers import BACKENDS, PG_SKIP_REASON, DatabaseFactory, PgDatabases, pg_url

CJK_FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
]

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address, *args, **kwargs):  # type: ignore[no-untyped-def]
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        if not ip.is_loopback:
            raise RuntimeError(f"test tried to reach {host}: tests may only use loopback")
    return _real_connect(self, address, *args, **kwargs)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _clean_red_line_context() -> Iterator[None]:
    """Each test starts untainted: a search in one test must not restrict the next one's
    model calls (in production each request and command has its own context)."""
    with clean_context():
        yield


@pytest.fixture(scope="session")
def cjk_font() -> Path:
    """Path to a TrueType collection with CJK glyphs (Debian: fonts-wqy-microhei)."""
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    pytest.skip("no CJK font: apt-get install fonts-wqy-microhei (.ci/run installs it)")


@pytest.fixture
def platform(tmp_path: Path) -> Platform:
    """A platform on a fresh data directory (real SQLite file, bundled embedder)."""
    p = Platform(load_settings(tmp_path / "data"))
    yield p
    p.close()


# -- databases of each backend ------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases | None]:
    """Database maker on the TOKENBASE_TEST_PG_URL server, or None when it is unset."""
    url = pg_url()
    if url is None:
        yield None
        return
    databases = PgDatabases(url)
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, pg_databases: PgDatabases | None) -> str:
    """ "sqlite" or "postgresql"; the PostgreSQL case skips when no server is configured."""
    if request.param == "postgresql" and pg_databases is None:
        pytest.skip(PG_SKIP_REASON)
    return request.param


@pytest.fixture
def new_database_url(
    backend: str, tmp_path: Path, pg_databases: PgDatabases | None
) -> Iterator[DatabaseFactory]:
    """Factory: `new_database_url(migrated=True)` -> URL of a new database of `backend`."""
    counter = itertools.count()

    def make(*, migrated: bool = True) -> str:
        if backend == "postgresql":
            assert pg_databases is not None
            return pg_databases.create(migrated=migrated)
        url = f"sqlite:///{tmp_path / 'databases' / f'db{next(counter)}.sqlite'}"
        if migrated:
            open_database(url).engine.dispose()
        return url

    yield make
    if pg_databases is not None:
        pg_databases.drop_created()


@pytest.fixture
def database_url(new_database_url: DatabaseFactory) -> str:
    """A fresh database of the current backend, migrated to head."""
    return new_database_url()


@pytest.fixture
def backend_platform(tmp_path: Path, database_url: str) -> Iterator[Platform]:
    """`platform` on the current backend's database (bundled embedder, data dir in tmp_path)."""
    p = Platform(load_settings(tmp_path / "data", database_url=database_url))
    yield p
    p.close()
