"""Voice fixtures: a platform on each backend whose chat models are a scripted server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tokenbase.config import load_settings
from tokenbase.kb.platform import Platform
from tokenbase.voice.service import VoiceIntents

from ..llm.openai_server import ScriptedServer
from .sentences import CLOCK


@pytest.fixture
def llm() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


def llm_config(base_url: str) -> dict:
    """'cloud' (m1) answers with native json_schema; 'local' (m2) with JSON mode."""
    return {
        "providers": [
            {
                "name": "cloud",
                "base_url": base_url,
                "models": ["m1"],
                "json_mode": "json_schema",
                "timeout_s": 5,
            },
            {
                "name": "local",
                "base_url": base_url,
                "models": ["m2"],
                "deployment": "private",
                "json_mode": "json_object",
                "timeout_s": 5,
            },
        ],
        "tiers": {"standard": ["cloud/m1"], "private": ["local/m2"]},
        "max_retries": 0,
        "backoff_base_s": 0.001,
    }


@pytest.fixture
def make_voice(tmp_path: Path, database_url: str) -> Iterator[Callable[..., VoiceIntents]]:
    """`make_voice(**settings)` -> VoiceIntents on a fresh platform with the fixed clock."""
    made: list[Platform] = []

    def make(**overrides: object) -> VoiceIntents:
        settings = load_settings(
            tmp_path / f"data{len(made)}", database_url=database_url, **overrides
        )
        made.append(Platform(settings))
        return VoiceIntents(made[-1], clock=lambda: CLOCK)

    yield make
    for platform in made:
        platform.close()
