from pathlib import Path

import pytest

from tokenbase.config import ConfigError, load_settings


def test_defaults_and_toml_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "tokenbase.toml").write_text("[search]\nrrf_k = 30\n", encoding="utf-8")
    monkeypatch.setenv("TOKENBASE_INGEST__CHUNK_TOKENS", "256")
    settings = load_settings(tmp_path)
    assert settings.search.rrf_k == 30
    assert settings.ingest.chunk_tokens == 256
    assert settings.db_url == f"sqlite:///{tmp_path / 'tokenbase.db'}"


def test_unknown_key_fails_naming_it(tmp_path: Path):
    (tmp_path / "tokenbase.toml").write_text("[search]\nrrf_kk = 30\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="search.rrf_kk"):
        load_settings(tmp_path)


def test_wrong_type_fails_naming_it(tmp_path: Path):
    (tmp_path / "tokenbase.toml").write_text("[ingest]\nchunk_tokens = 'big'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="ingest.chunk_tokens"):
        load_settings(tmp_path)
