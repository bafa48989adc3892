"""Recording a business outcome by hand (POST /outcomes) and the latest ones (GET /outcomes):
what the spend bought — a resolved ticket, a proposal sent — linked to a scenario, an answer's
trace id or a task, so ROI per scenario has a numerator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .ledger_format import cny

TEXT: Table = {
    "title": ("记录业务成果", "Record a business outcome"),
    "hint": (
        "成果与场景、回答的追踪号或任务关联（至少填一项），用于计算单位成果成本与 ROI。",
        "Link the outcome to a scenario, an answer's trace id or a task (at least one) for "
        "cost per outcome and ROI.",
    ),
    "kind": ("成果类型（如：工单解决）", "Kind (e.g. ticket resolved)"),
    "count": ("数量", "Count"),
    "value": ("价值（元）", "Value (CNY)"),
    "scenario": ("场景", "Scenario"),
    "trace_id": ("追踪号（可选）", "Trace id (optional)"),
    "task": ("任务（可选）", "Task (optional)"),
    "note": ("备注", "Note"),
    "save": ("记录", "Record"),
    "saved": ("已记录：{kind} × {count}", "Recorded: {kind} × {count}"),
    "recent": ("最近的成果", "Latest outcomes"),
    "none": ("还没有记录成果。", "No outcomes recorded yet."),
    "by": ("{who} 记录", "by {who}"),
}


class OutcomePanel:
    def __init__(self, ctx: PageContext, on_recorded: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_recorded = on_recorded
        self.recent: list[dict[str, Any]] = []

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.element("div").classes("grid grid-cols-1 lg:grid-cols-2 gap-3 w-full"):
            with ui.card().classes("w-full q-pa-md").props("flat bordered"):
                ui.label(self.t("title")).classes("text-subtitle2")
                ui.label(self.t("hint")).classes("text-caption text-grey-7")
                self._form()
            with ui.card().classes("w-full q-pa-md").props("flat bordered"):
                ui.label(self.t("recent")).classes("text-subtitle2")
                self.recent_list()

    def _field(self, label: str, testid: str, **kwargs: Any) -> ui.input:
        field = ui.input(label, **kwargs).props(f'dense outlined data-testid="{testid}"')
        return field.classes("w-full")

    def _form(self) -> None:
        self.kind = self._field(self.t("kind"), "outcome-kind")
        with ui.row().classes("w-full no-wrap gap-2"):
            self.count = ui.number(self.t("count"), value=1, min=1, precision=0, format="%d")
            self.count.props('dense outlined data-testid="outcome-count"').classes("w-1/3")
            self.value = ui.number(self.t("value"), value=0, min=0)
            self.value.props('dense outlined data-testid="outcome-value"').classes("w-2/3")
        self.scenario = self._field(self.t("scenario"), "outcome-scenario", autocomplete=[])
        with ui.row().classes("w-full no-wrap gap-2"):
            self.trace = ui.input(self.t("trace_id")).props(
                'dense outlined data-testid="outcome-trace"'
            )
            self.task = ui.input(self.t("task")).props('dense outlined data-testid="outcome-task"')
            self.trace.classes("w-1/2")
            self.task.classes("w-1/2")
        self.note = self._field(self.t("note"), "outcome-note")
        ui.button(self.t("save"), icon="add_task", on_click=self.submit).props(
            'unelevated data-testid="outcome-save"'
        )

    def suggest(self, scenarios: list[str]) -> None:
        """Offer the scenarios that spent something as completions."""
        self.scenario.set_autocomplete([s for s in scenarios if s and s != "(none)"])

    async def submit(self) -> None:
        body = {
            "kind": (self.kind.value or "").strip(),
            "count": int(self.count.value or 1),
            "value_cny": str(self.value.value or 0),
            "scenario": (self.scenario.value or "").strip(),
            "trace_id": (self.trace.value or "").strip(),
            "task": (self.task.value or "").strip(),
            "note": (self.note.value or "").strip(),
        }
        try:
            saved = await self.ctx.api.post("/outcomes", json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("saved", kind=saved["kind"], count=saved["count"]), type="positive")
        for field in (self.kind, self.trace, self.task, self.note):
            field.value = ""
        self.count.value, self.value.value = 1, 0
        await self.on_recorded()

    async def load(self) -> None:
        self.recent = await self.ctx.api.get("/outcomes", params={"limit": 8})
        self.recent_list.refresh()

    @ui.refreshable_method
    def recent_list(self) -> None:
        if not self.recent:
            ui.label(self.t("none")).classes("text-grey-7 text-caption")
            return
        with ui.list().props("dense separator").classes("w-full"):
            for o in self.recent:
                link = o["scenario"] or o["task"] or o["trace_id"][:12]
                with ui.item().props('data-testid="outcome"'):
                    with ui.item_section():
                        ui.item_label(f"{o['kind']} × {o['count']}")
                        ui.item_label(
                            f"{link} · {o['day']} · {self.t('by', who=o['created_by'])}"
                        ).props("caption")
                    with ui.item_section().props("side"):
                        ui.item_label(cny(o["value_cny"]))
