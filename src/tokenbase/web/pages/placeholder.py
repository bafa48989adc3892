"""Pages not built yet say so (each area replaces its entry with a module of its own)."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from ..i18n import Table
from ..layout import open_page

TEXT: Table = {"soon": ("此页面正在建设中。", "This page is being built.")}


def _placeholder(path: str, active: str, admin: bool = False) -> None:
    @ui.page(path, title="TokenBase")
    async def page(request: Request) -> None:
        ctx = await open_page(request, active, admin=admin)
        if ctx is not None:
            ui.label(ctx.t(TEXT, "soon")).classes("q-pa-md")


for _path, _active, _admin in (
    ("/chat", "chat", False),
    ("/knowledge", "knowledge", False),
    ("/ledger", "ledger", False),
    ("/agents", "agents", False),
    ("/prompts", "prompts", False),
    ("/people", "people", True),
    ("/governance", "governance", True),
):
    _placeholder(_path, _active, _admin)
