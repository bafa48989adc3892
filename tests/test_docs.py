"""Generated reference pages are current (regenerate with `python scripts/gen_docs.py`)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
gen_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen_docs)


@pytest.mark.parametrize("name", sorted(gen_docs.PAGES))
def test_generated_page_is_current(name: str):
    current = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert current == gen_docs.PAGES[name](), f"docs/{name} is stale: run scripts/gen_docs.py"


def test_every_setting_has_help():
    from tokenbase.config import iter_setting_docs

    for key, _type, _default, help_text in iter_setting_docs():
        assert help_text, f"setting {key} has no description"
