"""[llm] settings: providers and tiers are validated at start-up, naming the key."""

from __future__ import annotations

import pytest

from tokenbase.config import ConfigError, load_settings

PROVIDERS = """
[[llm.providers]]
name = "deepseek"
base_url = "https://api.deepseek.com/v1"
api_key_env = "DEEPSEEK_API_KEY"
models = ["deepseek-chat", "deepseek-reasoner"]

[[llm.providers]]
name = "ollama"
base_url = "http://127.0.0.1:11434/v1"
deployment = "private"
models = ["qwen2.5:7b"]
json_mode = "json_schema"
"""


def write(tmp_path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "tokenbase.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_providers_and_tiers_load(tmp_path):
    tiers = '[llm.tiers]\nfast = ["ollama/qwen2.5:7b", "deepseek/deepseek-chat"]\n'
    text = PROVIDERS + '[llm]\ndefault_tier = "fast"\n' + tiers
    settings = load_settings(write(tmp_path, text))
    assert [p.name for p in settings.llm.providers] == ["deepseek", "ollama"]
    assert settings.llm.providers[1].deployment == "private"
    assert settings.llm.tiers["fast"][0] == "ollama/qwen2.5:7b"


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[llm.tiers]\nstandard = ["deepseek/gpt-4"]\n', r"llm.tiers.standard: 'deepseek/gpt-4'"),
        ('[llm.tiers]\nstandard = ["openai/gpt-4"]\n', r"llm.tiers.standard: 'openai/gpt-4'"),
        ('[llm.tiers]\nfast = ["ollama/qwen2.5:7b"]\n', r"llm.default_tier: 'standard'"),
    ],
)
def test_bad_routes_name_the_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, PROVIDERS + extra))


def test_duplicate_provider_names_and_unknown_fields_fail(tmp_path):
    twice = PROVIDERS + PROVIDERS.split("[[llm.providers]]")[1].join(["[[llm.providers]]", ""])
    with pytest.raises(ConfigError, match="must be unique"):
        load_settings(write(tmp_path, twice))
    with pytest.raises(ConfigError, match="api_key"):
        load_settings(write(tmp_path, PROVIDERS + 'api_key = "sk-123"\n'))


def test_the_documented_example_configs_load(tmp_path):
    from pathlib import Path

    page = (Path(__file__).parents[2] / "docs" / "models.md").read_text(encoding="utf-8")
    blocks = [part.split("```", 1)[0] for part in page.split("```toml\n")[1:]]
    settings = load_settings(write(tmp_path, "\n".join(blocks)))
    assert len(settings.llm.providers) == 6
    assert "vllm" in {p.name for p in settings.llm.providers}
    assert settings.llm.tiers["standard"][0] == "deepseek/deepseek-chat"
