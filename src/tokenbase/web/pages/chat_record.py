"""Voice capture of structured records (visit notes, tasks, expenses, follow-ups): say or type
one sentence, see the fields extracted from it, correct them, then save.

Nothing is stored until the person presses save: the sentence goes to POST /voice/intents
with `dry_run` (a draft: the model or, without one, the rules extract the fields), the form
shows them, and POST /voice/records stores what was confirmed — marked `manual` when a field
was changed. A user expects a form that is "filled in for me", not a record that is already
filed and has to be deleted when the machine misheard.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "title": ("语音记录", "Voice record"),
    "hint": (
        "说一句话或输入一句话，例如：提醒我明天下午三点给华东电力回电话",
        "Say or type one sentence, e.g. 提醒我明天下午三点给华东电力回电话",
    ),
    "utterance": ("要记录的话", "What to record"),
    "schema": ("记录类型", "Kind of record"),
    "auto": ("自动识别", "Detect"),
    "extract": ("识别", "Extract"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "check": ("请核对以下内容，确认无误后保存：", "Check the fields, then save:"),
    "kind": ("类型：{title}", "Kind: {title}"),
    "by_model": ("由大模型提取（{model}）", "Extracted by a model ({model})"),
    "by_rules": ("按规则提取", "Extracted by rules"),
    "list_hint": ("每行一项", "One item a line"),
    "saved": ("已保存：{title} #{id}", "Saved: {title} #{id}"),
    "empty": ("请先说或输入一句话", "Say or type a sentence first"),
}


def _kind(prop: dict[str, Any]) -> str:
    """How a schema property is edited: list, enum, number or text."""
    types = prop.get("type")
    types = types if isinstance(types, list) else [types]
    if "array" in types:
        return "list"
    if "enum" in prop:
        return "enum"
    if "number" in types or "integer" in types:
        return "number"
    return "text"


def _nullable(prop: dict[str, Any]) -> bool:
    types = prop.get("type")
    return isinstance(types, list) and "null" in types


def to_form(prop: dict[str, Any], value: Any) -> Any:
    kind = _kind(prop)
    if kind == "list":
        return "\n".join(str(v) for v in (value or []))
    if kind == "number":
        return value
    return "" if value is None else str(value)


def from_form(prop: dict[str, Any], value: Any) -> Any:
    """A form value back in the schema's terms (empty → null where allowed)."""
    kind = _kind(prop)
    if kind == "list":
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]
    if kind == "number":
        if value in (None, ""):
            return None
        number = float(value)
        return int(number) if number.is_integer() else number
    if value in (None, ""):
        return None if _nullable(prop) or kind == "enum" else ""
    return str(value)


class RecordDialog:
    """The dialog; `open()` shows it, `heard(text)` puts recognised words into it."""

    def __init__(self, ctx: PageContext, on_mic: Any) -> None:
        self.ctx = ctx
        self.schemas: dict[str, dict[str, Any]] = {}
        self.draft: dict[str, Any] | None = None
        self.inputs: dict[str, Any] = {}
        t = lambda key, **v: ctx.t(TEXT, key, **v)  # noqa: E731
        with (
            ui.dialog() as self.dialog,
            ui.card().classes("w-full max-w-xl").props('data-testid="record-dialog"'),
        ):
            ui.label(t("title")).classes("text-h6")
            ui.label(t("hint")).classes("text-caption text-grey-7")
            with ui.row().classes("w-full items-end no-wrap"):
                self.utterance = (
                    ui.textarea(t("utterance"))
                    .props('autogrow outlined dense data-testid="record-text"')
                    .classes("col")
                )
                self.mic = on_mic(self)
            with ui.row().classes("w-full items-center"):
                self.schema = ui.select({"": t("auto")}, value="", label=t("schema")).classes(
                    "min-w-[10rem]"
                )
                ui.space()
                ui.button(t("extract"), icon="auto_fix_high", on_click=self.extract).props(
                    'data-testid="record-extract"'
                )
            self.form = ui.column().classes("w-full gap-1")
            with ui.row().classes("w-full justify-end"):
                ui.button(t("cancel"), on_click=self.dialog.close).props("flat")
                self.save_button = ui.button(t("save"), icon="save", on_click=self.save).props(
                    'data-testid="record-save"'
                )
                self.save_button.disable()

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    async def open(self) -> None:
        if not self.schemas:
            try:
                found = await self.ctx.api.get("/voice/schemas")
            except ApiProblem as exc:
                self.ctx.notify_error(exc)
                return
            self.schemas = {s["name"]: s for s in found}
            self.schema.options = {"": self.t("auto")} | {s["name"]: s["title"] for s in found}
            self.schema.update()
        self.dialog.open()

    def heard(self, text: str) -> None:
        self.utterance.value = text

    async def extract(self) -> None:
        text = (self.utterance.value or "").strip()
        if not text:
            ui.notify(self.t("empty"), type="warning")
            return
        body: dict[str, Any] = {"text": text, "dry_run": True}
        if self.schema.value:
            body["schema"] = self.schema.value
        try:
            self.draft = await self.ctx.api.post("/voice/intents", json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self._show(self.draft)

    def _properties(self, name: str) -> dict[str, dict[str, Any]]:
        schema = self.schemas.get(name, {}).get("schema") or {}
        return schema.get("properties") or {}

    def _show(self, draft: dict[str, Any]) -> None:
        self.form.clear()
        self.inputs = {}
        props = self._properties(draft["schema"])
        with self.form:
            ui.label(self.t("check")).classes("text-body2 q-mt-sm")
            how = (
                self.t("by_model", model=draft.get("model") or "")
                if draft.get("extracted_by") == "model"
                else self.t("by_rules")
            )
            ui.label(f"{self.t('kind', title=draft['schema_title'])} · {how}").classes(
                "text-caption text-grey-7"
            ).props('data-testid="record-kind"')
            if draft.get("notice"):
                ui.label(draft["notice"]).classes("text-caption text-orange-9")
            for key, prop in props.items():
                title = prop.get("title", key)
                value = to_form(prop, draft["data"].get(key))
                kind = _kind(prop)
                testid = f'data-testid="field-{key}"'
                if kind == "enum":
                    options = [""] + [str(o) for o in prop["enum"]]
                    field = ui.select(options, value=value or "", label=title)
                elif kind == "list":
                    field = ui.textarea(title, value=value).props(f"autogrow {testid}")
                    field.props(f'hint="{self.t("list_hint")}"')
                elif kind == "number":
                    field = ui.number(title, value=value).props(testid)
                else:
                    field = ui.input(title, value=value).props(testid)
                field.classes("w-full").props("dense outlined")
                self.inputs[key] = field
        self.save_button.enable()

    async def save(self) -> None:
        draft = self.draft
        if draft is None:
            return
        props = self._properties(draft["schema"])
        data = {key: from_form(props[key], field.value) for key, field in self.inputs.items()}
        # An empty field the schema does not allow to be null is left out rather than sent.
        data = {k: v for k, v in data.items() if v is not None or _nullable(props[k])}
        original = {key: draft["data"].get(key) for key in data}
        same = all(
            data[k] == original[k] or (data[k] in (None, "", []) and original[k] in (None, "", []))
            for k in data
        )
        body = {
            "schema": draft["schema"],
            "data": data,
            "utterance": draft.get("utterance") or self.utterance.value,
            "extracted_by": draft["extracted_by"] if same else "manual",
            "model": draft.get("model") or "",
            "trace_id": draft.get("trace_id") or "",
        }
        try:
            stored = await self.ctx.api.post("/voice/records", json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("saved", title=draft["schema_title"], id=stored["id"]), type="positive")
        self.draft = None
        self.form.clear()
        self.save_button.disable()
        self.utterance.value = ""
        self.dialog.close()
