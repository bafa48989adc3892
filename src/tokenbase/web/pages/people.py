"""People and access (/ui/people, administrators only): the departments tree and the users
in it, knowledge-base grants, and the administrator's own API keys — all through the API
(/departments, /users, /knowledge-bases/{kb}/grants, /keys), so every change is the API's,
audited there."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from .people_departments import DepartmentsPanel
from .people_grants import GrantsEditor
from .people_keys import KeysPanel
from .people_users import UsersPanel

TEXT: Table = {
    "title": ("人员与权限", "People and access"),
    "people": ("部门与用户", "Departments and users"),
    "grants": ("知识库授权", "Knowledge-base grants"),
    "keys": ("API 密钥", "API keys"),
    "kb": ("知识库", "Knowledge base"),
    "no_kb": ("还没有知识库。", "No knowledge bases yet."),
    "grants_hint": (
        "只读：检索和问答；编辑：上传、修改文档；管理：还可以授权。",
        "Read: search and ask; write: upload and edit documents; manage: also grant access.",
    ),
}


class PeoplePage:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.users: list[dict[str, Any]] = []
        self.tree: list[dict[str, Any]] = []

    def t(self, key: str) -> str:
        return self.ctx.t(TEXT, key)

    async def draw(self) -> None:
        with ui.column().classes("w-full max-w-6xl mx-auto q-pa-md gap-2"):
            ui.label(self.t("title")).classes("text-h5")
            with (
                ui.tabs()
                .classes("w-full text-primary")
                .props("align=left dense inline-label outside-arrows mobile-arrows") as tabs
            ):
                people = ui.tab("people", self.t("people"), icon="groups")
                grants = ui.tab("grants", self.t("grants"), icon="lock_open").props(
                    'data-testid="tab-grants"'
                )
                keys = ui.tab("keys", self.t("keys"), icon="key").props('data-testid="tab-keys"')
            with ui.tab_panels(tabs, value=people).classes("w-full bg-transparent"):
                with ui.tab_panel(people).style("padding: 0"):
                    with ui.element("div").classes("row w-full items-start q-col-gutter-md"):
                        with ui.element("div").classes("col-12 col-md-4"):
                            with ui.card().classes("w-full").props("flat bordered"):
                                self.departments = DepartmentsPanel(self.ctx, self.reload)
                                self.departments.draw()
                        with ui.element("div").classes("col-12 col-md-8"):
                            with ui.card().classes("w-full").props("flat bordered"):
                                self.people = UsersPanel(self.ctx, self.reload)
                                self.people.draw()
                with ui.tab_panel(grants).style("padding: 0"):
                    with ui.card().classes("w-full").props("flat bordered"):
                        self.grants_box = ui.column().classes("w-full")
                with ui.tab_panel(keys).style("padding: 0"):
                    with ui.card().classes("w-full").props("flat bordered"):
                        await KeysPanel(self.ctx).draw()
        await self.reload()

    async def reload(self) -> None:
        try:
            self.users = await self.ctx.api.get("/users")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        await self.departments.load(self.users)
        self.tree = self.departments.tree
        self.people.show(self.users, self.tree)
        await self.draw_grants()

    async def draw_grants(self) -> None:
        try:
            kbs = await self.ctx.api.get("/knowledge-bases")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        current = getattr(self, "kb_select", None)
        chosen = current.value if current is not None else None
        names = [kb["name"] for kb in kbs]
        self.grants_box.clear()
        with self.grants_box:
            if not names:
                ui.label(self.t("no_kb")).classes("text-grey-7")
                return
            self.kb_select = (
                ui.select(
                    names,
                    value=chosen if chosen in names else names[0],
                    label=self.t("kb"),
                    on_change=lambda: self.show_grants(),
                )
                .props('outlined dense data-testid="grant-kb"')
                .classes("w-full max-w-sm")
            )
            ui.label(self.t("grants_hint")).classes("text-caption text-grey-7")
            self.editor_box = ui.column().classes("w-full")
        await self.show_grants()

    async def show_grants(self) -> None:
        self.editor_box.clear()
        with self.editor_box:
            editor = GrantsEditor(self.ctx, self.kb_select.value, self.tree, self.users)
            await editor.draw()


@ui.page("/people", title="TokenBase")
async def people_page(request: Request) -> None:
    ctx = await open_page(request, "people", admin=True)
    if ctx is not None:
        await PeoplePage(ctx).draw()
