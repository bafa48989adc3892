"""Red line 1, end to end: text classified 机密 never reaches a public model, on every path that
calls one — ingest embeddings, rerank, generative ask, direct chat and structured calls after
a search — under each policy. A canary string in the confidential document must never appear
in any request the scripted server receives for a public destination."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tokenbase.config import load_settings
from tokenbase.guard.redline import RedLineBlocked, clean_context
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.ask import ask
from tokenbase.kb.platform import Platform
from tokenbase.llm.errors import ModelCallError

from ..llm.openai_server import Reply, ScriptedServer, Stream

CANARY = "蓝鲸计划代号KX-7781"
SECRET_DOC = f"# 并购计划\n\n公司拟于明年收购星河科技，{CANARY}，收购预算为8亿元。\n"
PUBLIC_DOC = "# 公司简介\n\n公司成立于2008年，总部位于杭州，主营企业软件。\n"
QUESTION = "公司的收购预算是多少？"


@pytest.fixture(scope="module")
def e5():  # type: ignore[no-untyped-def]
    """The bundled model behind the scripted 'public' embedding API: real semantics."""
    from tokenbase.config import EmbedderSettings
    from tokenbase.llm.embeddings import create_embedder

    return create_embedder(EmbedderSettings())


@pytest.fixture
def server(e5) -> Iterator[ScriptedServer]:  # type: ignore[no-untyped-def]
    def embeddings(body: dict) -> tuple[int, dict]:
        vectors = e5.embed_passages(body["input"])
        return 200, {"data": [{"index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]}

    with ScriptedServer() as s:
        s.routes["/v1/embeddings"] = embeddings
        s.routes["/v1/rerank"] = lambda body: (
            200,
            {
                "results": [
                    {"index": i, "relevance_score": 1.0} for i in range(len(body["documents"]))
                ]
            },
        )
        yield s


def _platform(tmp_path: Path, server: ScriptedServer, **redline: object) -> Platform:
    url = server.base_url
    settings = load_settings(
        tmp_path / "data",
        embedder={
            "provider": "openai",
            "base_url": url,
            "model": "pub-embed",
            "deployment": "public",
        },
        reranker={
            "provider": "http",
            "base_url": url,
            "model": "pub-rerank",
            "deployment": "public",
        },
        llm={
            "providers": [
                {"name": "pub", "base_url": url, "deployment": "public", "models": ["pub-m"]},
                {"name": "priv", "base_url": url, "deployment": "private", "models": ["priv-m"]},
            ],
            "tiers": {
                "mixed": ["pub/pub-m", "priv/priv-m"],
                "public": ["pub/pub-m"],
                "inhouse": ["priv/priv-m"],
            },
            "default_tier": "mixed",
            "max_retries": 0,
        },
        guard={"redline": redline},
    )
    platform = Platform(settings)
    for name, body, level in (("并购计划.md", SECRET_DOC, 2), ("公司简介.md", PUBLIC_DOC, 0)):
        folder = tmp_path / f"docs{level}"
        folder.mkdir()
        (folder / name).write_text(body, encoding="utf-8")
        sources, _ = expand_sources([str(folder)])
        ingestor = platform.ingestor()
        assert not ingestor.run(ingestor.enqueue(sources, "corp", classification=level)).failed
    return platform


def _violations(server: ScriptedServer) -> list[str]:
    """Requests to a public destination that carry the canary."""
    found = []
    for path, body, _ in server.requests:
        public = path in ("/v1/embeddings", "/v1/rerank") or body.get("model") == "pub-m"
        if public and CANARY in json.dumps(body, ensure_ascii=False):
            found.append(f"{path} {body.get('model')}")
    return found


def _chat_models(server: ScriptedServer) -> list[str]:
    return [body["model"] for path, body, _ in server.requests if path == "/v1/chat/completions"]


def _context_messages(platform: Platform) -> list[dict]:
    """What an agent or task would send after reading the knowledge base."""
    hits = platform.searcher.search(QUESTION, ["corp"]).hits
    assert any(CANARY in h.text for h in hits)  # the confidential chunk was found
    sources = "\n".join(h.text for h in hits)
    return [{"role": "user", "content": f"资料：{sources}\n问题：{QUESTION}"}]


def test_private_policy_keeps_confidential_text_in_house(tmp_path, server):
    platform = _platform(tmp_path, server)  # default policy: private
    # Ingest: the confidential chunk was never sent to the public embedding API.
    embedded = [t for p, b, _ in server.requests if p == "/v1/embeddings" for t in b["input"]]
    assert any("杭州" in t for t in embedded) and not any(CANARY in t for t in embedded)

    # Generative ask on a mixed tier: the private model answers, the public one is skipped.
    server.default["priv-m"] = Stream(["公司收购预算为8亿元[1]。"])
    answer = ask(platform, QUESTION, ["corp"])
    assert answer.kind == "generative" and answer.model["model"] == "priv-m"
    # The public reranker was not given the confidential chunk (the query kept fused order).
    assert not any(p == "/v1/rerank" for p, _, _ in server.requests)

    # Only public models in the tier: no model call, an extractive answer that says why.
    platform.settings.answer.tier = "public"
    fallback = ask(platform, QUESTION, ["corp"])
    assert fallback.kind == "extractive" and "机密" in fallback.fallback_reason

    # Any other path — a direct chat or a structured call after reading the KB.
    gateway = platform.gateway
    server.default["priv-m"] = Reply('{"budget": "8亿元"}')
    with clean_context():
        messages = _context_messages(platform)
        assert gateway.chat(messages).model == "priv-m"
        assert gateway.complete_json(messages, {"type": "object"}).model == "priv-m"
        with pytest.raises(ModelCallError, match="机密"):
            gateway.chat(messages, tier="public")
        with pytest.raises(ModelCallError, match="机密"):
            list(gateway.stream_chat(messages, tier="public"))

    # A context that read only public text may use public models as usual.
    server.default["pub-m"] = Reply("公司总部在杭州。")
    with clean_context():
        platform.searcher.search("公司总部在哪里", ["corp"], limit=1)
        assert gateway.chat([{"role": "user", "content": "总部？"}]).model == "pub-m"

    assert "pub-m" in _chat_models(server) and _violations(server) == []


def test_private_tier_catches_a_tier_without_private_models(tmp_path, server):
    platform = _platform(tmp_path, server, private_tier="inhouse")
    server.default["priv-m"] = Reply("8亿元")
    with clean_context():
        result = platform.gateway.chat(_context_messages(platform), tier="public")
    assert result.model == "priv-m" and _violations(server) == []


def test_refuse_policy_calls_no_model(tmp_path, server):
    platform = _platform(tmp_path, server, action="refuse")
    answer = ask(platform, QUESTION, ["corp"])
    assert answer.kind == "extractive" and "8亿元" in answer.text
    assert "机密" in answer.fallback_reason
    with clean_context():
        messages = _context_messages(platform)
        with pytest.raises(RedLineBlocked, match="公有云"):
            platform.gateway.chat(messages, tier="inhouse")
    assert _chat_models(server) == [] and _violations(server) == []
