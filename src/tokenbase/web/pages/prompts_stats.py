"""Prompt statistics (GET /prompts/reports, administrators): per version — calls, users,
departments, tokens, cost, acceptance, format-error rate — and per contributor (effective
prompts), as tables with a small chart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "month": ("月份", "Month"),
    "by_version": ("按版本", "By version"),
    "by_contributor": ("按贡献者", "By contributor"),
    "version": ("版本", "Version"),
    "labels": ("标签", "Labels"),
    "calls": ("调用", "Calls"),
    "users": ("用户", "Users"),
    "departments": ("部门", "Departments"),
    "tokens": ("Token（入/出）", "Tokens (in/out)"),
    "cost": ("成本 ¥", "Cost ¥"),
    "acceptance": ("采纳率", "Acceptance"),
    "format_errors": ("格式错误率", "Format errors"),
    "badcases": ("坏案例", "Bad cases"),
    "effective": ("有效", "Effective"),
    "author": ("作者", "Author"),
    "contributor": ("贡献者", "Contributor"),
    "prompts": ("Prompt 数", "Prompts"),
    "versions": ("版本数", "Versions"),
    "effective_prompts": ("有效 Prompt", "Effective prompts"),
    "effective_names": ("有效的 Prompt", "Which"),
    "chart_title": ("各版本调用与成本", "Calls and cost by version"),
    "chart_calls": ("调用", "Calls"),
    "chart_cost": ("成本 ¥", "Cost ¥"),
    "no_calls": ("本月还没有调用记录。", "No calls this month yet."),
    "effective_rule": (
        "有效 = 被作者以外的人使用至少 {uses} 次，且采纳率不低于 {rate}。",
        "Effective = used at least {uses} times by others, with acceptance of at least {rate}.",
    ),
    "yes": ("是", "yes"),
}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def money(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)


def version_rows(rows: list[dict[str, Any]], ctx: PageContext) -> list[dict[str, Any]]:
    """Report rows (by version) as table rows."""
    return [
        {
            "ref": r["ref"],
            "labels": ", ".join(lb for lb in r.get("labels") or [] if lb != "latest"),
            "author": r.get("author") or "",
            "calls": r.get("calls", 0),
            "users": r.get("users", 0),
            "departments": len(r.get("departments") or []),
            "departments_list": "、".join(str(d) for d in r.get("departments") or []),
            "tokens": f"{r.get('prompt_tokens', 0):,} / {r.get('completion_tokens', 0):,}",
            "cost": money(r.get("cost_cny")),
            "acceptance": percent(r.get("acceptance")),
            "format_errors": percent(r.get("format_error_rate")),
            "badcases": r.get("badcases", 0),
            "effective": ctx.t(TEXT, "yes") if r.get("effective") else "",
        }
        for r in rows
    ]


def version_table(ctx: PageContext, rows: list[dict[str, Any]], *, testid: str) -> ui.table:
    t = ctx.t
    keys = (
        "calls",
        "users",
        "departments",
        "tokens",
        "cost",
        "acceptance",
        "format_errors",
        "badcases",
        "effective",
    )
    columns = [
        {"name": "ref", "label": t(TEXT, "version"), "field": "ref", "align": "left"},
        {"name": "labels", "label": t(TEXT, "labels"), "field": "labels", "align": "left"},
        {"name": "author", "label": t(TEXT, "author"), "field": "author", "align": "left"},
    ] + [{"name": k, "label": t(TEXT, k), "field": k, "align": "right"} for k in keys]
    table = ui.table(columns=columns, rows=version_rows(rows, ctx), row_key="ref").props(
        f'dense flat bordered wrap-cells data-testid="{testid}"'
    )
    table.classes("w-full")
    return table


def calls_chart(ctx: PageContext, rows: list[dict[str, Any]]) -> None:
    """Bars of calls (left axis) and cost (right axis) for the most used versions."""
    used = sorted((r for r in rows if r.get("calls")), key=lambda r: -r["calls"])[:12]
    if not used:
        ui.label(ctx.t(TEXT, "no_calls")).classes("text-caption text-grey-7")
        return
    refs = [r["ref"] for r in used]
    ui.echart(
        {
            "animation": False,
            "title": {"text": ctx.t(TEXT, "chart_title"), "textStyle": {"fontSize": 13}},
            "tooltip": {"trigger": "axis"},
            "legend": {"right": 0, "top": 0},
            "grid": {"left": 48, "right": 56, "bottom": 64, "top": 40},
            "xAxis": {"type": "category", "data": refs, "axisLabel": {"rotate": 30}},
            "yAxis": [{"type": "value"}, {"type": "value", "position": "right"}],
            "series": [
                {
                    "name": ctx.t(TEXT, "chart_calls"),
                    "type": "bar",
                    "data": [r["calls"] for r in used],
                },
                {
                    "name": ctx.t(TEXT, "chart_cost"),
                    "type": "bar",
                    "yAxisIndex": 1,
                    "data": [round(float(r.get("cost_cny") or 0), 4) for r in used],
                },
            ],
        }
    ).classes("w-full h-64").props('data-testid="prompt-chart"')


def stats_panel(ctx: PageContext) -> Callable[[], Awaitable[None]]:
    """Month picker, the per-version table with its chart, and the per-contributor table.
    Drawn empty; the returned function (re)loads the reports — call it when the panel is
    shown, so the numbers are those of that moment."""
    t = ctx.t
    state: dict[str, Any] = {"month": None, "shown": False}  # month None: the API's "now"

    @ui.refreshable
    async def body() -> None:
        if not state["shown"]:
            return
        month = {"month": state["month"]} if state["month"] else {}
        try:
            by_version = await ctx.api.get("/prompts/reports", params={"by": "version", **month})
            by_person = await ctx.api.get("/prompts/reports", params={"by": "contributor", **month})
        except ApiProblem as exc:
            ctx.notify_error(exc)
            return
        if state["month"] is None:
            state["month"] = by_version.get("month")
            month_input.value = state["month"]
        rows = by_version.get("rows") or []
        ui.label(t(TEXT, "by_version")).classes("text-subtitle1 q-mt-sm")
        calls_chart(ctx, rows)
        version_table(ctx, rows, testid="stats-versions")
        ui.label(t(TEXT, "by_contributor")).classes("text-subtitle1 q-mt-md")
        ui.label(
            t(
                TEXT,
                "effective_rule",
                uses=by_version.get("effective_min_uses"),
                rate=percent(by_version.get("effective_min_acceptance")),
            )
        ).classes("text-caption text-grey-7")
        columns = [
            {"name": "contributor", "label": t(TEXT, "contributor"), "field": "contributor"},
            {"name": "prompts", "label": t(TEXT, "prompts"), "field": "prompts"},
            {"name": "versions", "label": t(TEXT, "versions"), "field": "versions"},
            {"name": "calls", "label": t(TEXT, "calls"), "field": "calls"},
            {"name": "cost", "label": t(TEXT, "cost"), "field": "cost"},
            {"name": "effective", "label": t(TEXT, "effective_prompts"), "field": "effective"},
            {"name": "names", "label": t(TEXT, "effective_names"), "field": "names"},
        ]
        for c in columns:
            c["align"] = "left" if c["name"] in ("contributor", "names") else "right"
        people = [
            {
                "contributor": r.get("contributor"),
                "prompts": r.get("prompts", 0),
                "versions": r.get("versions", 0),
                "calls": r.get("calls", 0),
                "cost": money(r.get("cost_cny")),
                "effective": r.get("effective_prompts", 0),
                "names": ", ".join(r.get("effective_prompt_names") or []),
            }
            for r in by_person.get("rows") or []
        ]
        ui.table(columns=columns, rows=people, row_key="contributor").props(
            'dense flat bordered wrap-cells data-testid="stats-contributors"'
        ).classes("w-full")

    def set_month(value: str | None) -> None:
        if value and len(value) == 7 and value != state["month"]:
            state["month"] = value
            body.refresh()

    month_input = (
        ui.input(t(TEXT, "month"), on_change=lambda e: set_month(e.value))
        .props('outlined dense mask="####-##" data-testid="stats-month"')
        .classes("w-32")
    )
    body()

    async def show() -> None:
        state["shown"] = True
        await body.refresh()

    return show
