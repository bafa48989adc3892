"""An agent's tools lent to one answer (kb.tooluse.ToolBelt), and approved calls run later.

Each call: the arguments are parsed and checked against the tool's JSON Schema (a bad call is
*denied* and the model told why, so it can correct itself); a high-impact tool is not run but
queued for a person (`agent.tool` approvals, red line 2) and the model is told it is pending;
anything else runs. Every call — run, failed, denied or queued — is one trace row, and what a
tool read raises the turn's red-line taint like a search does.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

import jsonschema

from ...guard import approvals
from ...guard.audit import Actor
from ...guard.redline import RedLinePolicy, data_level, taint
from ...kb.ask import model_texts
from ...kb.generate import source_blocks
from ...kb.tooluse import ToolReply
from ...ledger.attribution import current_attribution
from ...search.hybrid import SearchHit
from .contract import Tool, ToolContext, ToolFailed, ToolSpec
from .http import HttpTool
from .toolbox import known_tools
from .trace import ToolCallRecord, record_call, settle_approved_call

log = logging.getLogger(__name__)
APPROVAL_KIND = "agent.tool"
MARKER = re.compile(r"\[(\d+)\]")


class AgentToolBelt:
    def __init__(self, context: ToolContext, names: list[str]) -> None:
        self.context = context
        settings = context.platform.settings.agents
        self.rounds = settings.max_tool_steps
        self.limit = settings.tool_result_chars
        known = known_tools(context.platform.settings)
        self.tools: dict[str, Tool] = {}
        self._specs: dict[str, ToolSpec] = {}
        for name in names:
            tool = known.get(name)
            if tool is None:  # removed from the configuration since the agent was saved
                log.warning("agent %s lists unknown tool %s", context.agent.name, name)
                continue
            spec = tool.spec(context)
            if spec is not None:
                self.tools[name], self._specs[name] = tool, spec

    def specs(self) -> list[dict[str, Any]]:
        return [spec.openai() for spec in self._specs.values()]

    def call(self, name: str, arguments: str, sources: list[SearchHit]) -> ToolReply:
        started = time.perf_counter()
        self.context.trace_id = current_attribution().trace_id or self.context.trace_id
        record = ToolCallRecord(
            self.context.trace_id,
            self.context.agent.name,
            name[:120],
            {},
            "denied",
            depth=self.context.depth,
            user_id=self.context.user_id,
        )
        reply = self._call(record, name, arguments, sources)
        record.latency_ms = (time.perf_counter() - started) * 1000
        record.result = reply.content[: self.limit]
        with self.context.platform.db.engine.begin() as conn:
            record_id = record_call(conn, record)
        reply.record = {
            "id": record_id,
            "tool": record.tool,
            "arguments": record.arguments,
            "status": record.status,
            "approval_id": record.approval_id,
            "error": record.error,
            **record.detail,
        }
        return reply

    def _call(
        self, record: ToolCallRecord, name: str, arguments: str, sources: list[SearchHit]
    ) -> ToolReply:
        tool, spec = self.tools.get(name), self._specs.get(name)
        if tool is None or spec is None:
            record.error = f"no tool named {name!r} is available to this agent"
            return ToolReply(f"错误：{record.error}。可用工具：{', '.join(self.tools)}")
        try:
            parsed = json.loads(arguments or "{}")
            if not isinstance(parsed, dict):
                raise ValueError("the arguments must be a JSON object")
            record.arguments = parsed
            jsonschema.validate(parsed, spec.parameters)
        except (ValueError, jsonschema.ValidationError) as exc:
            message = exc.message if isinstance(exc, jsonschema.ValidationError) else str(exc)
            record.error = f"bad arguments: {message}"
            return ToolReply(f"参数错误（{message}），请按工具说明重新调用。")
        if spec.impact == "high":
            return self._queue(record, tool, parsed)
        try:
            output = tool.run(self.context, parsed)
        except ToolFailed as exc:
            record.status, record.error = "error", str(exc)
            return ToolReply(f"工具调用失败：{exc}")
        except Exception as exc:  # noqa: BLE001 - a broken tool must not end the answer
            log.exception("tool %s failed", name)
            record.status, record.error = "error", f"{type(exc).__name__}: {exc}"
            return ToolReply("工具内部错误，无法完成这次调用。")
        taint(output.level)
        record.status, record.detail = "ok", output.detail
        known = {h.chunk_id: n for n, h in enumerate(sources, 1)}
        new = [h for h in output.hits if h.chunk_id not in known]
        numbers = {h.chunk_id: len(sources) + i for i, h in enumerate(new, 1)}
        numbers.update(known)
        content = output.text
        if output.cites_hits:
            content = MARKER.sub(lambda m: _renumbered(m, output.hits, numbers), content)
        if output.hits:
            texts = model_texts(self.context.platform, output.hits)
            content += "\n\n" + numbered_blocks(output.hits, texts, numbers)
        return ToolReply(content[: self.limit], hits=new, data=output.data)

    def _queue(self, record: ToolCallRecord, tool: Tool, arguments: dict[str, Any]) -> ToolReply:
        """A high-impact call waits for a person; the model is told it has not happened."""
        context = self.context
        if isinstance(tool, HttpTool):
            try:
                tool.check_red_line(context.platform.gateway.redline, data_level())
            except ToolFailed as exc:
                record.status, record.error = "error", str(exc)
                return ToolReply(f"工具调用失败：{exc}")
        payload = {
            "agent": context.agent.name,
            "tool": record.tool,
            "arguments": arguments,
            "trace_id": context.trace_id,
            "data_level": data_level(),
        }
        summary = f"{context.agent.display_name or context.agent.name} 请求调用工具 {record.tool}"
        try:
            with context.platform.db.engine.begin() as conn:
                approval = approvals.request_approval(
                    conn,
                    APPROVAL_KIND,
                    payload,
                    Actor(context.user_id, f"user:{context.user_id}"),
                    summary=summary,
                    settings=context.platform.settings,
                )
        except approvals.InvalidApproval as exc:
            record.error = str(exc)
            return ToolReply(f"无法提交审批：{exc}")
        record.status, record.approval_id = "pending_approval", approval.id
        return ToolReply(
            f"此操作属于高影响操作，已提交审批单 #{approval.id}（需{approval.required_role}批准），"
            "批准后才会执行。请如实告诉用户：操作尚未执行，正在等待审批。"
        )


def _renumbered(match: re.Match[str], hits: list[SearchHit], numbers: dict[int, int]) -> str:
    k = int(match.group(1))
    return f"[{numbers[hits[k - 1].chunk_id]}]" if 0 < k <= len(hits) else ""


def numbered_blocks(hits: list[SearchHit], texts: list[str], numbers: dict[int, int]) -> str:
    """A tool's sources as the model reads them, numbered within the whole answer."""
    blocks = []
    for hit, text in zip(hits, texts, strict=True):
        block = source_blocks([hit], "zh", [text])
        blocks.append(f"[{numbers[hit.chunk_id]}]" + block[len("[1]") :])
    return "\n\n".join(blocks)


def run_approved_call(
    approval: approvals.Approval, context: approvals.ExecutionContext
) -> dict[str, Any]:
    """The `agent.tool` executor: run the approved HTTP tool with the stored arguments and
    settle its trace row. Only HTTP tools are high-impact (built-ins run at once)."""
    if context.settings is None:
        raise RuntimeError("no settings to find the tool's declaration in")
    name = approval.payload.get("tool", "")
    tool = known_tools(context.settings).get(name)
    if not isinstance(tool, HttpTool):
        raise RuntimeError(f"tool {name!r} is not a declared HTTP tool here")
    try:
        tool.check_red_line(_policy(context.settings), int(approval.payload.get("data_level", 0)))
        output = tool.invoke(approval.payload.get("arguments") or {})
    except ToolFailed as exc:
        with context.engine.begin() as conn:
            settle_approved_call(conn, approval.id, "error", str(exc))
        raise
    with context.engine.begin() as conn:
        settle_approved_call(conn, approval.id, "ok", output.text[:4000])
    return {"tool": name, **output.detail}


def _policy(settings: Any) -> RedLinePolicy:
    red = settings.guard.redline
    return RedLinePolicy(red.min_level, red.action, red.private_tier)
