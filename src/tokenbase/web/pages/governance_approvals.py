"""The approval queue (red line 2: a high-impact action waits for a person): each request with
what it would do — for `agent.tool` the agent, the tool and its arguments — approve or reject
with a comment (POST /approvals/{id}/approve|reject; the API checks the role, the requester
and races), and once decided who decided, why, and how the action ran."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .governance_common import TraceDialog, pretty, when

TEXT: Table = {
    "pending": ("待审批", "Pending"),
    "all": ("全部", "All"),
    "refresh": ("刷新", "Refresh"),
    "empty_pending": ("没有待审批的请求。", "Nothing waits for a decision."),
    "empty": ("还没有审批请求。", "No approval requests yet."),
    "requested": (
        "{who} 于 {at} 提交 · {deadline} 前有效 · 需要{role}审批",
        "filed by {who} at {at} · valid until {deadline} · needs {role}",
    ),
    "role_admin": ("管理员", "an administrator"),
    "role_member": ("任一成员", "any member"),
    "agent": ("智能体", "Agent"),
    "tool": ("工具", "Tool"),
    "arguments": ("参数", "Arguments"),
    "payload": ("内容", "Payload"),
    "reason": ("审批意见（驳回时必填）", "Comment (required to reject)"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "need_reason": ("驳回需要填写原因。", "A rejection needs a reason."),
    "approved_note": ("已批准 #{id}", "Approved #{id}"),
    "rejected_note": ("已驳回 #{id}", "Rejected #{id}"),
    "decided": ("{who} 于 {at} {verdict}", "{verdict} by {who} at {at}"),
    "comment": ("意见：{reason}", "Comment: {reason}"),
    "exec_done": ("已执行（{at}）", "Executed ({at})"),
    "exec_failed": ("执行失败：{error}", "Execution failed: {error}"),
    "exec_running": (
        "执行中（若长时间停留在此状态，请人工核实是否已执行）",
        "Running (if it stays here, check by hand whether it ran)",
    ),
    "exec_none": (
        "本进程没有此类操作的执行器：只记录了决定。",
        "No executor for this kind in this process: only the decision was recorded.",
    ),
    "result": ("执行结果", "Result"),
    "status_pending": ("待审批", "Pending"),
    "status_approved": ("已批准", "Approved"),
    "status_rejected": ("已驳回", "Rejected"),
    "status_expired": ("已过期", "Expired"),
    "kind_send_external": ("对外发送", "Send outside"),
    "kind_write_external_system": ("写入外部系统", "Write to an external system"),
    "kind_publish": ("对外发布", "Publish"),
    "kind_agent.tool": ("智能体调用工具", "Agent tool call"),
}

STATUS_COLOURS = {"pending": "orange", "approved": "positive", "rejected": "negative"}


class ApprovalsPanel:
    def __init__(self, ctx: PageContext, traces: TraceDialog) -> None:
        self.ctx = ctx
        self.traces = traces
        self.status = "pending"
        self.items: list[dict[str, Any]] = []
        self.reasons: dict[int, ui.input] = {}
        self.badge: ui.badge | None = None  # the pending count on the tab, when there is one

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            ui.toggle(
                {"pending": self.t("pending"), "all": self.t("all")},
                value=self.status,
                on_change=self._status_changed,
            ).props('dense no-caps data-testid="approvals-filter"')
            ui.space()
            ui.button(icon="refresh", on_click=self.load).props("flat round").tooltip(
                self.t("refresh")
            )
        self.cards()

    async def _status_changed(self, event: Any) -> None:
        self.status = event.value
        await self.load()

    async def load(self) -> None:
        params: dict[str, Any] = {"limit": 100}
        if self.status == "pending":
            params["status"] = "pending"
        try:
            self.items = await self.ctx.api.get("/approvals", params=params)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.cards.refresh()
        if self.badge is not None:
            pending = sum(a["status"] == "pending" for a in self.items)
            self.badge.set_text(str(pending))
            self.badge.visible = pending > 0

    @ui.refreshable_method
    def cards(self) -> None:
        self.reasons = {}
        if not self.items:
            empty = "empty_pending" if self.status == "pending" else "empty"
            ui.label(self.t(empty)).classes("text-grey-7 q-pa-sm")
            return
        for approval in self.items:
            self._card(approval)

    def _kind(self, kind: str) -> str:
        key = f"kind_{kind}"
        return f"{self.t(key)} · {kind}" if key in TEXT else kind

    def _card(self, a: dict[str, Any]) -> None:
        card = ui.card().classes("w-full q-pa-md gap-2").props("flat bordered")
        card.props(f'data-testid="approval" data-approval="{a["id"]}"')
        with card:
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(f"#{a['id']}").classes("text-grey-7")
                ui.label(self._kind(a["kind"])).classes("text-subtitle1 text-weight-medium")
                ui.space()
                ui.badge(
                    self.t(f"status_{a['status']}"), color=STATUS_COLOURS.get(a["status"], "grey")
                ).props('data-testid="approval-status"')
            if a["summary"]:
                ui.label(a["summary"]).classes("text-body1")
            ui.label(
                self.t(
                    "requested",
                    who=a["requested_by_name"] or "—",
                    at=when(a["created_at"]),
                    deadline=when(a["expires_at"]),
                    role=self.t(f"role_{a['required_role']}"),
                )
            ).classes("text-caption text-grey-7")
            self._payload(a)
            if a["status"] == "pending":
                self._decide(a)
            else:
                self._outcome(a)

    def _payload(self, a: dict[str, Any]) -> None:
        payload = a["payload"] or {}
        if a["kind"] == "agent.tool":
            with ui.element("div").classes("grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 w-full"):
                ui.label(self.t("agent")).classes("text-grey-7")
                ui.label(str(payload.get("agent", "—"))).props('data-testid="approval-agent"')
                ui.label(self.t("tool")).classes("text-grey-7")
                ui.label(str(payload.get("tool", "—"))).classes("text-weight-medium").props(
                    'data-testid="approval-tool"'
                )
                ui.label(self.t("arguments")).classes("text-grey-7")
                ui.code(pretty(payload.get("arguments") or {}), language="json").classes(
                    "w-full text-xs"
                )
            self.traces.button(str(payload.get("trace_id") or ""))
        elif payload:
            with ui.expansion(self.t("payload"), value=True).classes("w-full").props("dense"):
                ui.code(pretty(payload), language="json").classes("w-full text-xs")

    def _decide(self, a: dict[str, Any]) -> None:
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            reason = ui.input(self.t("reason")).props(
                'dense outlined data-testid="approval-reason"'
            )
            reason.classes("grow")
            self.reasons[a["id"]] = reason
            ui.button(self.t("approve"), on_click=lambda: self.decide(a["id"], True)).props(
                'unelevated color=positive data-testid="approve"'
            )
            ui.button(self.t("reject"), on_click=lambda: self.decide(a["id"], False)).props(
                'outline color=negative data-testid="reject"'
            )

    async def decide(self, approval_id: int, approve: bool) -> None:
        reason = (self.reasons[approval_id].value or "").strip()
        if not approve and not reason:
            ui.notify(self.t("need_reason"), type="warning")
            return
        verb = "approve" if approve else "reject"
        try:
            await self.ctx.api.post(f"/approvals/{approval_id}/{verb}", json={"reason": reason})
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
        else:
            note = "approved_note" if approve else "rejected_note"
            ui.notify(self.t(note, id=approval_id), type="positive" if approve else "info")
        if self.status == "pending":
            self.status = "all"  # show the decision just made, with how it ran
        await self.load()

    def _outcome(self, a: dict[str, Any]) -> None:
        if a["decided_at"]:
            ui.label(
                self.t(
                    "decided",
                    who=a["decided_by_name"] or "—",
                    at=when(a["decided_at"]),
                    verdict=self.t(f"status_{a['status']}"),
                )
            ).classes("text-body2")
        if a["reason"]:
            ui.label(self.t("comment", reason=a["reason"])).classes("text-body2").props(
                'data-testid="approval-comment"'
            )
        if a["status"] != "approved":
            return
        execution = a["execution"]
        if execution == "done":
            ui.label(self.t("exec_done", at=when(a["executed_at"]))).classes("text-positive")
            if a["result"] not in (None, "", {}):
                with ui.expansion(self.t("result")).classes("w-full").props("dense"):
                    ui.code(pretty(a["result"]), language="json").classes("w-full text-xs")
        elif execution == "failed":
            ui.label(self.t("exec_failed", error=a["error"])).classes("text-negative").props(
                'data-testid="approval-error"'
            )
        elif execution == "running":
            ui.label(self.t("exec_running")).classes("text-warning")
        else:
            ui.label(self.t("exec_none")).classes("text-caption text-grey-7")
