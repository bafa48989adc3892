"""The browser UI (NiceGUI, mounted at /ui by `tokenbase serve`): Chinese first, English on a
switch, every script, style, font and chart library served from the installed packages.

The UI is a client of the HTTP API: its pages call the same endpoints an integrator does, on
the server's own loopback address with the signed-in user's session cookie (web/api.py). So
permission filters, audits, budgets and error messages are the API's own, never re-implemented
here.

    app = create_app(platform, web=True)   # what `tokenbase serve` runs
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

MOUNT = "/ui"


def mount_web(app: FastAPI) -> None:
    """Register the pages and mount NiceGUI on `app` (once per process: NiceGUI is global)."""
    from nicegui import ui

    from . import pages  # noqa: F401 - importing registers the @ui.page functions

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{MOUNT}/")

    ui.run_with(
        app,
        mount_path=MOUNT,
        title="TokenBase",
        favicon="📚",
        language="zh-CN",
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )
