"""The administrators' part of the ledger page: budgets and their use (with the limit
crossings), cost per outcome and ROI per scenario, availability and format-error rates per
model, and the month's COGS export as a CSV download. Everything comes from the admin-only
ledger endpoints (GET /budgets, /budgets/alerts, /ledger/roi, /ledger/quality,
/ledger/export.csv)."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from decimal import Decimal
from typing import Any

from nicegui import ui

from ..i18n import Table
from ..layout import PageContext
from .ledger_format import cny, number, percent, tokens

TEXT: Table = {
    "budgets": ("预算与使用", "Budgets and their use"),
    "no_budgets": (
        "还没有预算。用 POST /budgets 或 `tokenbase budget set` 设置。",
        "No budgets yet. Set one with POST /budgets or `tokenbase budget set`.",
    ),
    "scope": ("范围", "Scope"),
    "period": ("周期", "Period"),
    "monthly": ("每月", "Monthly"),
    "daily": ("每日", "Daily"),
    "used": ("已用 / 上限", "Used / limit"),
    "reserved": ("预占 {amount}", "held {amount}"),
    "action": ("超限后", "Over the limit"),
    "block": ("拦截", "Block"),
    "downgrade": ("降级到 {tier}", "Downgrade to {tier}"),
    "department": ("部门 {name}", "Department {name}"),
    "scenario": ("场景 {name}", "Scenario {name}"),
    "user": ("用户 {name}", "User {name}"),
    "alerts": ("预警记录", "Limit crossings"),
    "alert_soft": ("达到提醒线", "reached the alert line"),
    "alert_hard": ("达到上限", "reached the limit"),
    "alert_line": (
        "{scope}：{period_start} 起的周期 {kind}（{spent} / {limit}）",
        "{scope}: the period from {period_start} {kind} ({spent} / {limit})",
    ),
    "roi": ("单位成果成本与 ROI（按场景）", "Cost per outcome and ROI per scenario"),
    "roi_empty": ("这段时间没有花费或成果。", "No spend or outcomes in this period."),
    "scenario_col": ("场景", "Scenario"),
    "calls": ("调用", "Calls"),
    "cost": ("花费", "Spend"),
    "outcomes": ("成果", "Outcomes"),
    "value": ("成果价值", "Value"),
    "per_outcome": ("单位成果成本", "Cost per outcome"),
    "roi_col": ("ROI（价值÷花费）", "ROI (value ÷ cost)"),
    "quality": ("模型可用性与格式错误率", "Model availability and format errors"),
    "quality_empty": ("这段时间没有模型调用。", "No model calls in this period."),
    "model": ("模型", "Model"),
    "availability": ("可用性", "Availability"),
    "format_before": ("格式错误率（修复前）", "Format errors (before repair)"),
    "format_after": ("格式错误率（修复后）", "Format errors (after repair)"),
    "latency": ("平均延迟", "Mean latency"),
    "per_call": ("单次成本", "Cost per call"),
    "export": ("导出成本 CSV（计入部门成本）", "Export cost CSV (for COGS booking)"),
    "export_month": ("月份", "Month"),
    "download": ("下载 CSV", "Download CSV"),
}


def last_months(today: date, n: int = 12) -> list[str]:
    """This month and the n-1 before it, newest first, as YYYY-MM."""
    year, month = today.year, today.month
    months = []
    for _ in range(n):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def department_paths(tree: list[dict[str, Any]], prefix: str = "") -> dict[str, str]:
    """Department id (as a string, like a budget's scope) -> 'parent/child' path."""
    paths: dict[str, str] = {}
    for node in tree:
        path = f"{prefix}/{node['name']}" if prefix else node["name"]
        paths[str(node["id"])] = path
        paths.update(department_paths(node.get("children") or [], path))
    return paths


def download(url: str) -> None:
    """Let the browser fetch `url` (same origin, the session cookie goes along) as a file."""
    ui.run_javascript(
        "const a = document.createElement('a');"
        f"a.href = {json.dumps(url)}; a.download = '';"
        "document.body.appendChild(a); a.click(); a.remove();"
    )


class AdminPanels:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.budgets: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.roi: list[dict[str, Any]] = []
        self.quality: list[dict[str, Any]] = []
        self.names: dict[tuple[str, str], str] = {}

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-2 gap-3 w-full"):
            with ui.card().classes("w-full q-pa-md").props("flat bordered"):
                ui.label(self.t("budgets")).classes("text-subtitle2")
                self.budget_list()
            with ui.card().classes("w-full q-pa-md").props("flat bordered"):
                ui.label(self.t("export")).classes("text-subtitle2")
                months = last_months(date.today())
                with ui.row().classes("items-center gap-2"):
                    month = ui.select(months, value=months[0], label=self.t("export_month"))
                    month.props('dense outlined data-testid="export-month"').classes("w-40")
                    ui.button(
                        self.t("download"),
                        icon="download",
                        on_click=lambda: download(f"/ledger/export.csv?month={month.value}"),
                    ).props('outline data-testid="export-csv"')
        with ui.card().classes("w-full q-pa-md").props("flat bordered"):
            ui.label(self.t("roi")).classes("text-subtitle2")
            self.roi_table()
        with ui.card().classes("w-full q-pa-md").props("flat bordered"):
            ui.label(self.t("quality")).classes("text-subtitle2")
            self.quality_table()

    async def load(self, params: dict[str, str]) -> None:
        api = self.ctx.api
        budgets, alerts, roi, quality, tree, users = await asyncio.gather(
            api.get("/budgets"),
            api.get("/budgets/alerts"),
            api.get("/ledger/roi", params=params),
            api.get("/ledger/quality", params=params),
            api.get("/departments"),
            api.get("/users"),
        )
        self.budgets, self.alerts, self.roi, self.quality = budgets, alerts, roi, quality
        self.names = {("department", k): v for k, v in department_paths(tree).items()}
        self.names.update({("user", str(u["id"])): u["username"] for u in users})
        self.budget_list.refresh()
        self.roi_table.refresh()
        self.quality_table.refresh()

    # -- budgets ---------------------------------------------------------------------------
    def _scope(self, budget: dict[str, Any]) -> str:
        kind, value = budget["scope_kind"], budget["scope_value"]
        return self.t(kind, name=self.names.get((kind, value), value))

    @ui.refreshable_method
    def budget_list(self) -> None:
        if not self.budgets:
            ui.label(self.t("no_budgets")).classes("text-grey-7 text-caption")
            return
        for b in self.budgets:
            limit = Decimal(b["hard_limit_cny"])
            used = Decimal(b["spent_cny"]) + Decimal(b["reserved_cny"])
            share = float(used / limit) if limit else 0.0
            colour = (
                "negative"
                if share >= 1
                else "warning"
                if share * 100 >= b["soft_pct"]
                else "positive"
            )
            action = (
                self.t("downgrade", tier=b["downgrade_tier"])
                if b["action"] == "downgrade"
                else self.t("block")
            )
            with ui.column().classes("w-full gap-1 q-py-xs").props('data-testid="budget"'):
                with ui.row().classes("w-full items-baseline gap-2"):
                    ui.label(self._scope(b)).classes("text-body2 text-weight-medium")
                    ui.label(self.t(b["period"])).classes("text-caption text-grey-7")
                    ui.space()
                    ui.label(f"{cny(b['spent_cny'])} / {cny(b['hard_limit_cny'])}").classes(
                        "text-body2"
                    )
                ui.linear_progress(min(share, 1.0), show_value=False, color=colour).props(
                    "rounded size=8px"
                )
                with ui.row().classes("w-full gap-3 text-caption text-grey-7"):
                    ui.label(f"{share:.0%} · {self.t('action')}: {action}")
                    if Decimal(b["reserved_cny"]):
                        ui.label(self.t("reserved", amount=cny(b["reserved_cny"])))
        crossings = [a for a in self.alerts if a["budget_id"] in {b["id"] for b in self.budgets}]
        if crossings:
            scopes = {b["id"]: self._scope(b) for b in self.budgets}
            ui.label(self.t("alerts")).classes("text-caption text-weight-medium q-mt-sm")
            for a in crossings[-5:][::-1]:
                ui.label(
                    self.t(
                        "alert_line",
                        scope=scopes[a["budget_id"]],
                        period_start=a["period_start"],
                        kind=self.t(f"alert_{a['kind']}"),
                        spent=cny(a["spent_cny"]),
                        limit=cny(a["limit_cny"]),
                    )
                ).classes("text-caption text-negative" if a["kind"] == "hard" else "text-caption")

    # -- unit economics and quality --------------------------------------------------------
    def _columns(self, *keys: str) -> list[dict[str, Any]]:
        return [
            {
                "name": k,
                "label": self.t(k),
                "field": k,
                "align": "left" if i == 0 else "right",
            }
            for i, k in enumerate(keys)
        ]

    @ui.refreshable_method
    def roi_table(self) -> None:
        if not self.roi:
            ui.label(self.t("roi_empty")).classes("text-grey-7 text-caption")
            return
        rows = [
            {
                "scenario_col": r["scenario"],
                "calls": tokens(r["calls"]),
                "cost": cny(r["cost_cny"]),
                "outcomes": tokens(r["outcomes"]),
                "value": cny(r["outcome_value_cny"]),
                "per_outcome": cny(r["cost_per_outcome_cny"]),
                "roi_col": f"{number(r['roi']):,.1f}×" if r["roi"] is not None else "—",
            }
            for r in self.roi
        ]
        columns = self._columns(
            "scenario_col", "calls", "cost", "outcomes", "value", "per_outcome", "roi_col"
        )
        ui.table(columns=columns, rows=rows, row_key="scenario_col").props(
            'flat dense data-testid="ledger-roi"'
        ).classes("w-full")

    @ui.refreshable_method
    def quality_table(self) -> None:
        if not self.quality:
            ui.label(self.t("quality_empty")).classes("text-grey-7 text-caption")
            return
        rows = [
            {
                "model": r["model"],
                "calls": tokens(r["calls"]),
                "availability": percent(r["availability"]),
                "format_before": percent(r["format_error_rate_before_repair"]),
                "format_after": percent(r["format_error_rate_after_repair"]),
                "latency": f"{r['mean_latency_ms']:,.0f} ms"
                if r["mean_latency_ms"] is not None
                else "—",
                "per_call": cny(r["cost_per_call_cny"]),
            }
            for r in self.quality
        ]
        columns = self._columns(
            "model", "calls", "availability", "format_before", "format_after", "latency", "per_call"
        )
        ui.table(columns=columns, rows=rows, row_key="model").props(
            'flat dense data-testid="ledger-quality"'
        ).classes("w-full")
