"""The input fence's policies (GET /guard/policies: read-only, they are configuration — the
panel says where to change them) and the sensitive-word lexicon, which is edited live
(GET/POST/DELETE /guard/lexicon: audited, the same edits as `tokenbase guard lexicon`)."""

from __future__ import annotations

import re
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "policies": ("输入围栏策略", "Input fence policies"),
    "config_note": (
        "策略属于配置：在 tokenbase.toml 的 [guard.input]（默认）与 "
        "[guard.input.scenarios.<场景或智能体>] 中修改，重启 tokenbase serve 后生效。"
        "敏感词库在下方直接编辑，即时生效。",
        "Policies are configuration: change them in tokenbase.toml under [guard.input] (the "
        "default) and [guard.input.scenarios.<scenario or agent>], then restart tokenbase "
        "serve. The sensitive-word lexicon below is edited live.",
    ),
    "disabled": ("输入围栏已关闭（guard.input.enabled = false）。", "The input fence is off."),
    "policy": ("策略", "Policy"),
    "default": ("默认", "Default"),
    "injection": ("疑似注入（问题）", "Injection (question)"),
    "document": ("疑似注入（文档）", "Injection (document)"),
    "thresholds": ("标记 / 拦截阈值", "Flag / block threshold"),
    "sensitive": ("敏感词", "Sensitive words"),
    "other": ("其他类别：{action}", "other categories: {action}"),
    "block": ("拦截", "block"),
    "flag": ("标记", "flag"),
    "pass": ("放行", "pass"),
    "lexicon": ("敏感词库", "Sensitive-word lexicon"),
    "words": ("词语（可用空格、逗号或换行分隔多个）", "Words (several: spaces, commas or lines)"),
    "category": ("类别", "Category"),
    "add": ("添加", "Add"),
    "added": ("已添加 {n} 个词", "Added {n} words"),
    "unchanged": ("已在词库中：{words}", "Already in the lexicon: {words}"),
    "need_words": ("请填写词语和类别。", "Give the words and a category."),
    "filter": ("查找", "Find"),
    "bundled": ("内置", "bundled"),
    "database": ("新增", "added"),
    "removed": ("已移除「{word}」", "Removed '{word}'"),
    "count": ("{n} 个词", "{n} words"),
    "remove_hint": (
        "点 × 移除：新增的词会删除，内置的词会隐藏。",
        "Press × to remove: added words are deleted, bundled ones hidden.",
    ),
}

SPLIT = re.compile(r"[\s,，、;；]+")


class PolicyPanel:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.policies: dict[str, Any] = {}
        self.entries: list[dict[str, str]] = []

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.card().classes("w-full q-pa-md").props("flat bordered"):
            ui.label(self.t("policies")).classes("text-subtitle2")
            ui.label(self.t("config_note")).classes("text-caption text-grey-7")
            self.policy_table()
        with ui.card().classes("w-full q-pa-md gap-2").props("flat bordered"):
            ui.label(self.t("lexicon")).classes("text-subtitle2")
            with ui.row().classes("w-full items-start gap-2"):
                self.words = ui.input(self.t("words")).props(
                    'dense outlined data-testid="lexicon-words"'
                )
                self.words.classes("grow min-w-[12rem]")
                self.category = ui.select(
                    [], label=self.t("category"), with_input=True, new_value_mode="add-unique"
                ).props('dense outlined data-testid="lexicon-category"')
                self.category.classes("w-48")
                ui.button(self.t("add"), icon="add", on_click=self.add).props(
                    'unelevated data-testid="lexicon-add"'
                )
            with ui.row().classes("w-full items-center gap-2"):
                self.find = ui.input(self.t("filter"), on_change=lambda: self.lexicon.refresh())
                self.find.props('dense outlined clearable data-testid="lexicon-filter"')
                self.find.classes("w-48")
                ui.label(self.t("remove_hint")).classes("text-caption text-grey-7")
            self.lexicon()

    async def load(self) -> None:
        api = self.ctx.api
        try:
            self.policies = await api.get("/guard/policies")
            self.entries = await api.get("/guard/lexicon")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        categories = sorted({e["category"] for e in self.entries})
        self.category.set_options(categories, value=self.category.value or None)
        self.policy_table.refresh()
        self.lexicon.refresh()

    # -- policies ----------------------------------------------------------------------------
    def _action(self, action: str) -> str:
        return self.t(action) if action in ("block", "flag", "pass") else action

    @ui.refreshable_method
    def policy_table(self) -> None:
        if not self.policies:
            return
        if not self.policies.get("enabled", True):
            ui.label(self.t("disabled")).classes("text-negative")
        named = [("", self.policies["default"])] + list(self.policies["scenarios"].items())
        columns = [
            {"name": k, "label": self.t(k), "field": k, "align": "left"}
            for k in ("policy", "injection", "document", "thresholds", "sensitive")
        ]
        rows = []
        for name, p in named:
            sensitive = [
                f"{c}: {self._action(a)}" for c, a in sorted(p["sensitive_actions"].items())
            ]
            sensitive.append(self.t("other", action=self._action(p["sensitive_default_action"])))
            rows.append(
                {
                    "policy": name or self.t("default"),
                    "injection": self._action(p["injection_action"]),
                    "document": self._action(p["document_action"]),
                    "thresholds": f"{p['flag_threshold']:.2f} / {p['block_threshold']:.2f}",
                    "sensitive": "；".join(sensitive)
                    if self.ctx.lang == "zh"
                    else "; ".join(sensitive),
                }
            )
        ui.table(columns=columns, rows=rows, row_key="policy").props(
            'flat dense wrap-cells data-testid="guard-policies"'
        ).classes("w-full")

    # -- lexicon -----------------------------------------------------------------------------
    @ui.refreshable_method
    def lexicon(self) -> None:
        needle = (self.find.value or "").strip() if hasattr(self, "find") else ""
        shown = [e for e in self.entries if needle in e["word"] or needle in e["category"]]
        ui.label(self.t("count", n=len(shown))).classes("text-caption text-grey-7")
        by_category: dict[str, list[dict[str, str]]] = {}
        for entry in shown:
            by_category.setdefault(entry["category"], []).append(entry)
        for category, entries in sorted(by_category.items()):
            with ui.column().classes("w-full gap-1"):
                ui.label(category).classes("text-body2 text-weight-medium")
                with ui.row().classes("w-full gap-1"):
                    for entry in entries:
                        self._chip(entry)

    def _chip(self, entry: dict[str, str]) -> None:
        added = entry["source"] == "database"
        chip = ui.chip(
            entry["word"],
            removable=True,
            color="primary" if added else "grey-4",
            text_color="white" if added else "black",
            on_value_change=lambda: self.remove(entry),
        )
        chip.props(f'dense data-testid="lexicon-word" data-word="{entry["word"]}"')
        chip.tooltip(self.t(entry["source"]))

    async def add(self) -> None:
        words = [w for w in SPLIT.split(self.words.value or "") if w]
        category = (self.category.value or "").strip()
        if not words or not category:
            ui.notify(self.t("need_words"), type="warning")
            return
        try:
            result = await self.ctx.api.post(
                "/guard/lexicon", json={"words": words, "category": category}
            )
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("added", n=len(result["added"])), type="positive")
        if result["unchanged"]:
            ui.notify(self.t("unchanged", words="、".join(result["unchanged"])))
        self.words.value = ""
        await self.load()

    async def remove(self, entry: dict[str, str]) -> None:
        try:
            await self.ctx.api.delete(
                "/guard/lexicon", params={"word": entry["word"], "category": entry["category"]}
            )
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
        else:
            ui.notify(self.t("removed", word=entry["word"]))
        await self.load()
