"""PII never reaches a public model: prompts are masked on the way out and the reply is
restored on the way back — whole or streamed, with a placeholder split across chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenbase.config import load_settings
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.ask import ask
from tokenbase.kb.platform import Platform
from tokenbase.ledger.attribution import attributed

from ..llm.openai_server import Reply, ScriptedServer, Stream

PHONE = "13812345678"
EMAIL = "zhangwei@xinghe-tech.cn"
CONTACTS = f"# 供应商联系人\n\n星河科技的对接人是张伟，联系电话{PHONE}，邮箱{EMAIL}。\n"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def _platform(tmp_path: Path, base_url: str, deployment: str = "public") -> Platform:
    settings = load_settings(
        tmp_path / "data",
        llm={
            "providers": [
                {"name": "cloud", "base_url": base_url, "deployment": deployment, "models": ["m1"]}
            ],
            "max_retries": 0,
        },
    )
    platform = Platform(settings)
    folder = tmp_path / "docs"
    folder.mkdir(parents=True)
    (folder / "供应商联系人.md").write_text(CONTACTS, encoding="utf-8")
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, "vendors")).failed  # 内部: no red line
    return platform


def _sent(server: ScriptedServer) -> str:
    return json.dumps(
        [b for p, b, _ in server.requests if p == "/v1/chat/completions"], ensure_ascii=False
    )


def test_streamed_answer_is_masked_out_and_restored_back(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    # The model only ever saw placeholders, and answers with them — split mid-placeholder.
    server.script("m1", Stream(["星河科技的对接人电话是〔手机", "号1〕，邮箱〔邮箱1〕[1]。"]))
    answer = ask(platform, "星河科技对接人的联系电话和邮箱是什么？", ["vendors"])
    sent = _sent(server)
    assert PHONE not in sent and EMAIL not in sent
    assert "〔手机号1〕" in sent and "〔邮箱1〕" in sent
    assert answer.kind == "generative"
    assert answer.text == f"星河科技的对接人电话是{PHONE}，邮箱{EMAIL}[1]。"
    assert answer.citation_issues == []  # the restored numbers match the source


def test_whole_replies_restore_and_private_models_see_the_real_text(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    server.script("m1", Reply("请拨打〔手机号1〕。"))
    message = [{"role": "user", "content": f"给{PHONE}发短信提醒张伟"}]
    with attributed(trace_id="trace-42"):
        result = platform.gateway.chat(message)
    assert result.text == f"请拨打{PHONE}。" and PHONE not in _sent(server)

    private = _platform(tmp_path / "p", server.base_url, deployment="private")
    server.script("m1", Reply("好的"))
    private.gateway.chat(message)
    assert PHONE in _sent(server)  # in-house models get the text as it is
