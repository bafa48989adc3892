"""Browser tests: headless Chromium (Debian's `chromium`, driven by Playwright through
`executable_path`) against a real `tokenbase serve` process on 127.0.0.1.

- `served`: one server per test module (its own data directory; an administrator `root` with
  password `root-password-1`, members `alice` and `bob`), yields a Served with the URL.
- `browser`: one Chromium per session; skipped with a message when Chromium or Playwright is
  missing (`apt-get install chromium`, `pip install -e '.[test]'`).
- `page`: a fresh context and page; `login(page, served, "alice")` signs in through the form.
- `shot(page, name)`: a full-page screenshot into .artifacts/screenshots/ (not committed), to
  look at by eye.

Pages are Chinese by default; tests find elements by `data-testid` where the text would
depend on the language, and by the Chinese text where it is the point.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import tomli_w

from tokenbase.config import load_settings
from tokenbase.identity.users import create_user
from tokenbase.kb.platform import Platform

from ..api.server import free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".artifacts" / "screenshots"
PASSWORDS = {"root": "root-password-1", "alice": "alice-password-1", "bob": "bob-password-1"}


def chromium_path() -> str | None:
    return (
        os.environ.get("TOKENBASE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@dataclass
class Served:
    url: str
    data_dir: Path
    users: dict[str, int] = field(default_factory=dict)
    log: Path | None = None

    @contextmanager
    def api(self, username: str = "root") -> Iterator[httpx.Client]:
        """An API client signed in as `username` (session cookie, like the browser)."""
        with httpx.Client(base_url=self.url, timeout=60) as client:
            reply = client.post(
                "/auth/login", json={"username": username, "password": PASSWORDS[username]}
            )
            reply.raise_for_status()
            yield client


def start_server(
    tmp: Path, prepare: Callable[[Platform], Any] | None = None, **settings: Any
) -> tuple[subprocess.Popen, Served]:
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    if settings:  # the served process reads <data_dir>/tokenbase.toml, as in production
        (data / "tokenbase.toml").write_text(tomli_w.dumps(settings), encoding="utf-8")
    platform = Platform(load_settings(data))
    served = Served("", data)
    try:
        with platform.db.engine.begin() as conn:
            for name in ("root", "alice", "bob"):
                user = create_user(
                    conn,
                    name,
                    password=PASSWORDS[name],
                    role="admin" if name == "root" else "member",
                    clearance=3 if name == "root" else 1,
                )
                served.users[name] = user.id
        if prepare is not None:
            prepare(platform)
    finally:
        platform.close()
    port = free_port()
    served.url = f"http://127.0.0.1:{port}"
    served.log = tmp / "serve.log"
    env = {**os.environ, "TOKENBASE_DATA_DIR": str(data), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tokenbase", "serve", "--port", str(port), "--data-dir", str(data)],
        stdout=served.log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp,
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"tokenbase serve did not start:\n{served.log.read_text()}")
        time.sleep(0.3)
    return process, served


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip("browser tests need Chromium: apt-get install chromium (or TOKENBASE_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def login(page: Any, served: Served, username: str, next_path: str = "/ui/chat") -> None:
    page.goto(f"{served.url}/ui/login?next={next_path}")
    page.get_by_test_id("username").fill(username)
    page.get_by_test_id("password").fill(PASSWORDS[username])
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(lambda url: urlsplit(url).path == urlsplit(next_path).path)
    page.get_by_test_id("logout").wait_for()  # the frame is drawn: signed in


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
