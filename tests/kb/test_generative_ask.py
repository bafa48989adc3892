"""Generative answers against a scripted OpenAI-compatible server: streamed sentence by
sentence, citations checked before they are shown, extractive fallback when models fail."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tokenbase.config import load_settings
from tokenbase.db.schema import usage_events
from tokenbase.identity.users import create_user
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.ask import ask, ask_events
from tokenbase.kb.platform import Platform
from tokenbase.ledger.attribution import attributed

from ..corpus import write_corpus
from ..llm.openai_server import ScriptedServer, Status, Stream, usage

QUESTION = "一线城市普通员工出差住宿标准是多少？"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def _platform(tmp_path: Path, base_url: str, **answer: object) -> Platform:
    settings = load_settings(
        tmp_path / "data",
        llm={
            "providers": [
                {
                    "name": "cloud",
                    "base_url": base_url,
                    "deployment": "public",
                    "models": ["m1", "m2"],
                    "timeout_s": 5,
                }
            ],
            "tiers": {"standard": ["cloud/m1", "cloud/m2"]},
            "default_tier": "standard",
            "max_retries": 0,
            "backoff_base_s": 0.001,
            "first_token_timeout_s": 5,
        },
        answer=answer,
        search={"query_cache_size": 0},  # every search embeds its query (on its own thread)
        # Contract prices in CNY per million tokens (input, output).
        ledger={"prices": [{"model": "cloud/m1", "input": 2, "output": 8}]},
    )
    platform = Platform(settings)
    sources, _ = expand_sources([str(write_corpus(tmp_path / "docs"))])
    ingestor = platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, "hr")).failed
    return platform


def _source_numbers(platform: Platform) -> tuple[int, int]:
    """The [n] the model sees for the hotel chunk and for another chunk."""
    with attributed(scenario="test"):
        hits = platform.searcher.search(
            QUESTION, ["hr"], limit=platform.settings.answer.context_chunks
        ).hits
    hotel = next(i for i, h in enumerate(hits) if "500元" in h.text) + 1
    other = next(i for i, h in enumerate(hits) if "500元" not in h.text) + 1
    return hotel, other


def _chat_requests(server: ScriptedServer) -> list[dict]:
    return [body for path, body, _ in server.requests if path == "/v1/chat/completions"]


def test_streamed_answer_keeps_only_citations_its_sources_support(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    hotel, other = _source_numbers(platform)
    reply = (
        f"根据差旅制度，一线城市普通员工住宿每晚不超过500元[{hotel}]。"
        f"经理每晚不超过800元[{hotel}]。"  # wrong figure: the source says 650
        f"住宿标准也适用于食堂[{other}]。"  # the cited chunk says nothing of the kind
        "详情见附件[9]。"  # no such source
    )
    # Split mid-marker and mid-sentence, as real token streams do.
    chunks = [reply[i : i + 7] for i in range(0, len(reply), 7)]
    server.script("m1", Stream(chunks, usage=usage(420, 60)))

    events = list(ask_events(platform, QUESTION, ["hr"]))
    kinds = [e.kind for e in events]
    assert kinds[0] == "citations" and kinds[-1] == "done"
    answer = events[-1].data
    assert answer.kind == "generative" and answer.found
    assert answer.model == {"provider": "cloud", "model": "m1", "tier": "standard"}
    # Shown: the supported sentence with its citation renumbered [1]; the others bare.
    assert answer.text.startswith("根据差旅制度，一线城市普通员工住宿每晚不超过500元[1]。")
    assert "[2]" not in answer.text and "[9]" not in answer.text
    assert "经理每晚不超过800元。" in answer.text
    assert [c.n for c in answer.citations] == [1]
    citation = answer.citations[0]
    assert "500元" in citation.snippet
    assert citation.highlights and citation.chunk_start <= citation.highlights[0][0]
    reasons = {(i["n"], i["reason"]) for i in answer.citation_issues}
    assert reasons == {
        (hotel, "number_not_in_source"),
        (other, "answer_not_in_source"),
        (9, "unknown_source"),
    }
    # Deltas are whole checked sentences, in order, and add up to the answer.
    deltas = [e.data for e in events if e.kind == "delta"]
    assert "".join(deltas).strip() == answer.text
    assert all("[9]" not in d for d in deltas)
    # A citation event precedes the first sentence that uses it.
    assert kinds.index("citations") < kinds.index("delta")
    # What the model was sent: rules, then numbered sources and the question; streamed.
    body = _chat_requests(server)[0]
    assert body["stream"] is True and body["model"] == "m1"
    assert "[1]" in body["messages"][1]["content"] and QUESTION in body["messages"][1]["content"]
    assert "500元" in body["messages"][1]["content"]
    # The ledger has the call: attributed to kb.ask and this answer's trace, priced in CNY.
    with platform.db.engine.connect() as conn:
        rows = conn.execute(
            select(usage_events)
            .where(usage_events.c.trace_id == answer.trace_id)
            .order_by(usage_events.c.id)
        ).all()
    chat = [r for r in rows if r.kind == "chat"]
    assert len(chat) == 1
    # The query embedding (made on the searcher's own thread) carries the same attribution.
    assert any(r.kind == "embedding" and r.scenario == "kb.ask" for r in rows)
    with platform.db.engine.connect() as conn:
        unattributed = conn.execute(
            select(usage_events.c.id).where(usage_events.c.scenario == "")
        ).all()
    assert unattributed == []
    event = chat[0]
    assert (event.provider, event.model, event.tier, event.status) == (
        "cloud",
        "m1",
        "standard",
        "ok",
    )
    assert (event.prompt_tokens, event.completion_tokens) == (420, 60)
    assert event.cost_cny == Decimal("0.00132")  # 420×2/1e6 + 60×8/1e6
    assert event.scenario == "kb.ask" and event.prompt_name == "kb.answer.zh@1"
    assert event.ttft_ms is not None


def test_drop_mode_leaves_unsupported_sentences_out(tmp_path, server):
    platform = _platform(tmp_path, server.base_url, unsupported="drop")
    hotel, _ = _source_numbers(platform)
    server.script("m1", Stream([f"住宿每晚不超过500元[{hotel}]。经理每晚不超过800元[{hotel}]。"]))
    answer = ask(platform, QUESTION, ["hr"])
    assert answer.text == "住宿每晚不超过500元[1]。"
    assert [i["reason"] for i in answer.citation_issues] == ["number_not_in_source"]


def test_falls_back_to_the_next_model_then_to_extractive(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    hotel, _ = _source_numbers(platform)
    server.script("m1", Status(500))
    server.script("m2", Stream([f"一线城市普通员工住宿每晚不超过500元[{hotel}]。"]))
    answer = ask(platform, QUESTION, ["hr"])
    assert answer.kind == "generative" and answer.model["model"] == "m2"

    server.script("m1", Status(503))
    server.script("m2", Stream(["住宿", "标准"], disconnect_after=0))  # dies before a token
    fallback = ask(platform, QUESTION, ["hr"])
    assert fallback.kind == "extractive" and fallback.found
    assert "500元" in fallback.text and fallback.fallback_reason
    assert "m1" in fallback.fallback_reason and "m2" in fallback.fallback_reason
    assert "大模型暂不可用" in fallback.note


def test_a_stream_that_dies_midway_keeps_what_was_checked(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    hotel, _ = _source_numbers(platform)
    server.script(
        "m1",
        Stream(
            [f"一线城市普通员工住宿每晚不超过500元[{hotel}]。", "经理不超过", "650元"],
            disconnect_after=2,
        ),
    )
    answer = ask(platform, QUESTION, ["hr"])
    assert answer.kind == "generative" and answer.incomplete
    assert answer.text.startswith("一线城市普通员工住宿每晚不超过500元[1]。")
    assert "回答未完成" in answer.note
    assert len(_chat_requests(server)) == 1  # no fallback once text was shown


def test_no_model_call_when_nothing_relevant_or_extractive_mode(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    answer = ask(platform, "火星基地的氧气配额是多少？", ["hr"])
    assert answer.kind == "not_found"
    assert _chat_requests(server) == []

    platform.settings.answer.mode = "extractive"
    answer = ask(platform, QUESTION, ["hr"])
    assert answer.kind == "extractive" and "500元" in answer.text
    assert _chat_requests(server) == []


def test_confidential_sources_never_reach_a_public_model(tmp_path, server):
    settings = load_settings(
        tmp_path / "data",
        llm={
            "providers": [
                {"name": "cloud", "base_url": server.base_url, "models": ["m1"]},
                {
                    "name": "inhouse",
                    "base_url": server.base_url,
                    "deployment": "private",
                    "models": ["m3"],
                },
            ],
            "tiers": {"standard": ["cloud/m1", "inhouse/m3"], "public": ["cloud/m1"]},
            "default_tier": "standard",
            "max_retries": 0,
        },
    )
    platform = Platform(settings)
    docs = tmp_path / "secret"
    docs.mkdir()
    (docs / "高管薪酬.md").write_text(
        "# 高管薪酬\n\n总监年度奖金上限为基本年薪的40%。\n", encoding="utf-8"
    )
    sources, _ = expand_sources([str(docs)])
    ingestor = platform.ingestor()
    ingestor.run(ingestor.enqueue(sources, "exec", classification=2))  # 机密
    question = "总监年度奖金上限是多少？"
    server.script("m3", Stream(["总监年度奖金上限为基本年薪的40%[1]。"]))

    answer = ask(platform, question, ["exec"])
    assert answer.kind == "generative" and answer.model["model"] == "m3"
    assert {body["model"] for body in _chat_requests(server)} == {"m3"}  # m1 never called

    platform.settings.answer.tier = "public"  # only a public model: no model call at all
    fallback = ask(platform, question, ["exec"])
    assert fallback.kind == "extractive" and "40%" in fallback.text
    assert "机密" in fallback.fallback_reason
    assert {body["model"] for body in _chat_requests(server)} == {"m3"}


def test_the_answer_prompt_is_the_library_version_labelled_production(tmp_path, server):
    platform = _platform(tmp_path, server.base_url)
    library = platform.prompts
    current = library.get("kb.answer.zh")
    rules = "你是差旅助手。严格依据资料作答，并在每句末尾标注资料编号，数字必须与资料一致。"
    body = [{"role": "system", "content": rules}, current.body[1]]
    library.commit("kb.answer.zh", body, params={"temperature": 0}, message="差旅口吻")
    server.script("m1", Stream(["一线城市普通员工住宿每晚不超过500元[1]。"]))
    ask(platform, QUESTION, ["hr"])  # version 2 is only `latest`: production is still 1
    with platform.db.engine.begin() as conn:
        admin = create_user(conn, "root", password="root-password", role="admin", clearance=3)
    library.set_label("kb.answer.zh", "production", 2, actor=admin)
    server.script("m1", Stream(["一线城市普通员工住宿每晚不超过500元[1]。", rules]))
    answer = ask(platform, QUESTION, ["hr"])
    first, second = _chat_requests(server)
    assert first["messages"][0]["content"] == current.body[0]["content"]
    assert second["messages"][0]["content"] == rules and second["temperature"] == 0
    # The new rules are as secret as the built-in ones: echoed, they are withheld.
    assert rules not in answer.text
    assert {i["rule"] for i in answer.output_issues} == {"system_prompt_leak"}
    with platform.db.engine.connect() as conn:
        refs = conn.execute(
            select(usage_events.c.prompt_name).where(usage_events.c.kind == "chat")
        ).scalars()
        assert list(refs) == ["kb.answer.zh@1", "kb.answer.zh@2"]
