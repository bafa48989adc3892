"""Suite-wide fixtures: no test reaches beyond loopback; a CJK font for generated files."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from tokenbase.config import load_settings
from tokenbase.kb.platform import Platform

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
