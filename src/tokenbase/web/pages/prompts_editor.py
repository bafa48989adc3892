"""The prompt editor: a new prompt (POST /prompts) or a new version of one
(POST /prompts/{name}/versions), in a dialog.

The body is text, or chat messages (a role and a text each). Variables follow the body's
`{{name}}` placeholders: each placeholder is declared on save, keeping the type, default and
description it had in the previous version (or in the variables JSON); model parameters are
optional fields, left empty to leave them unset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "new_title": ("新建 Prompt", "New prompt"),
    "commit_title": ("提交新版本：{name}", "Commit a new version: {name}"),
    "name": ("名称（字母、数字、. _ -）", "Name (letters, digits, . _ -)"),
    "description": ("说明", "Description"),
    "kind": ("类型", "Kind"),
    "kind_text": ("文本", "Text"),
    "kind_chat": ("对话消息", "Chat messages"),
    "body": ("正文（用 {{变量}} 作占位符）", "Body ({{variable}} placeholders)"),
    "body_title": ("正文", "Body"),
    "role": ("角色", "Role"),
    "content": ("内容", "Content"),
    "add_message": ("添加消息", "Add a message"),
    "remove": ("删除", "Remove"),
    "variables": ("变量", "Variables"),
    "variables_hint": (
        "保存时按正文中的 {{占位符}} 自动声明；类型、默认值和说明沿用下面的 JSON。",
        "Declared from the body's {{placeholders}} on save; types, defaults and "
        "descriptions come from the JSON below.",
    ),
    "found": ("当前占位符：{names}", "Placeholders now: {names}"),
    "none": ("（无）", "(none)"),
    "variables_json": ("变量定义（JSON，可选）", "Variable specs (JSON, optional)"),
    "params": ("模型参数（留空 = 不设置）", "Model parameters (empty = unset)"),
    "message": ("提交说明", "Commit message"),
    "save": ("提交", "Commit"),
    "cancel": ("取消", "Cancel"),
    "created": ("已创建 {ref}", "Created {ref}"),
    "committed": ("已提交 {ref}", "Committed {ref}"),
    "bad_json": ("变量 JSON 无法解析：{error}", "The variables JSON does not parse: {error}"),
    "bad_param": ("参数 {key} 不是数字", "Parameter {key} is not a number"),
    "need_name": ("请填写名称", "A name is needed"),
    "need_message": ("请填写提交说明", "A commit message is needed"),
}

# (key, kind): the model parameters a version may carry (docs/api.md, prompt library).
PARAMS = (
    ("temperature", float),
    ("top_p", float),
    ("max_tokens", int),
    ("presence_penalty", float),
    ("frequency_penalty", float),
    ("seed", int),
    ("tier", str),
    ("model", str),
)
ROLES = ("system", "user", "assistant")
_PLACEHOLDER = re.compile(r"(\\?)\{\{\s*([^{}]*?)\s*\}\}")


def placeholders(texts: list[str]) -> list[str]:
    """Placeholder names in order of first use (`\\{{` escapes excluded)."""
    found: list[str] = []
    for text in texts:
        for match in _PLACEHOLDER.finditer(text):
            if not match.group(1) and match.group(2) not in found:
                found.append(match.group(2))
    return found


def declare(names: list[str], specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A spec for each placeholder: the known one (minus read-only keys), else a string."""
    known = {s.get("name"): s for s in specs if isinstance(s, dict)}
    out = []
    for name in names:
        spec = dict(known.get(name) or {"name": name, "type": "str"})
        spec.pop("required", None)
        out.append(spec)
    return out


def _param_value(key: str, kind: type, raw: Any) -> Any:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if kind is str:
        return text
    try:
        number = float(text)
    except ValueError:
        raise ValueError(key) from None
    return int(number) if kind is int else number


async def open_editor(
    ctx: PageContext,
    on_saved: Callable[[dict[str, Any]], Awaitable[None]],
    *,
    prompt: dict[str, Any] | None = None,
) -> None:
    """Open the editor. `prompt` (GET /prompts/{name}) commits a new version of it, starting
    from its latest version; without it, a new prompt. `on_saved` gets the API's version."""
    t = ctx.t
    latest = (prompt or {}).get("versions", [{}])[0] if prompt else {}
    kind = {"value": (prompt or {}).get("kind") or "chat"}
    body = latest.get("body")
    messages: list[dict[str, str]] = (
        [dict(m) for m in body]
        if isinstance(body, list)
        else [
            {"role": "system", "content": ""},
            {"role": "user", "content": "{{question}}"},
        ]
    )
    text_body = {"value": body if isinstance(body, str) else "{{question}}"}

    with (
        ui.dialog() as dialog,
        ui.card().classes("tb-area w-full max-w-3xl q-pa-md"),
    ):
        title = t(TEXT, "commit_title", name=prompt["name"]) if prompt else t(TEXT, "new_title")
        ui.label(title).classes("text-h6")
        name_input = description = None
        if prompt is None:
            name_input = (
                ui.input(t(TEXT, "name"))
                .props('outlined dense data-testid="prompt-name"')
                .classes("w-full")
            )
            description = (
                ui.input(t(TEXT, "description"))
                .props('outlined dense data-testid="prompt-description"')
                .classes("w-full")
            )
            ui.toggle(
                {"chat": t(TEXT, "kind_chat"), "text": t(TEXT, "kind_text")},
                value=kind["value"],
                on_change=lambda e: (kind.update(value=e.value), body_editor.refresh()),
            ).props('dense data-testid="prompt-kind"')

        def texts() -> list[str]:
            if kind["value"] == "text":
                return [text_body["value"] or ""]
            return [m.get("content", "") for m in messages]

        def show_found() -> None:
            names = placeholders(texts())
            found.text = t(TEXT, "found", names=", ".join(names) or t(TEXT, "none"))

        @ui.refreshable
        def body_editor() -> None:
            if kind["value"] == "text":
                area = (
                    ui.textarea(t(TEXT, "body"), value=text_body["value"])
                    .props('outlined autogrow data-testid="prompt-body"')
                    .classes("w-full")
                )
                area.on_value_change(lambda e: (text_body.update(value=e.value), show_found()))
                return
            for index, message in enumerate(messages):
                with ui.row().classes("w-full items-start no-wrap q-gutter-x-sm"):
                    ui.select(list(ROLES), value=message["role"]).props(
                        f'outlined dense data-testid="message-role-{index}"'
                    ).classes("w-28").on_value_change(lambda e, m=message: m.update(role=e.value))
                    area = (
                        ui.textarea(t(TEXT, "content"), value=message["content"])
                        .props(f'outlined autogrow dense data-testid="message-{index}"')
                        .classes("col")
                    )
                    area.on_value_change(
                        lambda e, m=message: (m.update(content=e.value), show_found())
                    )
                    ui.button(icon="delete", on_click=lambda i=index: remove(i)).props(
                        "flat round dense color=grey-7"
                    ).tooltip(t(TEXT, "remove"))
            ui.button(t(TEXT, "add_message"), icon="add", on_click=add).props("flat dense")

        def add() -> None:
            messages.append({"role": "user", "content": ""})
            body_editor.refresh()

        def remove(index: int) -> None:
            if len(messages) > 1:
                messages.pop(index)
                body_editor.refresh()
                show_found()

        ui.label(t(TEXT, "body_title")).classes("text-subtitle2 q-mt-sm")
        body_editor()
        found = ui.label("").classes("text-caption text-grey-7")
        ui.label(t(TEXT, "variables")).classes("text-subtitle2 q-mt-sm")
        ui.label(t(TEXT, "variables_hint")).classes("text-caption text-grey-7")
        show_found()
        specs = latest.get("variables") or []
        with ui.expansion(t(TEXT, "variables_json")).classes("w-full").props("dense"):
            variables_json = (
                ui.textarea(value=json.dumps(specs, ensure_ascii=False, indent=1) if specs else "")
                .props('outlined autogrow dense data-testid="prompt-variables"')
                .classes("w-full font-mono text-xs")
            )
        ui.label(t(TEXT, "params")).classes("text-subtitle2 q-mt-sm")
        params = latest.get("params") or {}
        inputs: dict[str, Any] = {}
        with ui.grid().classes("w-full grid-cols-2 sm:grid-cols-4 gap-2"):
            for key, _ in PARAMS:
                value = params.get(key)
                inputs[key] = ui.input(key, value="" if value is None else str(value)).props(
                    f'outlined dense data-testid="param-{key}"'
                )
        message = (
            ui.input(t(TEXT, "message"))
            .props('outlined dense data-testid="prompt-message"')
            .classes("w-full q-mt-sm")
        )

        async def save() -> None:
            try:
                given = json.loads(variables_json.value) if variables_json.value.strip() else []
            except ValueError as exc:
                ui.notify(t(TEXT, "bad_json", error=exc), type="warning")
                return
            values: dict[str, Any] = {}
            for key, kind_of in PARAMS:
                try:
                    value = _param_value(key, kind_of, inputs[key].value)
                except ValueError:
                    ui.notify(t(TEXT, "bad_param", key=key), type="warning")
                    return
                if value is not None:
                    values[key] = value
            if kind["value"] == "text":
                payload_body: Any = text_body["value"] or ""
            else:
                payload_body = [m for m in messages if m.get("content", "").strip()]
            variables = declare(placeholders(texts()), given if isinstance(given, list) else [])
            if not (message.value or "").strip() and prompt is not None:
                ui.notify(t(TEXT, "need_message"), type="warning")
                return
            payload = {
                "body": payload_body,
                "variables": variables,
                "params": values,
                "message": (message.value or "").strip(),
            }
            try:
                if prompt is None:
                    name = (name_input.value or "").strip() if name_input else ""
                    if not name:
                        ui.notify(t(TEXT, "need_name"), type="warning")
                        return
                    payload |= {"name": name, "description": description.value or ""}
                    saved = await ctx.api.post("/prompts", json=payload)
                    ui.notify(t(TEXT, "created", ref=saved["ref"]), type="positive")
                else:
                    saved = await ctx.api.post(f"/prompts/{prompt['name']}/versions", json=payload)
                    ui.notify(t(TEXT, "committed", ref=saved["ref"]), type="positive")
            except ApiProblem as exc:
                ctx.notify_error(exc)
                return
            dialog.close()
            await on_saved(saved)

        with ui.row().classes("w-full justify-end q-mt-md"):
            ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
            ui.button(t(TEXT, "save"), on_click=save).props('data-testid="prompt-save"')
    dialog.open()
