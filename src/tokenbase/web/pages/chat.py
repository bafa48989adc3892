"""The chat page (placeholder until this area is built)."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from ..i18n import Table
from ..layout import open_page

TEXT: Table = {"soon": ("此页面正在建设中。", "This page is being built.")}


@ui.page("/chat", title="TokenBase")
async def chat_page(request: Request) -> None:
    ctx = await open_page(request, "chat", admin=False)
    if ctx is not None:
        ui.label(ctx.t(TEXT, "soon")).classes("q-pa-md")
