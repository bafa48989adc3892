"""The input fence's policies (GET /guard/policies: tokenbase.toml plus administrators'
overrides, edited here with PUT/DELETE /guard/policies/{scenario}: audited, the same edits as
`tokenbase guard policy`) and the sensitive-word lexicon, which is edited live
(GET/POST/DELETE /guard/lexicon: audited, the same edits as `tokenbase guard lexicon`)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "policies": ("输入围栏策略", "Input fence policies"),
    "config_note": (
        "策略来自 tokenbase.toml 的 [guard.input]（默认）与 "
        "[guard.input.scenarios.<场景或智能体>]；管理员可在下方在线修改，下一次请求即生效，"
        "“恢复配置”撤销修改。✎ 表示在线修改的值。敏感词库在更下方编辑，同样即时生效。",
        "Policies come from tokenbase.toml ([guard.input] for the default, "
        "[guard.input.scenarios.<scenario or agent>]); administrators can override them below, "
        "effective from the next request, and 'Back to config' undoes an override. ✎ marks an "
        "overridden value. The sensitive-word lexicon further down is edited live too.",
    ),
    "edit_policy": ("修改策略", "Edit a policy"),
    "scenario": ("场景或智能体（* 为默认）", "Scenario or agent (* = default)"),
    "inherit": ("沿用配置", "inherit"),
    "flag_threshold": ("标记阈值（0-1）", "Flag threshold (0-1)"),
    "block_threshold": ("拦截阈值（0-1）", "Block threshold (0-1)"),
    "sensitive_default": ("其他类别", "Other categories"),
    "save": ("保存", "Save"),
    "reset": ("恢复配置", "Back to config"),
    "saved": ("已保存「{name}」的策略", "Saved the policy of '{name}'"),
    "reset_done": ("「{name}」已恢复为配置", "'{name}' is back to the configuration"),
    "no_override": ("「{name}」没有在线修改", "'{name}' has no override"),
    "need_scenario": ("请选择或输入场景名称。", "Pick or type a scenario name."),
    "bad_thresholds": (
        "标记阈值不能高于拦截阈值。",
        "The flag threshold must not exceed the block threshold.",
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
        self.sensitive_selects: dict[str, Any] = {}

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def build(self) -> None:
        with ui.card().classes("w-full q-pa-md").props("flat bordered"):
            ui.label(self.t("policies")).classes("text-subtitle2")
            ui.label(self.t("config_note")).classes("text-caption text-grey-7")
            self.policy_table()
            if self.ctx.is_admin:
                self.policy_editor()
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
        if self.ctx.is_admin:
            names = ["*", *self.policies.get("scenarios", {})]
            current = self.scenario.value if self.scenario.value in names else None
            self.scenario.set_options(names, value=current or "*")
            self.pick()

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
            sources = p.get("sources", {})

            def mark(field: str, sources: dict[str, Any] = sources) -> str:
                return "✎" if sources.get(field) == "override" else ""

            by_category = sources.get("sensitive_actions", {})
            sensitive = [
                f"{c}: {self._action(a)}{'✎' if by_category.get(c) == 'override' else ''}"
                for c, a in sorted(p["sensitive_actions"].items())
            ]
            other = self._action(p["sensitive_default_action"])
            sensitive.append(self.t("other", action=other + mark("sensitive_default_action")))
            thresholds = (
                f"{p['flag_threshold']:.2f}{mark('flag_threshold')} / "
                f"{p['block_threshold']:.2f}{mark('block_threshold')}"
            )
            rows.append(
                {
                    "policy": name or self.t("default"),
                    "injection": self._action(p["injection_action"]) + mark("injection_action"),
                    "document": self._action(p["document_action"]) + mark("document_action"),
                    "thresholds": thresholds,
                    "sensitive": "；".join(sensitive)
                    if self.ctx.lang == "zh"
                    else "; ".join(sensitive),
                }
            )
        ui.table(columns=columns, rows=rows, row_key="policy").props(
            'flat dense wrap-cells data-testid="guard-policies"'
        ).classes("w-full")

    # -- editing (administrators, through PUT/DELETE /guard/policies/{scenario}) -------------
    def _choices(self) -> dict[str, str]:
        return {"": self.t("inherit"), **{a: self.t(a) for a in ("block", "flag", "pass")}}

    def policy_editor(self) -> None:
        with ui.column().classes("w-full gap-2 q-mt-md").props('data-testid="policy-editor"'):
            ui.label(self.t("edit_policy")).classes("text-body2 text-weight-medium")
            with ui.row().classes("w-full items-start gap-2"):
                self.scenario = ui.select(
                    ["*"],
                    value="*",
                    label=self.t("scenario"),
                    with_input=True,
                    new_value_mode="add-unique",
                    on_change=lambda: self.pick(),
                ).props('dense outlined data-testid="policy-scenario"')
                self.scenario.classes("w-56")
                self.injection = self._select("injection", "policy-injection")
                self.document = self._select("document", "policy-document")
                self.flag = ui.number(self.t("flag_threshold"), min=0, max=1, step=0.05)
                self.flag.props('dense outlined clearable data-testid="policy-flag"')
                self.flag.classes("w-36")
                self.block = ui.number(self.t("block_threshold"), min=0, max=1, step=0.05)
                self.block.props('dense outlined clearable data-testid="policy-block"')
                self.block.classes("w-36")
            ui.label(self.t("sensitive")).classes("text-caption text-grey-7")
            self.sensitive_editor()
            with ui.row().classes("gap-2"):
                ui.button(self.t("save"), icon="save", on_click=self.save).props(
                    'unelevated data-testid="policy-save"'
                )
                ui.button(self.t("reset"), icon="restart_alt", on_click=self.reset).props(
                    'flat data-testid="policy-reset"'
                )

    def _select(self, label: str, testid: str) -> Any:
        select = ui.select(self._choices(), value="", label=self.t(label))
        select.props(f'dense outlined data-testid="{testid}"').classes("w-40")
        return select

    def _override(self, name: str) -> dict[str, Any]:
        if name == "*":
            policy = self.policies.get("default", {})
        else:
            policy = self.policies.get("scenarios", {}).get(name, {})
        return policy.get("override") or {}

    def _categories(self) -> list[str]:
        known = set(self.policies.get("default", {}).get("sensitive_actions", {}))
        known |= {e["category"] for e in self.entries}
        return sorted(known)

    @ui.refreshable_method
    def sensitive_editor(self) -> None:
        override = self._override(self.scenario.value or "*") if self.policies else {}
        actions = override.get("sensitive_actions", {})
        self.sensitive_selects = {}
        with ui.row().classes("w-full items-start gap-2"):
            for category in self._categories():
                select = ui.select(self._choices(), value=actions.get(category, ""), label=category)
                select.props(
                    f'dense outlined data-testid="policy-sensitive" data-category="{category}"'
                )
                select.classes("w-36")
                self.sensitive_selects[category] = select
            self.sensitive_default = ui.select(
                self._choices(),
                value=override.get("sensitive_default_action", ""),
                label=self.t("sensitive_default"),
            ).props('dense outlined data-testid="policy-sensitive-default"')
            self.sensitive_default.classes("w-36")

    def pick(self) -> None:
        """Show the chosen scenario's override in the editor (empty fields inherit)."""
        override = self._override(self.scenario.value or "*")
        self.injection.value = override.get("injection_action", "")
        self.document.value = override.get("document_action", "")
        self.flag.value = override.get("flag_threshold")
        self.block.value = override.get("block_threshold")
        self.sensitive_editor.refresh()

    async def save(self) -> None:
        name = (self.scenario.value or "").strip()
        if not name:
            ui.notify(self.t("need_scenario"), type="warning")
            return
        flag, block = self.flag.value, self.block.value
        if flag is not None and block is not None and flag > block:
            ui.notify(self.t("bad_thresholds"), type="warning")
            return
        body = {
            "injection_action": self.injection.value or None,
            "document_action": self.document.value or None,
            "flag_threshold": flag,
            "block_threshold": block,
            "sensitive_actions": {c: s.value for c, s in self.sensitive_selects.items() if s.value},
            "sensitive_default_action": self.sensitive_default.value or None,
        }
        try:
            await self.ctx.api.put(f"/guard/policies/{quote(name, safe='')}", json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("saved", name=name), type="positive")
        await self.load()

    async def reset(self) -> None:
        name = (self.scenario.value or "").strip()
        if not name or not self._override(name):
            ui.notify(self.t("no_override", name=name or "*"), type="warning")
            return
        try:
            await self.ctx.api.delete(f"/guard/policies/{quote(name, safe='')}")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("reset_done", name=name), type="positive")
        await self.load()

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
