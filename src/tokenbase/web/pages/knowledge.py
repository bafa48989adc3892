"""Knowledge admin: the knowledge bases the user may read (GET /knowledge-bases), creating
one, the glossary; and one knowledge base's page — its documents with live ingest progress
and uploads (knowledge_docs, knowledge_upload), the chunk browser with channel scores
(knowledge_chunks) and, for its managers, its grants (people_grants).

What a user may do follows the API: the access level it reports for each knowledge base
(read / write / manage) decides which controls are shown, and the API refuses the rest."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from .knowledge_chunks import search_panel
from .knowledge_docs import documents_panel
from .knowledge_glossary import glossary_dialog
from .knowledge_labels import LEVEL, segment
from .people_grants import GrantsEditor

TEXT: Table = {
    "title": ("知识库", "Knowledge bases"),
    "new": ("新建知识库", "New knowledge base"),
    "glossary": ("术语表", "Glossary"),
    "name": ("名称", "Name"),
    "description": ("说明（可选）", "Description (optional)"),
    "create": ("创建", "Create"),
    "cancel": ("取消", "Cancel"),
    "created": ("已创建知识库 {name}", "Created {name}"),
    "empty": (
        "你还没有可以查看的知识库。新建一个，或请管理员为你授权。",
        "No knowledge base you may read yet. Create one, or ask an administrator for access.",
    ),
    "counts": ("{docs} 份文档 · {chunks} 个分块", "documents: {docs} · chunks: {chunks}"),
    "back": ("全部知识库", "All knowledge bases"),
    "not_found": (
        "没有这个知识库，或你没有查看它的权限。",
        "No such knowledge base, or you may not see it.",
    ),
    "documents": ("文档", "Documents"),
    "chunks": ("分块检索", "Chunk browser"),
    "access": ("授权", "Access"),
    "your_access": ("你的权限：{level}", "Your access: {level}"),
}


@ui.page("/knowledge", title="TokenBase")
async def knowledge_page(request: Request) -> None:
    ctx = await open_page(request, "knowledge")
    if ctx is None:
        return
    try:
        kbs = await ctx.api.get("/knowledge-bases")
    except ApiProblem as exc:
        ctx.notify_error(exc)
        kbs = []
    with ui.column().classes("w-full max-w-5xl mx-auto q-pa-md gap-3"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(ctx.t(TEXT, "title")).classes("text-h5")
            ui.space()
            ui.button(
                ctx.t(TEXT, "glossary"), icon="menu_book", on_click=lambda: glossary_dialog(ctx)
            ).props('flat dense data-testid="glossary"')
            ui.button(ctx.t(TEXT, "new"), icon="add", on_click=lambda: _create_dialog(ctx)).props(
                'dense data-testid="kb-new"'
            )
        if not kbs:
            ui.label(ctx.t(TEXT, "empty")).classes("text-grey-7").props('data-testid="kb-empty"')
        with ui.element("div").classes("row w-full q-col-gutter-md"):
            for kb in kbs:
                with ui.element("div").classes("col-12 col-sm-6 col-md-4"):
                    _kb_card(ctx, kb)


def _kb_card(ctx: PageContext, kb: dict[str, Any]) -> None:
    target = f"/knowledge/{segment(kb['name'])}"
    card = ui.card().classes("w-full h-full cursor-pointer").props("flat bordered")
    card.props(f'data-testid="kb-card" data-kb="{kb["name"]}"')
    card.on("click", lambda: ui.navigate.to(target))
    with card:
        with ui.row().classes("w-full items-center no-wrap"):
            ui.icon("folder_special", color="primary", size="sm")
            ui.label(kb["name"]).classes("col text-subtitle1 text-weight-medium ellipsis")
            ui.badge(ctx.t(LEVEL, kb["access"]), color="grey-7").props("outline")
        if kb.get("description"):
            ui.label(kb["description"]).classes("text-body2 text-grey-8 ellipsis-2-lines")
        ui.label(ctx.t(TEXT, "counts", docs=kb["documents"], chunks=kb["chunks"])).classes(
            "text-caption text-grey-7"
        )


def _create_dialog(ctx: PageContext) -> None:
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
        ui.label(ctx.t(TEXT, "new")).classes("text-h6")
        name = ui.input(ctx.t(TEXT, "name")).props('outlined autofocus data-testid="kb-name"')
        name.classes("w-full")
        description = ui.textarea(ctx.t(TEXT, "description")).props("outlined autogrow")
        description.classes("w-full")

        async def create() -> None:
            body = {"name": (name.value or "").strip(), "description": description.value or ""}
            try:
                kb = await ctx.api.post("/knowledge-bases", json=body)
            except ApiProblem as exc:
                ctx.notify_error(exc)
                return
            ui.notify(ctx.t(TEXT, "created", name=kb["name"]), type="positive")
            dialog.close()
            ui.navigate.to(f"/knowledge/{segment(kb['name'])}")

        name.on("keydown.enter", create)
        with ui.row().classes("w-full justify-end"):
            ui.button(ctx.t(TEXT, "cancel"), on_click=dialog.close).props("flat")
            ui.button(ctx.t(TEXT, "create"), on_click=create).props('data-testid="kb-create"')
    dialog.on("hide", dialog.delete)
    dialog.open()


@ui.page("/knowledge/{name}", title="TokenBase")
async def knowledge_base_page(request: Request, name: str) -> None:
    ctx = await open_page(request, "knowledge")
    if ctx is None:
        return
    with ui.column().classes("w-full max-w-5xl mx-auto q-pa-md gap-2"):
        ui.link("← " + ctx.t(TEXT, "back"), "/knowledge").classes("text-caption")
        try:
            kb = await ctx.api.get(f"/knowledge-bases/{segment(name)}")
        except ApiProblem:
            ui.label(ctx.t(TEXT, "not_found")).classes("text-negative q-pa-md")
            return
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(kb["name"]).classes("text-h5")
            ui.badge(
                ctx.t(TEXT, "your_access", level=ctx.t(LEVEL, kb["access"])), color="grey-7"
            ).props('outline data-testid="kb-access"')
        if kb.get("description"):
            ui.label(kb["description"]).classes("text-body2 text-grey-8")
        with (
            ui.tabs().classes("w-full text-primary").props("align=left dense inline-label") as tabs
        ):
            docs = ui.tab("docs", ctx.t(TEXT, "documents"), icon="description")
            chunks = ui.tab("chunks", ctx.t(TEXT, "chunks"), icon="manage_search").props(
                'data-testid="tab-chunks"'
            )
            access = None
            if kb["access"] == "manage":
                access = ui.tab("access", ctx.t(TEXT, "access"), icon="lock_open").props(
                    'data-testid="tab-access"'
                )
        with ui.tab_panels(tabs, value=docs).classes("w-full bg-transparent"):
            with ui.tab_panel(docs).style("padding: 0"):
                await documents_panel(ctx, kb)
            with ui.tab_panel(chunks).style("padding: 0"):
                search_panel(ctx, kb)
            if access is not None:
                with ui.tab_panel(access).style("padding: 0"):
                    await _access_panel(ctx, kb)


async def _access_panel(ctx: PageContext, kb: dict[str, Any]) -> None:
    try:
        departments = await ctx.api.get("/departments")
        users = await ctx.api.get("/users") if ctx.is_admin else None
    except ApiProblem as exc:
        ctx.notify_error(exc)
        return
    with ui.card().classes("w-full").props("flat bordered"):
        await GrantsEditor(ctx, kb["name"], departments, users).draw()
