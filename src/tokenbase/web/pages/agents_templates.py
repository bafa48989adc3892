"""Agent templates (智能体超市, administrators): the shipped templates as cards with an import
button (POST /agent-templates/import, with a name override), importing an uploaded template
file, and exporting an agent as a file download (GET /agents/{name}/export)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from nicegui import events, ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "kb": ("知识库：{names}", "Knowledge: {names}"),
    "docs": ("{n} 份示例文档", "{n} sample documents"),
    "name_override": ("导入为（标识）", "Import as (name)"),
    "with_docs": ("导入示例文档", "Import the sample documents"),
    "import": ("导入", "Import"),
    "exists": ("已有同名数字员工，请换一个标识", "An agent has this name: choose another"),
    "imported": (
        "已导入 {name}：Prompt {action}，{docs} 份文档",
        "Imported {name}: prompt {action}, {docs} documents",
    ),
    "warnings": ("注意：{text}", "Note: {text}"),
    "file_title": ("从模板文件导入", "Import a template file"),
    "file_hint": (
        "上传由“导出”得到的 .agent.json 文件（格式 tokenbase.agent-template）。",
        "Upload a .agent.json file from an export (format tokenbase.agent-template).",
    ),
    "choose_file": ("选择或拖入模板文件", "Choose or drop a template file"),
    "file_read": ("文件：{agent}（{display}）", "File: {agent} ({display})"),
    "bad_file": ("不是有效的 JSON 文件：{error}", "Not a valid JSON file: {error}"),
    "no_file": ("请先上传模板文件", "Upload a template file first"),
    "cancel": ("取消", "Cancel"),
    "export_plain": ("导出设置与 Prompt", "Export settings and prompt"),
    "export_docs": ("导出（含知识库文档）", "Export with knowledge documents"),
    "exported": ("已导出 {file}", "Exported {file}"),
}


def import_summary(ctx: PageContext, result: dict[str, Any]) -> None:
    """Tell what an import did (POST /agent-templates/import's answer)."""
    agent = result.get("agent") or {}
    ui.notify(
        ctx.t(
            TEXT,
            "imported",
            name=agent.get("name", ""),
            action=result.get("prompt_action", ""),
            docs=result.get("documents", 0),
        ),
        type="positive",
    )
    notes = list(result.get("warnings") or []) + [
        f"{f.get('filename', '')}: {f.get('error', '')}" if isinstance(f, dict) else str(f)
        for f in result.get("failed") or []
    ]
    if notes:
        ui.notify(
            ctx.t(TEXT, "warnings", text="；".join(notes)),
            type="warning",
            multi_line=True,
            timeout=10000,
        )


async def _import(
    ctx: PageContext,
    body: dict[str, Any],
    name: str,
    knowledge: bool,
    on_done: Callable[[dict[str, Any]], Awaitable[None]],
) -> bool:
    params: dict[str, Any] = {"knowledge": "true" if knowledge else "false"}
    if name.strip():
        params["name"] = name.strip()
    try:
        result = await ctx.api.post("/agent-templates/import", json=body, params=params)
    except ApiProblem as exc:
        ctx.notify_error(exc)
        return False
    import_summary(ctx, result)
    await on_done(result)
    return True


def template_card(
    ctx: PageContext,
    template: dict[str, Any],
    taken: set[str],
    on_done: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    t = ctx.t
    key = template["key"]
    with (
        ui.card()
        .classes("w-full")
        .props(f'flat bordered data-testid="template-card" data-key="{key}"')
    ):
        with ui.row().classes("items-center no-wrap w-full"):
            ui.label(template.get("avatar") or "🤖").classes("text-h4")
            with ui.column().classes("gap-0 col min-w-0"):
                ui.label(template.get("display_name") or key).classes(
                    "text-subtitle1 text-weight-bold"
                )
                ui.label(key).classes("text-caption font-mono text-grey-7")
        ui.label(template.get("description") or "").classes("text-body2 text-grey-9")
        with ui.row().classes("q-gutter-xs"):
            for tool in template.get("tools") or []:
                ui.badge(tool, color="blue-grey-1").classes("text-blue-grey-9")
        ui.label(
            t(TEXT, "kb", names="、".join(template.get("knowledge_bases") or []))
            + " · "
            + t(TEXT, "docs", n=template.get("documents", 0))
        ).classes("text-caption text-grey-7")
        name = (
            ui.input(t(TEXT, "name_override"), value=key if key not in taken else f"{key}-2")
            .props(f'outlined dense data-testid="template-name-{key}"')
            .classes("w-full")
        )
        if key in taken:
            ui.label(t(TEXT, "exists")).classes("text-caption text-warning")
        with ui.row().classes("w-full items-center"):
            docs = ui.checkbox(t(TEXT, "with_docs"), value=True).props("dense")
            ui.space()

            async def run() -> None:
                button.props("loading")
                try:
                    await _import(ctx, {"template": key}, name.value or "", docs.value, on_done)
                finally:
                    button.props(remove="loading")

            button = ui.button(t(TEXT, "import"), icon="download", on_click=run).props(
                f'data-testid="template-import-{key}"'
            )


def file_import_card(
    ctx: PageContext, on_done: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    """Upload a template file, check it parses, then import it (optionally renamed)."""
    t = ctx.t
    loaded: dict[str, Any] = {}
    with ui.card().classes("w-full").props('flat bordered data-testid="template-file"'):
        ui.label(t(TEXT, "file_title")).classes("text-subtitle1 text-weight-bold")
        ui.label(t(TEXT, "file_hint")).classes("text-caption text-grey-7")
        seen = ui.label("").classes("text-body2")
        seen.visible = False

        async def uploaded(e: events.UploadEventArguments) -> None:
            try:
                data = json.loads(await e.file.read())
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                ui.notify(t(TEXT, "bad_file", error=exc), type="negative")
                return
            loaded.clear()
            loaded.update(data)
            agent = data.get("agent") or {}
            seen.text = t(
                TEXT,
                "file_read",
                agent=agent.get("name", "?"),
                display=agent.get("display_name", ""),
            )
            seen.visible = True
            if not name.value:
                name.value = str(agent.get("name") or "")

        ui.upload(
            label=t(TEXT, "choose_file"),
            on_upload=uploaded,
            auto_upload=True,
            max_file_size=64 * 1024 * 1024,
        ).props(
            'accept=".json,application/json" flat bordered data-testid="template-upload"'
        ).classes("w-full")
        name = (
            ui.input(t(TEXT, "name_override"))
            .props('outlined dense data-testid="template-file-name"')
            .classes("w-full")
        )
        with ui.row().classes("w-full items-center"):
            docs = ui.checkbox(t(TEXT, "with_docs"), value=True).props("dense")
            ui.space()

            async def run() -> None:
                if not loaded:
                    ui.notify(t(TEXT, "no_file"), type="warning")
                    return
                await _import(ctx, dict(loaded), name.value or "", docs.value, on_done)

            ui.button(t(TEXT, "import"), icon="upload_file", on_click=run).props(
                'data-testid="template-file-import"'
            )


async def export_agent(ctx: PageContext, name: str, *, knowledge: bool) -> None:
    """Download the agent's template file (GET /agents/{name}/export) in the browser."""
    try:
        data = await ctx.api.get(
            f"/agents/{quote(name, safe='')}/export",
            params={"knowledge": "true" if knowledge else "false"},
        )
    except ApiProblem as exc:
        ctx.notify_error(exc)
        return
    if not isinstance(data, bytes):
        data = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    filename = f"{name}.agent.json"
    ui.download.content(data, filename, media_type="application/json")
    ui.notify(ctx.t(TEXT, "exported", file=filename))


def export_button(ctx: PageContext, name: str) -> None:
    with ui.button(icon="ios_share").props(
        f'flat dense round data-testid="agent-export" data-name="{name}"'
    ):
        with ui.menu():
            ui.menu_item(
                ctx.t(TEXT, "export_plain"),
                on_click=lambda: export_agent(ctx, name, knowledge=False),
            ).props('data-testid="export-plain"')
            ui.menu_item(
                ctx.t(TEXT, "export_docs"),
                on_click=lambda: export_agent(ctx, name, knowledge=True),
            ).props('data-testid="export-docs"')
