"""The OpenAI-compatible endpoint, with the official `openai` client as the caller, against a
real server (SQLite and PostgreSQL): models are the agents a user may use, answers carry
their citations (message.citations; the last stream chunk), errors are OpenAI-shaped."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tokenbase.agents import AgentTurn, get_agent
from tokenbase.api import create_app

from ..agents.world import HR_QUESTION, SALES_QUESTION, World, build
from ..llm.openai_server import Reply, ScriptedServer, Stream, usage
from .server import LiveServer


@pytest.fixture
def served(api_platform, tmp_path) -> Iterator[tuple[World, str]]:
    world = build(api_platform(), tmp_path)
    with LiveServer(create_app(world.platform, worker=False)) as server:
        yield world, server.url


def _client(url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=60)


def _citations(message) -> list[dict]:
    extra = message.model_extra or {}
    return extra["citations"]


def test_models_are_the_agents_the_caller_may_use(served) -> None:
    world, url = served
    with httpx.Client(base_url=url) as http:
        r = http.patch(
            "/agents/sales",
            json={"allowed": {"all": False, "users": [world.bob]}},
            headers={"Authorization": f"Bearer {world.keys['root']}"},
        )
        assert r.status_code == 200, r.text
    alice = [m.id for m in _client(url, world.keys["alice"]).models.list()]
    bob = [m.id for m in _client(url, world.keys["bob"]).models.list()]
    assert alice == ["auto", "desk", "hr"] and bob == ["auto", "desk", "hr", "sales"]
    auto = _client(url, world.keys["alice"]).models.list().data[0]
    assert "前台" in (auto.model_extra or {})["description"]
    # An agent the user may not use is a model that does not exist.
    with pytest.raises(openai.NotFoundError) as info:
        _client(url, world.keys["alice"]).chat.completions.create(
            model="sales", messages=[{"role": "user", "content": SALES_QUESTION}]
        )
    assert info.value.body["code"] == "model_not_found"


def test_non_streaming_answer_with_citations(served) -> None:
    world, url = served
    client = _client(url, world.keys["alice"])
    reply = client.chat.completions.create(
        model="hr", messages=[{"role": "user", "content": HR_QUESTION}]
    )
    message = reply.choices[0].message
    assert "500元" in message.content and "[1]" in message.content
    citations = _citations(message)
    assert citations[0]["n"] == 1 and "500元" in citations[0]["snippet"]
    assert set(citations[0]) == {
        "n", "title", "location", "snippet", "document_id", "chunk_id", "url_path"
    }  # fmt: skip
    assert citations[0]["url_path"] == f"/documents/{citations[0]['document_id']}"
    assert reply.model == "hr" and reply.choices[0].finish_reason == "stop"
    assert reply.usage.total_tokens > 0  # extractive: counted locally
    # History in `messages` makes a follow-up work; the same follow-up alone finds nothing.
    follow = client.chat.completions.create(
        model="hr",
        messages=[
            {"role": "system", "content": "ignored"},
            {"role": "user", "content": HR_QUESTION},
            {"role": "assistant", "content": message.content},
            {"role": "user", "content": "那更高的级别呢？"},
        ],
    )
    assert "650元" in follow.choices[0].message.content
    alone = client.chat.completions.create(
        model="hr", messages=[{"role": "user", "content": "那更高的级别呢？"}]
    )
    assert _citations(alone.choices[0].message) == []


def test_streaming_answer_ends_with_a_citations_chunk(served) -> None:
    world, url = served
    stream = _client(url, world.keys["bob"]).chat.completions.create(
        model="desk", messages=[{"role": "user", "content": SALES_QUESTION}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "3%" in text
    last = chunks[-1]
    assert last.choices[0].delta.content is None and last.choices[0].finish_reason == "stop"
    citations = (last.model_extra or {})["citations"]
    assert citations and all("返点" in c["snippet"] or c["title"] for c in citations)
    # bob cannot read hr: the same agent gives him nothing from it, streamed or not.
    stream = _client(url, world.keys["bob"]).chat.completions.create(
        model="desk", messages=[{"role": "user", "content": HR_QUESTION}], stream=True
    )
    chunks = list(stream)
    assert (chunks[-1].model_extra or {})["citations"] == []
    assert "500元" not in "".join(c.choices[0].delta.content or "" for c in chunks)


def test_errors_are_openai_shaped(served) -> None:
    world, url = served
    with pytest.raises(openai.AuthenticationError) as info:
        _client(url, "tb_000000000000_" + "x" * 43).models.list()
    assert info.value.body["type"] == "authentication_error"
    with httpx.Client(base_url=url) as http:
        r = http.post("/v1/chat/completions", json={"model": "hr", "messages": []})
        assert r.status_code == 401
        assert set(r.json()["error"]) == {"message", "type", "code", "param"}
        r = http.post(
            "/v1/chat/completions",
            json={"model": "hr", "messages": [{"role": "assistant", "content": "hi"}]},
            headers={"Authorization": f"Bearer {world.keys['alice']}"},
        )
        assert r.status_code == 400 and r.json()["error"]["param"] == "messages"
        r = http.post(
            "/v1/chat/completions",
            json={"messages": []},
            headers={"Authorization": f"Bearer {world.keys['alice']}"},
        )
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError):
        _client(url, world.keys["alice"]).chat.completions.create(
            model="nope", messages=[{"role": "user", "content": "hi"}]
        )


def test_agents_api_and_conversations(served) -> None:
    world, url = served
    alice = {"Authorization": f"Bearer {world.keys['alice']}"}
    with httpx.Client(base_url=url, headers=alice) as http:
        agents = http.get("/agents").json()
        assert {a["name"] for a in agents} == {"desk", "hr", "sales"}
        assert "prompt" not in agents[0]
        r = http.post("/agents", json={"name": "x"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "admin_required"
        assert http.get("/agents/hr/conversations").json() == []
        with world.platform.db.engine.connect() as conn:
            hr = get_agent(conn, "hr")
        conversation = AgentTurn(world.platform, hr, world.alice, HR_QUESTION)
        conversation.run()
        listed = http.get("/agents/hr/conversations").json()
        assert [c["id"] for c in listed] == [conversation.conversation_id]
        shown = http.get(f"/conversations/{conversation.conversation_id}").json()
        assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
        assert shown["messages"][1]["citations"][0]["n"] == 1
        # alice cannot read sales documents: the sales agent has no knowledge to offer her.
        routed = http.post("/agents/route", json={"question": SALES_QUESTION}).json()
        assert [s["agent"] for s in routed["scores"]][0] == routed["agent"]
        assert next(s for s in routed["scores"] if s["agent"] == "sales")["content"] == 0
        routed = http.post("/agents/route", json={"question": HR_QUESTION, "agent": "sales"})
        assert routed.json()["agent"] == "sales" and routed.json()["overridden"]
        r = http.post("/agents/route", json={"question": SALES_QUESTION, "agent": "nope"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_agent"
        r = http.get("/conversations/999")
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_conversation"
    bob = {"Authorization": f"Bearer {world.keys['bob']}"}
    with httpx.Client(base_url=url, headers=bob) as http:  # not bob's conversation
        assert http.get(f"/conversations/{conversation.conversation_id}").status_code == 404
    root = {"Authorization": f"Bearer {world.keys['root']}"}
    with httpx.Client(base_url=url, headers=root) as http:
        r = http.post("/agents", json={"name": "it", "kbs": ["nope"]})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_agent"
        r = http.post("/agents", json={"name": "hr"})
        assert r.status_code == 409
        r = http.post("/agents", json={"name": "it", "kbs": ["hr"], "avatar": "🖥"})
        assert r.status_code == 201 and r.json()["scenario"] == "agent.it"


def test_generative_answer_reports_the_ledger_usage(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        platform = api_platform(
            llm={
                "providers": [
                    {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}
                ],
                "tiers": {"standard": ["cloud/m1"]},
                "max_retries": 0,
            }
        )
        world = build(platform, tmp_path)
        hits = platform.searcher.search(HR_QUESTION, ["hr"], limit=5).hits
        hotel = next(i for i, h in enumerate(hits) if "500元" in h.text) + 1
        reply = f"普通员工住宿每晚不超过500元[{hotel}]。经理不超过650元[{hotel}]。"
        llm.script(
            "m1", Stream([reply[i : i + 6] for i in range(0, len(reply), 6)], usage=usage(300, 40))
        )
        with LiveServer(create_app(platform, worker=False)) as server:
            stream = _client(server.url, world.keys["alice"]).chat.completions.create(
                model="hr", messages=[{"role": "user", "content": HR_QUESTION}], stream=True
            )
            chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "普通员工住宿每晚不超过500元[1]。经理不超过650元[1]。"
    last = chunks[-1].model_extra or {}
    assert last["tokenbase"]["kind"] == "generative"
    assert [c["n"] for c in last["citations"]] == [1]
    counted = chunks[-1].usage
    assert (counted.prompt_tokens, counted.completion_tokens, counted.total_tokens) == (
        300,
        40,
        340,
    )
    assert counted.model_extra == {"estimated": False}


def test_auto_routes_each_question_to_its_agent(served) -> None:
    world, url = served
    root = {"Authorization": f"Bearer {world.keys['root']}"}

    def only_root(name: str) -> None:
        with httpx.Client(base_url=url, headers=root) as http:
            r = http.patch(f"/agents/{name}", json={"allowed": {"all": False, "users": []}})
            assert r.status_code == 200, r.text

    only_root("desk")  # the catch-all would compete with both
    reply = _client(url, world.keys["alice"]).chat.completions.create(
        model="auto", messages=[{"role": "user", "content": HR_QUESTION}]
    )
    extra = reply.model_extra["tokenbase"]
    assert reply.model == "hr" and extra["agent"] == "hr"
    assert extra["route"]["decided_by"] == "embedding" and "hr scored" in extra["route"]["reason"]
    assert "500元" in reply.choices[0].message.content
    assert any("500元" in c["snippet"] for c in _citations(reply.choices[0].message))
    stream = _client(url, world.keys["bob"]).chat.completions.create(
        model="auto", messages=[{"role": "user", "content": SALES_QUESTION}], stream=True
    )
    chunks = list(stream)
    assert {c.model for c in chunks} == {"sales"}
    assert "3%" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    last = chunks[-1].model_extra or {}
    assert last["tokenbase"]["agent"] == "sales"
    assert any("3%" in c["snippet"] for c in last["citations"])
    assert [s["agent"] for s in last["tokenbase"]["route"]["scores"]] == ["sales", "hr"]
    # Only the agents the caller may use: without any, "auto" does not exist either.
    only_root("hr")
    only_root("sales")
    assert [m.id for m in _client(url, world.keys["alice"]).models.list()] == []
    with pytest.raises(openai.NotFoundError) as info:
        _client(url, world.keys["alice"]).chat.completions.create(
            model="auto", messages=[{"role": "user", "content": HR_QUESTION}]
        )
    assert info.value.body["code"] == "model_not_found"


def test_auto_with_the_model_tie_breaker(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        platform = api_platform(
            llm={
                "providers": [
                    {
                        "name": "cloud",
                        "base_url": llm.base_url,
                        "models": ["m1", "m2"],
                        "timeout_s": 5,
                    }
                ],
                "tiers": {"standard": ["cloud/m2"], "router": ["cloud/m1"]},
                "max_retries": 0,
            },
            agents={"route_model_tier": "router", "route_tie_margin": 1.0},
        )
        world = build(platform, tmp_path)
        pick = {"agent": "sales", "reason": "返点属于销售政策"}
        llm.script("m1", Reply(json.dumps(pick, ensure_ascii=False)))
        hits = platform.searcher.search(SALES_QUESTION, ["sales"], limit=5).hits
        n = next(i for i, h in enumerate(hits) if "3%" in h.text) + 1
        llm.script("m2", Stream([f"年度采购额超过50万元可获得3%返点[{n}]。"]))
        with LiveServer(create_app(platform, worker=False)) as server:
            stream = _client(server.url, world.keys["bob"]).chat.completions.create(
                model="auto", messages=[{"role": "user", "content": SALES_QUESTION}], stream=True
            )
            chunks = list(stream)
        routed = llm.chat_requests("m1")
    assert len(routed) == 1 and SALES_QUESTION in routed[0]["messages"][-1]["content"]
    route = (chunks[-1].model_extra or {})["tokenbase"]["route"]
    assert route["agent"] == "sales" and route["decided_by"] == "model"
    assert route["model_reason"] == "返点属于销售政策" and set(route["tied"]) == {
        "desk", "hr", "sales"
    }  # fmt: skip
    assert {c.model for c in chunks} == {"sales"}
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "年度采购额超过50万元可获得3%返点[1]。"
    assert [c["n"] for c in (chunks[-1].model_extra or {})["citations"]] == [1]
    assert (chunks[-1].model_extra or {})["tokenbase"]["kind"] == "generative"
