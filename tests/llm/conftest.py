"""Fixtures for gateway tests: a scripted OpenAI-compatible server and gateways on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tokenbase.config import LLMSettings
from tokenbase.llm.gateway import Gateway

from .openai_server import ScriptedServer
from .recording_meter import RecordingMeter

SECRET = "sk-test-SECRET-0123456789"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture
def meter() -> RecordingMeter:
    return RecordingMeter()


def llm_settings(base_url: str, **overrides: Any) -> LLMSettings:
    """Two providers on the scripted server: 'cloud' (m1, m2; public, keyed) and 'local' (m3)."""
    values: dict[str, Any] = {
        "providers": [
            {
                "name": "cloud",
                "base_url": base_url,
                "api_key_env": "TB_TEST_KEY",
                "deployment": "public",
                "models": ["m1", "m2"],
                "timeout_s": 2,
            },
            {"name": "local", "base_url": base_url, "deployment": "private", "models": ["m3"]},
        ],
        "tiers": {"fast": ["cloud/m1", "cloud/m2"], "cheap": ["local/m3"]},
        "default_tier": "fast",
        "backoff_base_s": 0.001,
        "backoff_max_s": 0.05,
        "first_token_timeout_s": 2,
        "stream_idle_timeout_s": 2,
    }
    values.update(overrides)
    return LLMSettings(**values)


@pytest.fixture
def make_gateway(
    server: ScriptedServer, meter: RecordingMeter, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Gateway]:
    monkeypatch.setenv("TB_TEST_KEY", SECRET)

    def make(**overrides: Any) -> Gateway:
        return Gateway(llm_settings(server.base_url, **overrides), meter)

    return make
