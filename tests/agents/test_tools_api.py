"""Tools and traces over HTTP: an OpenAI client talks to an agent that searches with a tool;
the trace shows the model calls and the tool call to their owner and to administrators only."""

from __future__ import annotations

import httpx
import openai

from tokenbase.api import create_app

from ..api.server import LiveServer
from ..llm.openai_server import ScriptedServer
from .test_tools import Cite, _agent, _world, call, tool_round
from .world import HR_QUESTION


def test_a_tool_turn_through_the_openai_endpoint_and_its_trace(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        world = _world(api_platform, tmp_path, llm)
        _agent(world, "hr", tools=["kb_search"])
        llm.script("m1", tool_round(call("kb_search", {"query": "住宿标准"})))
        llm.script("m1", Cite("一线城市普通员工住宿每晚不超过500元[{n}]。", "500元"))
        with LiveServer(create_app(world.platform, worker=False)) as server:
            client = openai.OpenAI(
                base_url=f"{server.url}/v1", api_key=world.keys["alice"], max_retries=0
            )
            reply = client.chat.completions.create(
                model="hr", messages=[{"role": "user", "content": HR_QUESTION}]
            )
            extra = reply.model_extra or {}
            message_extra = reply.choices[0].message.model_extra or {}
            trace_id = extra["tokenbase"]["trace_id"]

            def get(path: str, who: str) -> httpx.Response:
                headers = {"authorization": f"Bearer {world.keys[who]}"}
                return httpx.get(f"{server.url}{path}", headers=headers, timeout=30)

            mine = get(f"/traces/{trace_id}", "alice")
            others = get(f"/traces/{trace_id}", "bob")
            admin = get(f"/traces/{trace_id}", "root")
            tools = get("/tools", "alice").json()
            report_denied = get("/tools/report", "alice")
            report = get("/tools/report", "root").json()
    assert "500元" in reply.choices[0].message.content
    assert [c["title"] for c in message_extra["citations"]] == ["差旅管理制度"]
    assert [t["tool"] for t in extra["tokenbase"]["tool_calls"]] == ["kb_search"]
    assert mine.status_code == 200 and admin.status_code == 200
    trace = mine.json()
    assert [c["tool"] for c in trace["tool_calls"]] == ["kb_search"]
    kinds = [m["kind"] for m in trace["model_calls"]]
    assert kinds.count("chat") == 2 and "embedding" in kinds  # the searches' query embeddings
    assert {m["agent"] for m in trace["model_calls"]} == {"hr"}
    assert others.status_code == 404 and others.json()["error"]["code"] == "not_found"
    assert {"kb_search", "ask_agent", "record_item"} <= {t["name"] for t in tools}
    assert report_denied.status_code == 403
    assert report == [{**report[0], "agent": "hr", "tool": "kb_search", "calls": 1, "ok": 1}]


def test_agents_api_checks_tool_names(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        world = _world(api_platform, tmp_path, llm)
        with LiveServer(create_app(world.platform, worker=False)) as server:
            headers = {"authorization": f"Bearer {world.keys['root']}"}
            bad = httpx.post(
                f"{server.url}/agents", json={"name": "x", "tools": ["nope"]}, headers=headers
            )
            good = httpx.patch(
                f"{server.url}/agents/hr", json={"tools": ["kb_search"]}, headers=headers
            )
    assert bad.status_code == 422 and "unknown tool(s): nope" in bad.json()["error"]["message"]
    assert good.status_code == 200 and good.json()["tools"] == ["kb_search"]
