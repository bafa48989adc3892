"""Talking to an agent with memory over HTTP (POST /agents/{name}/chat, server-sent events) on
both backends: the conversation is created and continued, the caller's own access applies,
other users' conversations and agents they may not use are 404s in the common error shape,
and a reloaded conversation keeps its citations, the model that answered and its tool calls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tokenbase.agents import Access
from tokenbase.agents.registry import update_agent
from tokenbase.api import create_app

from ..agents.test_tools import Cite, _world, call, tool_round
from ..agents.world import HR_QUESTION, SALES_QUESTION, World, build
from ..llm.openai_server import ScriptedServer
from .conftest import _SyncAsgiClient


def _client(world: World) -> _SyncAsgiClient:
    app = create_app(world.platform, worker=False)
    return _SyncAsgiClient(httpx.ASGITransport(app=app, raise_app_exceptions=False))


def _auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.keys[who]}"}


def events(response: httpx.Response) -> list[tuple[str, Any]]:
    """(event, data) pairs of a server-sent event body."""
    found = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            found.append((lines["event"], json.loads(lines["data"])))
    return found


def _chat(http, world: World, who: str, agent: str, question: str, **extra: Any):
    return http.post(
        f"/agents/{agent}/chat", json={"question": question, **extra}, headers=_auth(world, who)
    )


def test_a_conversation_is_streamed_continued_and_reloaded(api_platform, tmp_path: Path) -> None:
    world = build(api_platform(), tmp_path)
    with _client(world) as http:
        first = _chat(http, world, "alice", "hr", HR_QUESTION)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"].startswith("text/event-stream")
        found = events(first)
        names = [name for name, _ in found]
        assert names[0] == "conversation" and names[-1] == "done"
        assert "citations" in names and "delta" in names
        conversation = found[0][1]["id"]
        assert found[0][1]["agent"] == "hr"
        done = found[-1][1]
        assert done["conversation_id"] == conversation and "results" not in done
        assert done["kind"] == "extractive" and "500" in done["answer"]
        assert done["citations"][0]["title"] == "差旅管理制度"

        again = _chat(http, world, "alice", "hr", "经理呢？", conversation_id=conversation)
        assert events(again)[0][1]["id"] == conversation
        assert "650" in events(again)[-1][1]["answer"]  # the follow-up found the same source

        listed = http.get("/agents/hr/conversations", headers=_auth(world, "alice")).json()
        assert [c["id"] for c in listed] == [conversation]
        other = events(_chat(http, world, "alice", "desk", "食堂午餐几点供应？"))[0][1]["id"]
        everything = http.get("/conversations", headers=_auth(world, "alice")).json()
        assert [(c["id"], c["agent"]) for c in everything] == [
            (other, "desk"),
            (conversation, "hr"),
        ]
        assert http.get("/conversations", headers=_auth(world, "bob")).json() == []
        reloaded = http.get(f"/conversations/{conversation}", headers=_auth(world, "alice"))
        assert reloaded.json()["agent"] == "hr"
        messages = reloaded.json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 2
        answer = messages[1]
        assert answer["citations"][0]["chunk_id"] == done["citations"][0]["chunk_id"]
        assert answer["trace_id"] == done["trace_id"]
        assert answer["model"] == {} and answer["tool_calls"] == []  # extractive, no tools


def test_agents_and_conversations_of_others_are_404(api_platform, tmp_path: Path) -> None:
    world = build(api_platform(), tmp_path)
    with world.platform.db.engine.begin() as conn:
        update_agent(conn, "sales", allowed=Access(all=False, users=[world.bob]))
    with _client(world) as http:
        mine = events(_chat(http, world, "alice", "hr", HR_QUESTION))[0][1]["id"]
        cases = [
            _chat(http, world, "alice", "sales", SALES_QUESTION),  # only bob may use it
            _chat(http, world, "alice", "nobody", HR_QUESTION),
            _chat(http, world, "bob", "desk", "经理呢？", conversation_id=mine),  # alice's
            _chat(http, world, "alice", "desk", "经理呢？", conversation_id=mine),  # other agent
            http.get(f"/conversations/{mine}", headers=_auth(world, "bob")),
        ]
        codes = [r.json()["error"]["code"] for r in cases]
        assert [r.status_code for r in cases] == [404] * 5
        assert codes == ["unknown_agent"] * 2 + ["unknown_conversation"] * 3
        assert _chat(http, world, "alice", "desk", HR_QUESTION).status_code == 200
        empty = _chat(http, world, "alice", "hr", "")
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "validation_error"
        anonymous = http.post("/agents/hr/chat", json={"question": HR_QUESTION})
        assert anonymous.status_code == 401


def test_a_generative_turn_keeps_its_model_and_tool_calls_on_reload(
    api_platform, tmp_path: Path
) -> None:
    with ScriptedServer() as llm:
        world = _world(api_platform, tmp_path, llm)
        with world.platform.db.engine.begin() as conn:
            update_agent(conn, "hr", tools=["kb_search"])
        llm.script("m1", tool_round(call("kb_search", {"query": "住宿标准"})))
        llm.script("m1", Cite("一线城市普通员工住宿每晚不超过500元[{n}]。", "500元"))
        with _client(world) as http:
            found = events(_chat(http, world, "alice", "hr", HR_QUESTION))
            done = found[-1][1]
            reloaded = http.get(
                f"/conversations/{done['conversation_id']}", headers=_auth(world, "alice")
            ).json()
    assert done["kind"] == "generative" and done["model"]["model"] == "m1"
    assert [c["tool"] for c in done["tool_calls"]] == ["kb_search"]
    answer = reloaded["messages"][1]
    assert answer["model"] == {"provider": "corp", "model": "m1"}
    assert [c["tool"] for c in answer["tool_calls"]] == ["kb_search"]
    assert answer["tool_calls"][0]["status"] == "ok"
    assert answer["citations"][0]["title"] == "差旅管理制度"
