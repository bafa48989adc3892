"""The audit log (GET /audit, newest first, paged back by `before_seq`, filtered by action
prefix and actor) and the "verify chain" button (GET /audit/verify: ok, or the first entry
that was edited, deleted, inserted or reordered)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .governance_common import compact, when

TEXT: Table = {
    "action": ("操作前缀（如 approval.）", "Action prefix (approval.)"),
    "actor": ("操作人", "Actor"),
    "search": ("筛选", "Filter"),
    "verify": ("校验哈希链", "Verify chain"),
    "ok": (
        "哈希链完整：已校验 {checked} 条，最新 #{last_seq}",
        "The chain holds: {checked} entries checked, latest #{last_seq}",
    ),
    "unkeyed": (
        "（其中 {n} 条未使用 HMAC 密钥）",
        " ({n} of them written without the HMAC key)",
    ),
    "broken": (
        "哈希链在第 #{seq} 条处断裂：{problem}",
        "The chain breaks at entry #{seq}: {problem}",
    ),
    "anchor": ("最新哈希：{hash}", "Latest hash: {hash}"),
    "seq": ("序号", "Seq"),
    "at": ("时间", "Time"),
    "action_col": ("操作", "Action"),
    "target": ("对象", "Target"),
    "detail": ("详情", "Detail"),
    "newer": ("最新", "Newest"),
    "older": ("更早", "Older"),
    "empty": ("没有符合条件的审计记录。", "No audit entries match."),
}

PAGE = 25


class AuditPanel:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.entries: list[dict[str, Any]] = []
        self.before: int | None = None
        self.pages: list[int | None] = []  # the `before` of each earlier page, to go back

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            self.action = ui.input(self.t("action")).props(
                'dense outlined clearable data-testid="audit-action"'
            )
            self.actor = ui.input(self.t("actor")).props("dense outlined clearable")
            for field in (self.action, self.actor):
                field.classes("w-52")
                field.on("keydown.enter", self.first_page)
            ui.button(self.t("search"), icon="filter_list", on_click=self.first_page).props("flat")
            ui.space()
            ui.button(self.t("verify"), icon="verified", on_click=self.verify).props(
                'unelevated data-testid="audit-verify"'
            )
        self.verdict = ui.column().classes("w-full gap-0")
        self.table()
        with ui.row().classes("w-full justify-end gap-2"):
            self.newer = ui.button(self.t("newer"), on_click=self.first_page).props("flat")
            self.older = ui.button(self.t("older"), icon="chevron_right", on_click=self.next_page)
            self.older.props('flat data-testid="audit-older"')

    async def first_page(self) -> None:
        self.before, self.pages = None, []
        await self.load()

    async def next_page(self) -> None:
        if not self.entries:
            return
        self.pages.append(self.before)
        self.before = min(e["seq"] for e in self.entries)
        await self.load()

    async def load(self) -> None:
        params: dict[str, Any] = {"limit": PAGE}
        if self.before is not None:
            params["before_seq"] = self.before
        for name, field in (("action", self.action), ("actor", self.actor)):
            if (field.value or "").strip():
                params[name] = field.value.strip()
        try:
            self.entries = await self.ctx.api.get("/audit", params=params)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.older.set_enabled(len(self.entries) == PAGE)
        self.newer.set_enabled(self.before is not None)
        self.table.refresh()

    @ui.refreshable_method
    def table(self) -> None:
        if not self.entries:
            ui.label(self.t("empty")).classes("text-grey-7 q-pa-sm")
            return
        columns = [
            {"name": "seq", "label": self.t("seq"), "field": "seq", "align": "right"},
            {"name": "at", "label": self.t("at"), "field": "at", "align": "left"},
            {"name": "actor", "label": self.t("actor"), "field": "actor", "align": "left"},
            {"name": "action", "label": self.t("action_col"), "field": "action", "align": "left"},
            {"name": "target", "label": self.t("target"), "field": "target", "align": "left"},
            {
                "name": "detail",
                "label": self.t("detail"),
                "field": "detail",
                "align": "left",
                "classes": "ellipsis",
                "style": "max-width: 420px",
            },
        ]
        rows = [
            {
                "seq": e["seq"],
                "at": when(e["at"]),
                "actor": e["actor"],
                "action": e["action"],
                "target": e["target"],
                "detail": compact(e["detail"]) if e["detail"] else "",
            }
            for e in self.entries
        ]
        ui.table(columns=columns, rows=rows, row_key="seq").props(
            'flat dense data-testid="audit-table"'
        ).classes("w-full")

    async def verify(self) -> None:
        try:
            result = await self.ctx.api.get("/audit/verify")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.verdict.clear()
        with self.verdict:
            if result["ok"]:
                text = self.t("ok", checked=result["checked"], last_seq=result["last_seq"])
                if result["unkeyed"]:
                    text += self.t("unkeyed", n=result["unkeyed"])
                with ui.row().classes("items-center gap-2 text-positive"):
                    ui.icon("verified")
                    ui.label(text).props('data-testid="audit-verdict"')
            else:
                with ui.row().classes("items-center gap-2 text-negative"):
                    ui.icon("error")
                    ui.label(
                        self.t("broken", seq=result["first_bad_seq"], problem=result["problem"])
                    ).props('data-testid="audit-verdict"')
            ui.label(self.t("anchor", hash=result["last_hash"])).classes(
                "text-caption text-grey-7 break-all"
            )
