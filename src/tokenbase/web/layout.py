"""The frame of every signed-in page: who is asking, in which language, and the navigation.

@ui.page("/knowledge")
async def knowledge(request: Request) -> None:
    ctx = await open_page(request, "knowledge")
    if ctx is None:
        return              # sent to the sign-in page (or told they may not see it)
    ui.label(ctx.t(TEXT, "title"))
    kbs = await ctx.api.get("/knowledge-bases")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from nicegui import ui

from .api import Api, ApiProblem
from .i18n import LANG_COOKIE, Lang, Table, pick, translate

TEXT: Table = {
    "brand": ("TokenBase 知识库智能体平台", "TokenBase"),
    "chat": ("对话", "Chat"),
    "knowledge": ("知识库", "Knowledge"),
    "people": ("人员与权限", "People"),
    "ledger": ("Token账本", "Ledger"),
    "governance": ("治理", "Governance"),
    "agents": ("数字员工", "Agents"),
    "prompts": ("Prompt资产库", "Prompts"),
    "logout": ("退出", "Sign out"),
    "switch": ("English", "中文"),
    "forbidden": ("只有管理员可以查看此页面。", "Only administrators may see this page."),
    "error": ("出错了：{message}", "Something went wrong: {message}"),
}

# (key, path, administrators only)
NAV = (
    ("chat", "/chat", False),
    ("knowledge", "/knowledge", False),
    ("ledger", "/ledger", False),
    ("agents", "/agents", False),
    ("prompts", "/prompts", False),
    ("people", "/people", True),
    ("governance", "/governance", True),
)


@dataclass
class PageContext:
    request: Request
    api: Api
    user: dict[str, Any]  # GET /auth/me
    lang: Lang

    @property
    def is_admin(self) -> bool:
        return self.user.get("role") == "admin"

    def t(self, table: Table, key: str, **values: object) -> str:
        return translate(table, key, self.lang, **values)

    def notify_error(self, exc: Exception) -> None:
        message = exc.message if isinstance(exc, ApiProblem) else str(exc)
        ui.notify(self.t(TEXT, "error", message=message), type="negative", multi_line=True)


def language(request: Request) -> Lang:
    return pick(request.cookies.get(LANG_COOKIE))


def switch_language(current: Lang) -> None:
    other = "en" if current == "zh" else "zh"
    ui.run_javascript(
        f"document.cookie = '{LANG_COOKIE}={other}; path=/; max-age=31536000; samesite=lax';"
        "location.reload();"
    )


def _here(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


async def open_page(request: Request, active: str, *, admin: bool = False) -> PageContext | None:
    """Resolve the signed-in user (GET /auth/me with their session) and draw the frame.
    Returns None when they must sign in (or change their password) first, or may not see
    an administrators' page — the page has then been handled."""
    api = Api.for_request(request)
    lang = language(request)
    try:
        user = await api.get("/auth/me") if api.session else None
    except ApiProblem:
        user = None
    if user is None:
        ui.navigate.to(f"/login?next={quote(_here(request))}")
        return None
    if user.get("must_change_password"):
        ui.navigate.to("/password")
        return None
    ctx = PageContext(request, api, user, lang)
    _frame(ctx, active)
    if admin and not ctx.is_admin:
        ui.label(ctx.t(TEXT, "forbidden")).classes("text-lg text-negative q-pa-md")
        return None
    return ctx


def _frame(ctx: PageContext, active: str) -> None:
    ui.query("body").classes("bg-grey-1")
    items = [(k, p) for k, p, admin_only in NAV if ctx.is_admin or not admin_only]
    with ui.left_drawer(value=False).classes("bg-white").props("overlay") as drawer:
        for key, path in items:
            ui.link(ctx.t(TEXT, key), path).classes("block q-pa-sm text-base")
    with ui.header().classes("items-center q-px-md q-py-xs bg-primary text-white"):
        ui.button(icon="menu", on_click=drawer.toggle).props(
            "flat round dense color=white"
        ).classes("lt-md")
        ui.label(ctx.t(TEXT, "brand")).classes("gt-xs text-subtitle1 text-weight-bold")
        ui.label("TokenBase").classes("xs text-subtitle1 text-weight-bold")
        with ui.row().classes("gt-sm q-gutter-x-md q-ml-lg"):
            for key, path in items:
                link = ui.link(ctx.t(TEXT, key), path).classes("text-white no-underline")
                if key == active:
                    link.classes("text-weight-bold underline")
                link.props(f'data-nav="{key}"')
        ui.space()
        name = ctx.user.get("display_name") or ctx.user.get("username", "")
        account = ui.link(name, "/account").classes("gt-xs text-caption text-white no-underline")
        account.props('data-testid="account"')
        ui.button(ctx.t(TEXT, "switch"), on_click=lambda: switch_language(ctx.lang)).props(
            'flat dense color=white data-testid="lang-switch"'
        )
        ui.button(ctx.t(TEXT, "logout"), on_click=lambda: logout()).props(
            'flat dense color=white data-testid="logout"'
        )


def logout() -> None:
    ui.run_javascript(
        "fetch('/auth/logout', {method: 'POST', credentials: 'same-origin'})"
        ".finally(() => { location.href = '/ui/login'; });"
    )
