"""What the governance panels share: times and JSON as people read them, user names, and the
trace dialog (GET /traces/{id}: an answer's model calls and tool calls) that approvals and
bad cases open from a trace id."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .ledger_format import cny, tokens

TEXT: Table = {
    "trace": ("追踪 {trace}", "Trace {trace}"),
    "open_trace": ("查看追踪", "Open trace"),
    "no_trace": (
        "这个追踪号下没有模型调用或工具调用（例如问题在调用模型之前就被拦截了）。",
        "No model or tool calls under this trace (e.g. the question was blocked before any "
        "model was called).",
    ),
    "model_calls": ("模型调用", "Model calls"),
    "tool_calls": ("工具调用", "Tool calls"),
    "none": ("无", "None"),
    "totals": (
        "输入 {prompt} · 输出 {completion} Token · 花费 {cost}",
        "in {prompt} · out {completion} tokens · {cost}",
    ),
    "at": ("时间", "Time"),
    "model": ("模型", "Model"),
    "status": ("状态", "Status"),
    "agent": ("智能体", "Agent"),
    "prompt": ("Prompt", "Prompt"),
    "tokens": ("Token（入/出）", "Tokens (in/out)"),
    "cost": ("花费", "Cost"),
    "latency": ("延迟", "Latency"),
    "arguments": ("参数", "Arguments"),
    "result": ("结果", "Result"),
    "error": ("错误", "Error"),
    "approval": ("审批 #{id}", "approval #{id}"),
    "close": ("关闭", "Close"),
}


def when(value: str | None) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM' in the server's local time zone."""
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def pretty(value: Any) -> str:
    """JSON for a person: Chinese as is, indented."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def compact(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TraceDialog:
    """One dialog per page; `open(trace_id)` fills it from GET /traces/{id}."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.trace_id = ""
        self.data: dict[str, Any] | None = None
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-3xl q-pa-md"):
            self.body()
            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("close"), on_click=self.dialog.close).props("flat")

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def button(self, trace_id: str) -> None:
        """A small button that opens this dialog on `trace_id` (nothing without one)."""
        if trace_id:
            ui.button(
                self.t("open_trace"), icon="account_tree", on_click=lambda: self.open(trace_id)
            ).props(f'flat dense no-caps size=sm data-testid="open-trace" data-trace="{trace_id}"')

    async def open(self, trace_id: str) -> None:
        self.trace_id = trace_id
        try:
            self.data = await self.ctx.api.get(f"/traces/{trace_id}")
        except ApiProblem as exc:
            if exc.status != 404:
                self.ctx.notify_error(exc)
                return
            self.data = None
        self.body.refresh()
        self.dialog.open()

    @ui.refreshable_method
    def body(self) -> None:
        ui.label(self.t("trace", trace=self.trace_id)).classes("text-subtitle1 break-all")
        if self.data is None:
            ui.label(self.t("no_trace")).classes("text-grey-7").props('data-testid="no-trace"')
            return
        data = self.data
        ui.label(
            self.t(
                "totals",
                prompt=tokens(data["prompt_tokens"]),
                completion=tokens(data["completion_tokens"]),
                cost=cny(data["cost_cny"]),
            )
        ).classes("text-caption text-grey-7")
        ui.label(self.t("model_calls")).classes("text-subtitle2 q-mt-sm")
        if data["model_calls"]:
            columns = [
                {"name": k, "label": self.t(k), "field": k, "align": "left"}
                for k in ("at", "model", "status", "agent", "prompt", "tokens", "cost", "latency")
            ]
            rows = [
                {
                    "i": i,
                    "at": when(c["at"]),
                    "model": f"{c['provider']}/{c['model']}",
                    "status": c["status"] + (f" ({c['error_class']})" if c["error_class"] else ""),
                    "agent": c["agent"] or c["scenario"],
                    "prompt": c["prompt"],
                    "tokens": f"{tokens(c['prompt_tokens'])} / {tokens(c['completion_tokens'])}",
                    "cost": cny(c["cost_cny"]),
                    "latency": f"{c['latency_ms']:,.0f} ms",
                }
                for i, c in enumerate(data["model_calls"])
            ]
            ui.table(columns=columns, rows=rows, row_key="i").props("flat dense").classes("w-full")
        else:
            ui.label(self.t("none")).classes("text-grey-7 text-caption")
        ui.label(self.t("tool_calls")).classes("text-subtitle2 q-mt-sm")
        if not data["tool_calls"]:
            ui.label(self.t("none")).classes("text-grey-7 text-caption")
        for call in data["tool_calls"]:
            with ui.column().classes("w-full gap-1 q-py-xs"):
                head = f"{call['agent']} → {call['tool']} · {call['status']}"
                if call.get("approval_id"):
                    head += " · " + self.t("approval", id=call["approval_id"])
                ui.label(head).classes("text-body2 text-weight-medium")
                ui.label(f"{self.t('arguments')}: {compact(call['arguments'])}").classes(
                    "text-caption break-all"
                )
                if call.get("error"):
                    ui.label(f"{self.t('error')}: {call['error']}").classes(
                        "text-caption text-negative"
                    )
                elif call.get("result") not in (None, ""):
                    ui.label(f"{self.t('result')}: {compact(call['result'], 300)}").classes(
                        "text-caption break-all"
                    )
