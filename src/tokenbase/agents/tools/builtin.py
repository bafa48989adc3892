"""The built-in tools: search the agent's knowledge, consult another agent, record an item.

- `kb_search`: a hybrid search within what the user may read through this agent; the hits
  become numbered sources the answer cites and every citation is checked as usual.
- `ask_agent`: put a question to another agent the user may use (multi-agent collaboration).
  It answers with its own knowledge and the *user's* access, under the same trace, with its
  model calls attributed to it; its cited sources come back as sources of this answer.
- `record_item`: store a structured record (customer visit, task, expense, follow-up, or a
  schema from `[[voice.schemas]]`), validated against its JSON Schema, owned by the user.
"""

from __future__ import annotations

from typing import Any

from ...voice.extract import Extraction
from ...voice.records import store
from ...voice.schemas import load_schemas
from ..errors import AgentNotFound
from ..registry import usable_agents
from .contract import ToolContext, ToolFailed, ToolOutput, ToolSpec


class KbSearch:
    summary = "在助手的知识库中检索资料 (search the agent's knowledge bases)"
    name = "kb_search"

    def spec(self, context: ToolContext) -> ToolSpec | None:
        return ToolSpec(
            self.name,
            "在本助手可用的知识库中检索资料（混合检索）。返回带编号的资料，回答时用[编号]引用。"
            " Search this agent's knowledge bases; cite results by their [n].",
            {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1, "description": "检索词或问题"},
                    "top_k": {"type": "integer", "minimum": 1, "maximum": 8, "default": 4},
                },
                "required": ["query"],
                "additionalProperties": False,
            },
        )

    def run(self, context: ToolContext, arguments: dict[str, Any]) -> ToolOutput:
        found = context.platform.searcher.search(
            arguments["query"], None, scope=context.scope, limit=int(arguments.get("top_k", 4))
        )
        hits = [h for h in found.hits if h.chunk_id]
        text = f"找到{len(hits)}条资料。" if hits else "没有找到相关资料。"
        level = max((h.classification for h in hits), default=0)
        return ToolOutput(text, hits=hits, level=level, detail={"hits": len(hits)})


class AskAgent:
    summary = "请教另一位数字员工 (consult another agent)"
    name = "ask_agent"

    def _others(self, context: ToolContext) -> dict[str, Any]:
        with context.platform.db.engine.connect() as conn:
            agents = usable_agents(conn, context.user_id)
        return {a.name: a for a in agents if a.name != context.agent.name and a.enabled}

    def spec(self, context: ToolContext) -> ToolSpec | None:
        if context.depth >= context.platform.settings.agents.consult_depth:
            return None
        others = self._others(context)
        if not others:
            return None
        roster = "；".join(
            f"{a.name}（{a.display_name or a.name}：{a.description}）" for a in others.values()
        )
        return ToolSpec(
            self.name,
            f"请教另一位数字员工并取得其带引用的回答。可请教：{roster}。"
            " Consult another agent; its cited sources become yours to cite.",
            {
                "type": "object",
                "properties": {
                    "agent": {"type": "string", "enum": sorted(others)},
                    "question": {"type": "string", "minLength": 1},
                },
                "required": ["agent", "question"],
                "additionalProperties": False,
            },
        )

    def run(self, context: ToolContext, arguments: dict[str, Any]) -> ToolOutput:
        from ..runner import AgentTurn  # the runner imports the tools

        other = self._others(context).get(arguments["agent"])
        if other is None:
            raise ToolFailed(f"no agent named {arguments['agent']!r} may be consulted")
        turn = AgentTurn(
            context.platform,
            other,
            context.user_id,
            arguments["question"],
            store=False,
            depth=context.depth + 1,
            trace_id=context.trace_id or None,
        )
        try:
            answer = turn.run()
        except AgentNotFound as exc:
            raise ToolFailed(str(exc)) from None
        cited = {c.chunk_id for c in answer.citations}
        hits = [h for h in answer.hits if h.chunk_id in cited]
        order = {c.chunk_id: c.n for c in answer.citations}
        hits.sort(key=lambda h: order[h.chunk_id])
        name = other.display_name or other.name
        if not answer.found:
            text = f"{name}没有找到答案：{answer.text}"
        else:
            text = f"{name}的回答（其[n]对应下列资料）：{answer.text}"
        return ToolOutput(
            text,
            hits=hits,
            level=max((h.classification for h in answer.hits), default=0),
            cites_hits=True,
            detail={"agent": other.name, "kind": answer.kind, "found": answer.found},
        )


class RecordItem:
    summary = "保存一条结构化记录 (store a structured record)"
    name = "record_item"

    def spec(self, context: ToolContext) -> ToolSpec | None:
        registry = load_schemas(context.platform.settings.voice)
        kinds = "；".join(f"{s.name}（{s.title}：{_field_titles(s)}）" for s in registry.values())
        return ToolSpec(
            self.name,
            f"为用户保存一条结构化记录。可用类型：{kinds}。fields 须符合该类型的字段要求。"
            " Store a structured record of one of these kinds for the user.",
            {
                "type": "object",
                "properties": {
                    "schema": {"type": "string", "enum": sorted(registry)},
                    "fields": {"type": "object"},
                    "utterance": {"type": "string", "description": "用户的原话（可选）"},
                },
                "required": ["schema", "fields"],
                "additionalProperties": False,
            },
        )

    def run(self, context: ToolContext, arguments: dict[str, Any]) -> ToolOutput:
        from ...voice.errors import VoiceError

        registry = load_schemas(context.platform.settings.voice)
        schema = registry[arguments["schema"]]
        try:
            schema.validate(arguments["fields"])
        except VoiceError as exc:
            raise ToolFailed(str(exc)) from None
        extraction = Extraction(schema.name, arguments["fields"], "agent")
        with context.platform.db.engine.begin() as conn:
            record = store(
                conn,
                extraction,
                arguments.get("utterance") or "",
                user_id=context.user_id,
                department_id=context.department_id,
                trace_id=context.trace_id,
            )
        return ToolOutput(
            f"已保存{schema.title}记录（编号 {record.id}）。",
            data=str(arguments["fields"]),
            detail={"record_id": record.id, "schema": schema.name},
        )


def _field_titles(schema: Any) -> str:
    return "、".join(p.get("title", k) for k, p in schema.properties.items())


BUILTIN_TOOLS = (KbSearch(), AskAgent(), RecordItem())
