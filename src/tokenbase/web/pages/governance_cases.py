"""Blocked and flagged questions (bad cases of kind guard_block / guard_flag, with the fence's
reasons in plain words) and every other bad case (thumbs-down feedback, withheld output), each
with a link to its trace. From GET /badcases (administrators see all)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ...guard.input.policy import CATEGORY_WORDS
from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .governance_common import TraceDialog, when

TEXT: Table = {
    "guard_empty": ("没有被拦截或标记的问题。", "No blocked or flagged questions."),
    "cases_empty": ("没有坏案例。", "No bad cases."),
    "kind": ("类型", "Kind"),
    "all": ("全部", "All"),
    "kind_guard_block": ("已拦截", "Blocked"),
    "kind_guard_flag": ("已标记", "Flagged"),
    "kind_feedback": ("用户反馈", "Feedback"),
    "kind_output_block": ("输出拦截", "Output withheld"),
    "by": ("{who} · {at}", "{who} · {at}"),
    "reasons": ("原因：{reasons}", "Why: {reasons}"),
    "rules": ("规则 {rules} · 注入分数 {score}", "rules {rules} · injection score {score}"),
    "sensitive": ("敏感词类别「{category}」", "sensitive words of category '{category}'"),
    "question": ("问题", "Question"),
    "answer": ("回答", "Answer"),
    "correction": ("更正", "Correction"),
    "expected": ("期望", "Expected"),
    "refresh": ("刷新", "Refresh"),
    "field": ("{name}：{text}", "{name}: {text}"),
}

GUARD_KINDS = ("guard_block", "guard_flag")
CASE_KINDS = ("feedback", "output_block", "guard_block", "guard_flag")
KIND_COLOURS = {"guard_block": "negative", "guard_flag": "orange", "feedback": "primary"}


class CasesPanel:
    """`guard=True`: the fence's blocks and flags; otherwise every bad case, by kind."""

    def __init__(self, ctx: PageContext, traces: TraceDialog, *, guard: bool) -> None:
        self.ctx = ctx
        self.traces = traces
        self.guard = guard
        self.kind = "" if not guard else "guard"
        self.items: list[dict[str, Any]] = []
        self.users: dict[int, str] = {}

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            if not self.guard:
                kinds = {"": self.t("all")} | {k: self._kind(k) for k in CASE_KINDS}
                ui.select(
                    kinds, value="", label=self.t("kind"), on_change=self._kind_changed
                ).props('dense outlined data-testid="cases-kind"').classes("w-48")
            ui.space()
            refresh = "guard-refresh" if self.guard else "cases-refresh"
            ui.button(icon="refresh", on_click=lambda: self.load()).props(
                f'flat round data-testid="{refresh}"'
            ).tooltip(self.t("refresh"))
        self.rows()

    def _kind(self, kind: str) -> str:
        key = f"kind_{kind}"
        return self.t(key) if key in TEXT else kind

    async def _kind_changed(self, event: Any) -> None:
        self.kind = event.value or ""
        await self.load()

    async def load(self, users: dict[int, str] | None = None) -> None:
        if users is not None:
            self.users = users
        api = self.ctx.api
        try:
            if self.guard:
                found = []
                for kind in GUARD_KINDS:
                    found += await api.get("/badcases", params={"kind": kind, "limit": 100})
                found.sort(key=lambda c: (c["created_at"], c["id"]), reverse=True)
            else:
                params: dict[str, Any] = {"limit": 100}
                if self.kind:
                    params["kind"] = self.kind
                found = await api.get("/badcases", params=params)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.items = found
        self.rows.refresh()

    def _reasons(self, detail: dict[str, Any]) -> str:
        words = []
        for category in detail.get("categories") or []:
            if category in CATEGORY_WORDS:
                zh, en = CATEGORY_WORDS[category]
                words.append(en if self.ctx.lang == "en" else zh)
            else:
                words.append(self.t("sensitive", category=category))
        return "；".join(words) if self.ctx.lang == "zh" else "; ".join(words)

    @ui.refreshable_method
    def rows(self) -> None:
        if not self.items:
            ui.label(self.t("guard_empty" if self.guard else "cases_empty")).classes(
                "text-grey-7 q-pa-sm"
            )
            return
        for case in self.items:
            self._case(case)

    def _case(self, case: dict[str, Any]) -> None:
        testid = "guard-case" if self.guard else "badcase"
        with (
            ui.card().classes("w-full q-pa-sm gap-1").props(f'flat bordered data-testid="{testid}"')
        ):
            with ui.row().classes("w-full items-center gap-2"):
                ui.badge(self._kind(case["kind"]), color=KIND_COLOURS.get(case["kind"], "grey"))
                who = self.users.get(case["user_id"] or 0, str(case["user_id"] or "—"))
                ui.label(self.t("by", who=who, at=when(case["created_at"]))).classes(
                    "text-caption text-grey-7"
                )
                ui.space()
                self.traces.button(case["trace_id"])
            if case["question"]:
                ui.label(case["question"]).classes("text-body2 break-all")
            detail = case.get("detail") or {}
            if case["kind"] in GUARD_KINDS:
                reasons = self._reasons(detail)
                if reasons:
                    ui.label(self.t("reasons", reasons=reasons)).classes(
                        "text-body2 text-negative"
                        if case["kind"] == "guard_block"
                        else "text-body2"
                    )
                ui.label(
                    self.t(
                        "rules",
                        rules=", ".join(detail.get("rules") or []) or "—",
                        score=detail.get("score", "—"),
                    )
                ).classes("text-caption text-grey-7 break-all")
                return
            for key in ("answer", "correction"):
                if case.get(key):
                    text = case[key]
                    short = text if len(text) <= 300 else text[:299] + "…"
                    ui.label(self.t("field", name=self.t(key), text=short)).classes(
                        "text-caption break-all"
                    )
            if detail.get("rules"):
                ui.label(", ".join(detail["rules"])).classes("text-caption text-grey-7")
