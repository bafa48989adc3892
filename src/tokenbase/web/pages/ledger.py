"""The ledger page (/ui/ledger): what AI cost, by day, department, scenario and model.

Everyone signed in sees the spend report the API gives them — administrators the whole
company, members their own department and the departments below it (the API narrows it in
the query). Administrators also see budgets and their use, ROI per scenario, model quality
and the COGS export (ledger_admin.py). Anyone may record a business outcome by hand
(ledger_outcomes.py). The charts keep their elements and get new options on every load: the
refresh button, the period selector and a one-minute timer all call `LedgerView.load`.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from fastapi import Request
from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from .ledger_admin import AdminPanels
from .ledger_format import (
    by_day_options,
    cny,
    empty_options,
    ranked_options,
    share_options,
    tokens,
)
from .ledger_outcomes import OutcomePanel

TEXT: Table = {
    "title": ("Token账本", "Token ledger"),
    "scope_all": ("全公司的 AI 花费", "AI spend of the whole company"),
    "scope_department": (
        "{department} 及其下级部门的 AI 花费",
        "AI spend of {department} and the departments below it",
    ),
    "scope_own": (
        "你尚未归属任何部门：这里显示你本人的 AI 花费",
        "You belong to no department: this is your own AI spend",
    ),
    "month": ("本月", "This month"),
    "30d": ("近30天", "Last 30 days"),
    "custom": ("自定义", "Custom"),
    "from": ("开始日期", "From"),
    "to": ("结束日期", "To"),
    "refresh": ("刷新", "Refresh"),
    "updated": ("更新于 {time}", "Updated {time}"),
    "cost": ("花费", "Spend"),
    "calls": ("调用次数", "Calls"),
    "tokens": ("Token 数", "Tokens"),
    "tokens_split": ("输入 {prompt} · 输出 {completion}", "in {prompt} · out {completion}"),
    "unpriced": ("未定价调用", "Unpriced calls"),
    "unpriced_hint": (
        "这些公有模型调用没有价格，未计入花费：在 [[ledger.prices]] 中配置合同价。",
        "These public-model calls have no price and are not in the spend: add contract "
        "prices in [[ledger.prices]].",
    ),
    "by_day": ("每日花费", "Spend per day"),
    "by_department": ("按部门", "By department"),
    "by_scenario": ("按场景", "By scenario"),
    "by_model": ("按模型", "By model"),
    "details": ("明细", "Details"),
    "dim_department": ("部门", "Department"),
    "dim_scenario": ("场景", "Scenario"),
    "dim_model": ("模型", "Model"),
    "dim_day": ("日期", "Day"),
    "name": ("名称", "Name"),
    "empty": ("这段时间还没有模型调用。", "No model calls in this period yet."),
    "custom_hint": ("请选择开始和结束日期。", "Choose a start and an end date."),
}

DIMENSIONS = ("department", "scenario", "model", "day")
REFRESH_S = 60.0


class LedgerView:
    """The page's elements and the state they are drawn from."""

    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.mode = "month"
        self.reports: dict[str, dict[str, Any]] = {}
        self.detail = "department"
        self.today = date.today()  # replaced by the ledger's own date (its time zone) on load
        self.admin = AdminPanels(ctx) if ctx.is_admin else None
        self.outcomes = OutcomePanel(ctx, on_recorded=self.load)
        self._loading = self._again = self._setting_dates = False

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    # -- drawing ---------------------------------------------------------------------------
    def build(self) -> None:
        with ui.column().classes("w-full max-w-screen-xl mx-auto q-pa-sm q-pa-md-md gap-4"):
            self._toolbar()
            self._cards()
            self._charts()
            self._details()
            if self.admin is not None:
                self.admin.build()
            self.outcomes.build()

    def _toolbar(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            with ui.column().classes("gap-0"):
                ui.label(self.t("title")).classes("text-h5")
                self.scope = (
                    ui.label("")
                    .classes("text-caption text-grey-7")
                    .props('data-testid="ledger-scope"')
                )
            ui.space()
            options = {m: self.t(m) for m in ("month", "30d", "custom")}
            ui.toggle(options, value=self.mode, on_change=self._period_changed).props(
                'dense no-caps data-testid="ledger-period"'
            )
            ui.button(icon="refresh", on_click=self.load).props(
                'flat round data-testid="ledger-refresh"'
            ).tooltip(self.t("refresh"))
        with ui.row().classes("w-full items-center gap-2") as self.custom_row:
            self.start = ui.input(self.t("from"), on_change=self._dates_changed)
            self.end = ui.input(self.t("to"), on_change=self._dates_changed)
            for field, testid in ((self.start, "ledger-from"), (self.end, "ledger-to")):
                field.props(f'type=date dense outlined stack-label data-testid="{testid}"')
                field.classes("w-40")
            ui.label(self.t("custom_hint")).classes("text-caption text-grey-7")
        self.custom_row.visible = False

    def _card(self, label: str, testid: str) -> tuple[ui.label, ui.label]:
        with ui.card().classes("q-pa-md").props("flat bordered"):
            ui.label(label).classes("text-caption text-grey-7")
            value = ui.label("—").classes("text-h5 text-weight-medium")
            value.props(f'data-testid="{testid}"')
            note = ui.label("").classes("text-caption text-grey-7")
        return value, note

    def _cards(self) -> None:
        with ui.element("div").classes("grid grid-cols-2 md:grid-cols-4 gap-3 w-full"):
            self.total_cost, self.updated = self._card(self.t("cost"), "ledger-total-cost")
            self.total_calls, _ = self._card(self.t("calls"), "ledger-total-calls")
            self.total_tokens, self.token_split = self._card(self.t("tokens"), "ledger-tokens")
            self.unpriced, self.unpriced_note = self._card(self.t("unpriced"), "ledger-unpriced")

    def _chart_card(self, title: str, testid: str) -> ui.echart:
        with ui.card().classes("w-full q-pa-sm").props("flat bordered"):
            ui.label(title).classes("text-subtitle2 q-px-sm")
            chart = ui.echart({"series": []}).classes("w-full h-64")
            chart.props(f'data-testid="{testid}"')
        return chart

    def _charts(self) -> None:
        with ui.element("div").classes("grid grid-cols-1 md:grid-cols-2 gap-3 w-full"):
            self.day_chart = self._chart_card(self.t("by_day"), "chart-day")
            self.department_chart = self._chart_card(self.t("by_department"), "chart-department")
            self.scenario_chart = self._chart_card(self.t("by_scenario"), "chart-scenario")
            self.model_chart = self._chart_card(self.t("by_model"), "chart-model")

    def _details(self) -> None:
        with ui.card().classes("w-full q-pa-sm").props("flat bordered"):
            with ui.row().classes("w-full items-center q-px-sm"):
                ui.label(self.t("details")).classes("text-subtitle2")
                ui.space()
                dims = {d: self.t(f"dim_{d}") for d in DIMENSIONS}
                ui.toggle(dims, value=self.detail, on_change=self._detail_changed).props(
                    'dense no-caps size=sm data-testid="ledger-detail-by"'
                )
            self.detail_table()

    @ui.refreshable_method
    def detail_table(self) -> None:
        report = self.reports.get(self.detail) or {"rows": []}
        if not report["rows"]:
            ui.label(self.t("empty")).classes("text-grey-7 q-pa-sm")
            return
        columns = [
            {"name": "label", "label": self.t("name"), "field": "label", "align": "left"},
            {"name": "calls", "label": self.t("calls"), "field": "calls", "align": "right"},
            {"name": "tokens", "label": self.t("tokens"), "field": "tokens", "align": "right"},
            {"name": "cost", "label": self.t("cost"), "field": "cost", "align": "right"},
        ]
        rows = [
            {
                "key": r["key"],
                "label": r["label"],
                "calls": tokens(r["calls"]),
                "tokens": tokens(r["prompt_tokens"] + r["completion_tokens"]),
                "cost": cny(r["cost_cny"]),
            }
            for r in report["rows"]
        ]
        ui.table(columns=columns, rows=rows, row_key="key").props(
            'flat dense data-testid="ledger-details"'
        ).classes("w-full")

    # -- events ----------------------------------------------------------------------------
    async def _period_changed(self, event: Any) -> None:
        self.mode = event.value
        if self.mode == "custom":  # start from the last week, in the ledger's own days
            self._setting_dates = True
            self.start.value = (self.today - timedelta(days=6)).isoformat()
            self.end.value = self.today.isoformat()
            self._setting_dates = False
        self.custom_row.visible = self.mode == "custom"
        await self.load()

    async def _dates_changed(self) -> None:
        complete = all(len(f.value or "") == 10 for f in (self.start, self.end))
        if self.mode == "custom" and complete and not self._setting_dates:
            await self.load()

    def _detail_changed(self, event: Any) -> None:
        self.detail = event.value
        self.detail_table.refresh()

    def params(self) -> dict[str, str]:
        """The period as the API's query parameters ({} = this month, in the ledger's zone)."""
        today = self.today
        if self.mode == "30d":
            return {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
        if self.mode == "custom" and self.start.value and self.end.value:
            return {"from": self.start.value, "to": self.end.value}
        return {}

    async def load(self) -> None:
        """Fetch every report of the period and redraw; errors become a notification. A load
        asked for while one runs (the timer, a recorded outcome) runs again right after it,
        so what is drawn is never older than the last request."""
        if self._loading:
            self._again = True
            return
        self._loading = self._again = True
        try:
            while self._again:
                self._again = False
                try:
                    await self._load_once()
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
        finally:
            self._loading = False

    async def _load_once(self) -> None:
        params = self.params()
        api = self.ctx.api
        found = await asyncio.gather(
            *(api.get("/ledger/report", params={**params, "by": d}) for d in DIMENSIONS)
        )
        self.reports = dict(zip(DIMENSIONS, found, strict=True))
        self._draw()
        if self.admin is not None:
            await self.admin.load(params)
        await self.outcomes.load()

    def _draw(self) -> None:
        day = self.reports["day"]
        self.today = date.fromisoformat(day.get("today") or date.today().isoformat())
        total = day["total"]
        scope = day.get("scope") or {"kind": "all"}
        self.scope.text = self.t(f"scope_{scope['kind']}", department=scope.get("department", ""))
        self.total_cost.text = cny(total["cost_cny"])
        self.updated.text = f"{day['start']} – {date.fromisoformat(day['end']) - timedelta(days=1)}"
        self.total_calls.text = tokens(total["calls"])
        self.total_tokens.text = tokens(total["prompt_tokens"] + total["completion_tokens"])
        self.token_split.text = self.t(
            "tokens_split",
            prompt=tokens(total["prompt_tokens"]),
            completion=tokens(total["completion_tokens"]),
        )
        self.unpriced.text = tokens(total["unpriced_calls"])
        self.unpriced_note.text = self.t("unpriced_hint") if total["unpriced_calls"] else ""
        cost = self.t("cost")
        charts = (
            (self.day_chart, by_day_options(day, cost, until=self.today)),
            (self.department_chart, ranked_options(self.reports["department"], cost)),
            (self.scenario_chart, share_options(self.reports["scenario"], cost)),
            (self.model_chart, ranked_options(self.reports["model"], cost)),
        )
        for chart, options in charts:
            if not total["calls"]:
                options = empty_options(self.t("empty"))
            chart.options.clear()
            chart.options.update(options)
            chart.update()
        self.detail_table.refresh()
        self.outcomes.suggest([r["key"] for r in self.reports["scenario"]["rows"]])


@ui.page("/ledger", title="TokenBase")
async def ledger_page(request: Request) -> None:
    ctx = await open_page(request, "ledger", admin=False)
    if ctx is None:
        return
    view = LedgerView(ctx)
    view.build()
    await view.load()
    ui.timer(REFRESH_S, view.load, immediate=False)
