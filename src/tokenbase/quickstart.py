"""The bundled sample set: realistic Chinese company documents written for TokenBase."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

QUICKSTART_KB = "quickstart"


def samples_dir() -> Path:
    return Path(str(files("tokenbase") / "samples"))


def sample_files() -> list[Path]:
    """The sample documents (everything but the README and the questions file)."""
    skip = {"README.md", "questions.json"}
    return sorted(p for p in samples_dir().iterdir() if p.is_file() and p.name not in skip)


def sample_questions() -> list[dict]:
    return json.loads((samples_dir() / "questions.json").read_text(encoding="utf-8"))
