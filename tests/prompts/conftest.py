"""Prompt-library fixtures: a library on a fresh database of each backend, and users."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tokenbase.config import Settings
from tokenbase.db import open_database
from tokenbase.identity.users import User, create_user
from tokenbase.prompts.library import PromptLibrary


def settings(**prompts: Any) -> Settings:
    return Settings(prompts=prompts) if prompts else Settings()


@pytest.fixture
def lib(database_url: str) -> Iterator[PromptLibrary]:
    db = open_database(database_url)
    yield PromptLibrary(db.engine, settings(owners=["olga"]))
    db.engine.dispose()


def make_user(lib: PromptLibrary, name: str, role: str = "member", **kw: Any) -> User:
    with lib.engine.begin() as conn:
        return create_user(conn, name, password="a-long-password-1", role=role, **kw)
