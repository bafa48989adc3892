"""The people page (placeholder until this area is built)."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from ..i18n import Table
from ..layout import open_page

TEXT: Table = {"soon": ("此页面正在建设中。", "This page is being built.")}


@ui.page("/people", title="TokenBase")
async def people_page(request: Request) -> None:
    ctx = await open_page(request, "people", admin=True)
    if ctx is not None:
        ui.label(ctx.t(TEXT, "soon")).classes("q-pa-md")
