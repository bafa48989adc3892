"""Shared helpers for the backend conformance suite: every test here runs once per backend
(`backend` fixture: SQLite, and PostgreSQL when TOKENBASE_TEST_PG_URL is set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus


def ingest(platform: Platform, paths: list[Path], kb: str = "hr", **labels: object) -> list[int]:
    """Enqueue and run `paths` into `kb`; returns the job ids."""
    sources, problems = expand_sources([str(p) for p in paths])
    assert not problems, problems
    ingestor = platform.ingestor()
    ids = ingestor.enqueue(sources, kb, **labels)  # type: ignore[arg-type]
    summary = ingestor.run(ids)
    assert not summary.failed, summary
    return ids


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """The three-document Chinese corpus of tests/corpus.py, written to a folder."""
    return write_corpus(tmp_path / "docs")
