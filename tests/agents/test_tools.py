"""Agent tools through the scripted OpenAI-compatible server: knowledge search, consulting
another agent, recording an item, HTTP tools from an OpenAPI file (low impact runs, high
impact waits for approval), the trace of every call, the red line and PII on tool calls."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tokenbase.agents import AgentTurn, get_agent
from tokenbase.agents.registry import update_agent
from tokenbase.agents.runner import agent_scope
from tokenbase.agents.tools import calls_for_trace, known_tools, tool_report
from tokenbase.db.schema import usage_events, voice_records
from tokenbase.guard import approvals
from tokenbase.identity.users import get_user

from ..llm.openai_server import ScriptedServer, Stream, usage
from .world import HR_QUESTION, SALES_QUESTION, World, build


def call(name: str, arguments: dict[str, Any], n: int = 0) -> dict[str, Any]:
    return {
        "index": n,
        "id": f"call_{name}_{n}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def tool_round(*calls: dict[str, Any]) -> Stream:
    return Stream([], tool_calls=list(calls), finish_reason="tool_calls", usage=usage(120, 15))


@dataclass
class Cite:
    """A streamed answer citing, as `{n}`, the number the request's sources gave to the one
    containing `needle` (tool results included) — the test need not predict the numbering."""

    template: str
    needle: str

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        text = "\n\n".join(str(m.get("content") or "") for m in body["messages"])
        numbers = [m.group(1) for m in BLOCK.finditer(text) if self.needle in m.group(2)]
        assert numbers, f"no source containing {self.needle!r} was sent"
        Stream([self.template.format(n=numbers[-1])]).send(h, body)


BLOCK = re.compile(r"\[(\d+)\] 《[^》]*》[^\n]*\n(.*?)(?=\n\n\[\d+\] 《|\Z)", re.S)


def llm_settings(url: str, deployment: str = "private") -> dict[str, Any]:
    return {
        "providers": [
            {
                "name": "corp",
                "base_url": url,
                "models": ["m1"],
                "timeout_s": 5,
                "deployment": deployment,
            }
        ],
        "tiers": {"standard": ["corp/m1"]},
        "max_retries": 0,
    }


@pytest.fixture
def llm():
    with ScriptedServer() as server:
        yield server


def _world(
    api_platform, tmp_path: Path, server: ScriptedServer, deployment: str = "private", **overrides
) -> World:
    overrides.setdefault("llm", llm_settings(server.base_url, deployment))
    return build(api_platform(**overrides), tmp_path)


def _agent(world: World, name: str, **changes: Any):
    with world.platform.db.engine.begin() as conn:
        if changes:
            update_agent(conn, name, **changes)
        return get_agent(conn, name)


def _ask(world: World, agent: str, user: int, question: str):
    return AgentTurn(world.platform, _agent(world, agent), user, question).run()


def _initial_sources(world: World, agent: str, user: int, question: str) -> int:
    """How many sources the answer prompt starts with (tool sources are numbered after)."""
    scope = agent_scope(world.platform, _agent(world, agent), user)
    limit = world.platform.settings.answer.context_chunks
    return len(world.platform.searcher.search(question, None, scope=scope, limit=limit).hits)


def _trace(world: World, trace_id: str) -> list[dict[str, Any]]:
    with world.platform.db.engine.connect() as conn:
        return calls_for_trace(conn, trace_id)


def test_kb_search_tool_sources_are_cited_and_checked(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "hr", tools=["kb_search"])
    question = "出差回来后报销有时间限制吗？"
    llm.script("m1", tool_round(call("kb_search", {"query": "差旅 报销时限", "top_k": 2})))
    llm.script("m1", Cite("差旅费用应在出差结束后30天内提交报销[{n}]。", "30天内"))
    answer = _ask(world, "hr", world.alice, question)
    assert answer.kind == "generative" and "30天" in answer.text
    assert [c.n for c in answer.citations] == [1] and answer.citations[0].title == "差旅管理制度"
    assert answer.tool_calls[0]["tool"] == "kb_search"
    assert answer.tool_calls[0]["status"] == "ok"
    first_request, second_request = llm.chat_requests("m1")
    assert [t["function"]["name"] for t in first_request["tools"]] == ["kb_search"]
    tool_message = second_request["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_kb_search_0"
    assert "30天内" in tool_message["content"] and "《差旅管理制度》" in tool_message["content"]
    assert second_request["messages"][-2]["tool_calls"][0]["function"]["name"] == "kb_search"
    rows = _trace(world, answer.trace_id)
    assert [(r["tool"], r["status"], r["arguments"]["query"]) for r in rows] == [
        ("kb_search", "ok", "差旅 报销时限")
    ]


def test_a_tool_cannot_read_what_the_user_cannot(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "desk", tools=["kb_search"])
    llm.script("m1", tool_round(call("kb_search", {"query": "出差住宿标准"})))
    llm.script("m1", Stream(["没有找到相关资料。"]))
    answer = _ask(world, "desk", world.bob, HR_QUESTION)  # bob reads sales only
    tool_message = llm.chat_requests("m1")[1]["messages"][-1]
    assert "500元" not in tool_message["content"] and "差旅" not in tool_message["content"]
    assert all(h.kb == "sales" for h in answer.hits)


def test_the_last_round_must_answer(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm, agents={"max_tool_steps": 2})
    _agent(world, "hr", tools=["kb_search"])
    llm.script("m1", tool_round(call("kb_search", {"query": "住宿"})))
    llm.script("m1", Stream(["一线城市普通员工住宿每晚不超过500元。"]))
    answer = _ask(world, "hr", world.alice, HR_QUESTION)
    requests = llm.chat_requests("m1")
    assert len(requests) == 2 and "tools" in requests[0] and "tools" not in requests[1]
    assert "500元" in answer.text


def test_bad_arguments_are_denied_and_the_model_corrects_itself(
    api_platform, tmp_path, llm
) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "hr", tools=["kb_search"])
    llm.script("m1", tool_round(call("kb_search", {"q": "住宿"}), call("delete_all", {}, 1)))
    llm.script("m1", tool_round(call("kb_search", {"query": "住宿标准"})))
    llm.script("m1", Stream(["好的。"]))
    answer = _ask(world, "hr", world.alice, HR_QUESTION)
    second = llm.chat_requests("m1")[1]["messages"]
    assert "参数错误" in second[-2]["content"] and "delete_all" in second[-1]["content"]
    assert [(r["tool"], r["status"]) for r in _trace(world, answer.trace_id)] == [
        ("kb_search", "denied"),
        ("delete_all", "denied"),
        ("kb_search", "ok"),
    ]


def test_an_agent_consults_another_under_one_trace(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "desk", tools=["ask_agent"], kbs=["hr"])
    question = {"agent": "sales", "question": SALES_QUESTION}
    llm.script("m1", tool_round(call("ask_agent", question)))
    llm.script("m1", Cite("年度采购额超过50万元的经销商可获得3%返点[{n}]。", "3%返点"))
    llm.script("m1", Cite("超过50万元的经销商可获得3%返点[{n}]。", "3%返点"))
    answer = _ask(world, "desk", world.root, SALES_QUESTION)
    assert answer.kind == "generative" and "3%" in answer.text
    assert [c.title for c in answer.citations] == ["经销商返点政策"]
    offered = llm.chat_requests("m1")[0]["tools"][0]["function"]
    assert (
        offered["name"] == "ask_agent"
        and "sales" in offered["parameters"]["properties"]["agent"]["enum"]
    )
    assert "desk" not in offered["parameters"]["properties"]["agent"]["enum"]
    rows = _trace(world, answer.trace_id)
    assert [(r["agent"], r["tool"], r["status"], r["depth"]) for r in rows] == [
        ("desk", "ask_agent", "ok", 0)
    ]
    assert "3%" in rows[0]["result"]
    with world.platform.db.engine.connect() as conn:
        events = conn.execute(
            select(usage_events.c.agent).where(
                usage_events.c.trace_id == answer.trace_id, usage_events.c.kind == "chat"
            )
        ).scalars()
        assert sorted(events) == ["desk", "desk", "sales"]  # the consult is in the same trace


def test_consulting_respects_the_users_own_access(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "sales", tools=["ask_agent"])
    # alice may use the hr agent but reads no sales documents: sales finds nothing for her.
    llm.script("m1", tool_round(call("ask_agent", {"agent": "hr", "question": HR_QUESTION})))
    llm.script("m1", Cite("普通员工住宿每晚不超过500元[{n}]。", "500元"))
    llm.script("m1", Cite("一线城市普通员工住宿每晚不超过500元[{n}]。", "500元"))
    answer = _ask(world, "sales", world.alice, HR_QUESTION)
    assert answer.citations and answer.citations[0].title == "差旅管理制度"
    # bob reads no hr documents: the consulted hr agent finds nothing and costs no model call.
    llm.script("m1", tool_round(call("ask_agent", {"agent": "hr", "question": HR_QUESTION})))
    llm.script("m1", Stream(["没有找到。"]))
    before = len(llm.chat_requests("m1"))
    answer = _ask(world, "sales", world.bob, HR_QUESTION)
    assert len(llm.chat_requests("m1")) == before + 2
    told = llm.chat_requests("m1")[-1]["messages"][-1]["content"]
    assert "没有找到答案" in told and "差旅管理制度" not in told
    assert not answer.citations


def test_consult_depth_limits_the_chain(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm, agents={"consult_depth": 0})
    _agent(world, "desk", tools=["ask_agent", "kb_search"])
    llm.script("m1", Stream(["好的。"]))
    _ask(world, "desk", world.root, HR_QUESTION)
    offered = [t["function"]["name"] for t in llm.chat_requests("m1")[0]["tools"]]
    assert offered == ["kb_search"]


def test_record_item_stores_a_validated_record(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "hr", tools=["record_item"])
    bad = {"schema": "task", "fields": {"priority": "紧急"}}
    good = {"schema": "task", "fields": {"title": "提交三季度差旅报销", "priority": "高"}}
    llm.script("m1", tool_round(call("record_item", bad)))
    llm.script("m1", tool_round(call("record_item", good)))
    llm.script("m1", Stream(["已为您记下待办：提交三季度差旅报销。"]))
    answer = _ask(world, "hr", world.alice, "帮我记一下，提交三季度差旅报销，优先级高")
    rows = _trace(world, answer.trace_id)
    assert [r["status"] for r in rows] == ["error", "ok"]
    assert "事项" in rows[0]["error"]  # the schema's own words say what is missing
    with world.platform.db.engine.connect() as conn:
        records = conn.execute(select(voice_records)).all()
    assert len(records) == 1
    assert records[0].data == good["fields"] and records[0].user_id == world.alice
    assert records[0].extracted_by == "agent" and records[0].trace_id == answer.trace_id
    assert answer.tool_calls[1]["record_id"] == records[0].id


# -- HTTP tools -----------------------------------------------------------------------------

STRING = {"type": "string"}
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "CRM", "version": "1"},
    "paths": {
        "/orders/{order_id}": {
            "get": {
                "operationId": "getOrder",
                "summary": "查询订单状态",
                "parameters": [
                    {
                        "name": "order_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "fields", "in": "query", "schema": STRING},
                ],
            }
        },
        "/tickets": {
            "post": {
                "operationId": "createTicket",
                "summary": "在外部工单系统创建工单",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Ticket"}}
                    },
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Ticket": {
                "type": "object",
                "properties": {"title": {"type": "string"}, "phone": {"type": "string"}},
                "required": ["title"],
            }
        }
    },
}


class Crm:
    """A tiny external system on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                crm.requests.append({"method": "GET", "path": self.path, **self._meta()})
                if self.path.startswith("/orders/A-1001"):
                    self._reply(200, {"order": "A-1001", "status": "已发货", "eta": "11月28日"})
                else:
                    self._reply(404, {"error": "no such order"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                crm.requests.append({"method": "POST", "path": self.path, "body": body})
                self._reply(201, {"ticket": 77})

            def _meta(self) -> dict[str, Any]:
                return {"auth": self.headers.get("authorization")}

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def crm():
    server = Crm()
    yield server
    server.close()


def _http_world(api_platform, tmp_path, llm, crm, monkeypatch, deployment="private") -> World:
    spec = tmp_path / "crm.json"
    spec.write_text(json.dumps(OPENAPI, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("CRM_TOKEN", "Bearer crm-secret-123456")
    tools = [
        {
            "name": "order_status",
            "openapi": str(spec),
            "operation": "getOrder",
            "base_url": crm.url,
            "headers_env": {"Authorization": "CRM_TOKEN"},
            "deployment": deployment,
        },
        {
            "name": "create_ticket",
            "openapi": str(spec),
            "operation": "createTicket",
            "base_url": crm.url,
            "deployment": deployment,
        },
    ]
    world = _world(api_platform, tmp_path, llm, agents={"http_tools": tools})
    _agent(world, "sales", tools=["order_status", "create_ticket"])
    return world


def test_http_tools_are_built_from_the_openapi_operation(
    api_platform, tmp_path, llm, crm, monkeypatch
) -> None:
    world = _http_world(api_platform, tmp_path, llm, crm, monkeypatch)
    tools = known_tools(world.platform.settings)
    order, ticket = tools["order_status"], tools["create_ticket"]
    assert order.spec().impact == "low" and ticket.spec().impact == "high"  # type: ignore[attr-defined]
    assert order.spec().parameters["required"] == ["order_id"]  # type: ignore[attr-defined]
    body = ticket.spec().parameters["properties"]["body"]  # type: ignore[attr-defined]
    assert body["required"] == ["title"] and "phone" in body["properties"]  # $ref resolved


def test_a_low_impact_http_tool_runs_and_its_secret_stays_home(
    api_platform, tmp_path, llm, crm, monkeypatch
) -> None:
    world = _http_world(api_platform, tmp_path, llm, crm, monkeypatch)
    llm.script("m1", tool_round(call("order_status", {"order_id": "A-1001"})))
    llm.script("m1", Stream(["订单A-1001已发货，预计11月28日送达。"]))
    answer = _ask(world, "sales", world.bob, "订单A-1001到哪了？")
    assert crm.requests == [
        {"method": "GET", "path": "/orders/A-1001", "auth": "Bearer crm-secret-123456"}
    ]
    assert "11月28日" in answer.text and not answer.output_issues
    sent = json.dumps(llm.chat_requests("m1"), ensure_ascii=False)
    assert "已发货" in sent and "crm-secret" not in sent
    rows = _trace(world, answer.trace_id)
    assert rows[0]["status"] == "ok" and "crm-secret" not in json.dumps(rows)


def test_a_high_impact_http_tool_waits_for_approval(
    api_platform, tmp_path, llm, crm, monkeypatch
) -> None:
    world = _http_world(api_platform, tmp_path, llm, crm, monkeypatch)
    ticket = {"body": {"title": "客户要求更换断路器", "phone": "13800138000"}}
    llm.script("m1", tool_round(call("create_ticket", ticket)))
    llm.script("m1", Stream(["已提交工单申请，等待审批后创建。"]))
    answer = _ask(world, "sales", world.bob, "帮客户开个工单：更换断路器")
    assert crm.requests == []  # nothing ran before a person decided
    row = _trace(world, answer.trace_id)[0]
    assert row["status"] == "pending_approval" and row["approval_id"]
    told = llm.chat_requests("m1")[1]["messages"][-1]["content"]
    assert f"#{row['approval_id']}" in told and "尚未执行" in told
    engine = world.platform.db.engine
    settings = world.platform.settings
    with engine.connect() as conn:
        pending = approvals.get_approval(conn, row["approval_id"])
        bob = get_user(conn, world.bob)
        root = get_user(conn, world.root)
    assert pending.kind == "agent.tool" and pending.payload["tool"] == "create_ticket"
    with pytest.raises(approvals.NotAllowed):  # the requester cannot approve their own call
        approvals.decide_and_execute(engine, pending.id, bob, True, settings=settings)
    done = approvals.decide_and_execute(engine, pending.id, root, True, "ok", settings=settings)
    assert done.execution == "done"
    assert done.result["tool"] == "create_ticket" and done.result["status"] == 201
    assert crm.requests == [{"method": "POST", "path": "/tickets", "body": ticket["body"]}]
    assert _trace(world, answer.trace_id)[0]["status"] == "ok"
    # Executed at most once, whoever asks again.
    approvals.execute(engine, pending.id, settings=settings)
    assert len(crm.requests) == 1


def test_a_public_http_tool_never_gets_classified_text(
    api_platform, tmp_path, llm, crm, monkeypatch
) -> None:
    world = _http_world(api_platform, tmp_path, llm, crm, monkeypatch, deployment="public")
    folder = tmp_path / "secret"
    folder.mkdir()
    (folder / "底价.md").write_text("# 底价\n\nNXB-63断路器的内部底价为每台21元。\n", "utf-8")
    from tokenbase.ingest.sources import expand_sources

    sources, _ = expand_sources([str(folder)])
    ingestor = world.platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, "sales", classification=2)).failed
    question = "NXB-63断路器的内部底价是多少？"
    llm.script("m1", tool_round(call("order_status", {"order_id": "A-1001"})))
    llm.script("m1", tool_round(call("create_ticket", {"body": {"title": "底价21元"}})))
    llm.script("m1", Stream(["无法调用外部系统。"]))
    answer = _ask(world, "sales", world.root, question)
    assert crm.requests == []
    rows = _trace(world, answer.trace_id)
    assert [r["status"] for r in rows] == ["error", "error"]
    assert all("机密" in r["error"] for r in rows)


def test_tool_arguments_are_masked_for_a_public_model(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm, "public")
    _agent(world, "hr", tools=["record_item"])
    # The public model only ever saw a placeholder, and calls the tool with it.
    fields = {"title": "回电给〔手机号1〕", "owner": "alice"}
    llm.script("m1", tool_round(call("record_item", {"schema": "task", "fields": fields})))
    llm.script("m1", Stream(["已记下。"]))
    answer = _ask(world, "hr", world.alice, "提醒我回电给13912345678")
    with world.platform.db.engine.connect() as conn:
        record = conn.execute(select(voice_records)).one()
    assert record.data["title"] == "回电给13912345678"  # the tool got the real number
    assert "13912345678" not in json.dumps(llm.requests, ensure_ascii=False)
    second = llm.chat_requests("m1")[1]["messages"]
    assert "〔手机号1〕" in second[-2]["tool_calls"][0]["function"]["arguments"]
    assert _trace(world, answer.trace_id)[0]["status"] == "ok"


def test_tool_report_counts_calls_per_agent_and_tool(api_platform, tmp_path, llm) -> None:
    world = _world(api_platform, tmp_path, llm)
    _agent(world, "hr", tools=["kb_search"])
    llm.script("m1", tool_round(call("kb_search", {"query": "住宿"}), call("kb_search", {}, 1)))
    llm.script("m1", Stream(["好的。"]))
    _ask(world, "hr", world.alice, HR_QUESTION)
    with world.platform.db.engine.connect() as conn:
        report = tool_report(conn)
    assert report == [
        {
            "agent": "hr",
            "tool": "kb_search",
            "calls": 2,
            "ok": 1,
            "errors": 0,
            "denied": 1,
            "pending_approval": 0,
            "mean_latency_ms": report[0]["mean_latency_ms"],
        }
    ]


def test_http_tools_read_yaml_and_explain_a_bad_declaration(tmp_path) -> None:
    import yaml

    from tokenbase.agents.tools import HttpTool, HttpToolError
    from tokenbase.config import HttpToolSettings

    spec = tmp_path / "crm.yaml"
    spec.write_text(yaml.safe_dump(OPENAPI, allow_unicode=True), encoding="utf-8")
    base = {"name": "orders", "openapi": spec, "base_url": "http://crm.local"}
    tool = HttpTool(HttpToolSettings(**base, operation="getOrder"))
    assert tool.spec().parameters["required"] == ["order_id"]
    assert tool.summary == "查询订单状态 (GET /orders/{order_id})"
    with pytest.raises(HttpToolError, match="no operationId 'nope'.*createTicket, getOrder"):
        HttpTool(HttpToolSettings(**base, operation="nope"))
    with pytest.raises(HttpToolError, match="set base_url"):
        HttpTool(HttpToolSettings(**{**base, "base_url": ""}, operation="getOrder"))
    with pytest.raises(HttpToolError, match="cannot read the OpenAPI file"):
        HttpTool(HttpToolSettings(**{**base, "openapi": tmp_path / "missing.json"}, operation="x"))
