"""API fixtures.

- `api_platform(**overrides)`: a factory for a Platform on a fresh data directory, with test
  settings (fast worker poll) and any setting overrides.
- `make_app(**overrides)`: a FastAPI app over such a platform, *without* the worker thread,
  for `httpx.ASGITransport` tests.
- `live_api`: (module scope) the real server over HTTP with its worker thread, plus an admin
  and an admin-scoped API key: `.url`, `.platform`, `.admin_key`, `.client(headers=...)`,
  `.wait_for_jobs(ids)`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tokenbase.api import create_app
from tokenbase.config import load_settings
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user
from tokenbase.kb.platform import Platform

from .server import LiveServer

TEST_SETTINGS = {"server": {"worker_poll_s": 0.5}}


def _merge(base: dict, extra: dict) -> dict:
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in extra.items():
        if isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


@pytest.fixture
def api_platform(tmp_path: Path, new_database_url) -> Iterator[Callable[..., Platform]]:  # type: ignore[no-untyped-def]
    """Runs each test on every backend (the conformance `backend` parameter)."""
    made: list[Platform] = []

    def make(**overrides: object) -> Platform:
        overrides = {"database_url": new_database_url(), **overrides}
        settings = load_settings(tmp_path / f"data{len(made)}", **_merge(TEST_SETTINGS, overrides))
        made.append(Platform(settings))
        return made[-1]

    yield make
    for platform in made:
        platform.close()


def admin_key(platform: Platform, username: str = "root") -> str:
    with platform.db.engine.begin() as conn:
        user = create_user(conn, username, password="root-password", role="admin", clearance=3)
        return create_key(conn, user.id, "tests", ["admin"])[1]


@pytest.fixture
def make_app(api_platform):  # type: ignore[no-untyped-def]
    """(app, platform, admin key, client factory) without a worker thread."""

    def make(**overrides: object):  # type: ignore[no-untyped-def]
        platform = api_platform(**overrides)
        app = create_app(platform, worker=False)
        key = admin_key(platform)

        def client(**kwargs: object) -> httpx.Client:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            return _SyncAsgiClient(transport, **kwargs)

        return app, platform, key, client

    return make


class _SyncAsgiClient:
    """A small synchronous facade over httpx.AsyncClient + ASGITransport (httpx's sync
    Client cannot drive an ASGI app)."""

    def __init__(self, transport: httpx.ASGITransport, **kwargs: object) -> None:
        import asyncio

        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            **kwargs,  # type: ignore[arg-type]
        )

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))  # type: ignore[arg-type]

    def get(self, url: str, **kw: object) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: object) -> httpx.Response:
        return self.request("POST", url, **kw)

    def put(self, url: str, **kw: object) -> httpx.Response:
        return self.request("PUT", url, **kw)

    def patch(self, url: str, **kw: object) -> httpx.Response:
        return self.request("PATCH", url, **kw)

    def delete(self, url: str, **kw: object) -> httpx.Response:
        return self.request("DELETE", url, **kw)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    def __enter__(self) -> _SyncAsgiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class LiveApi:
    url: str
    platform: Platform
    admin_key: str
    server: LiveServer

    def client(self, **kwargs: object) -> httpx.Client:
        return self.server.client(**kwargs)

    def wait_for_jobs(self, ids: list[int], key: str | None = None, timeout: float = 60) -> list:
        """Poll GET /jobs until every job is done/skipped/failed; returns the job rows."""
        headers = {"Authorization": f"Bearer {key or self.admin_key}"}
        deadline = time.monotonic() + timeout
        with self.client(headers=headers) as http:
            while True:
                rows = http.get("/jobs", params={"ids": ids}).json()
                if len(rows) == len(ids) and all(
                    r["status"] in ("done", "skipped", "failed") for r in rows
                ):
                    return rows
                if time.monotonic() > deadline:
                    raise AssertionError(f"jobs did not finish: {rows}")
                time.sleep(0.2)


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    settings = load_settings(tmp_path_factory.mktemp("live") / "data", **TEST_SETTINGS)
    platform = Platform(settings)
    key = admin_key(platform)
    with LiveServer(create_app(platform)) as server:
        yield LiveApi(server.url, platform, key, server)
    platform.close()
