"""Knowledge-base grants (GET/PUT /knowledge-bases/{kb}/grants, DELETE .../grants/{id}): who
may read, write or manage one knowledge base — users, or departments (inherited by their
sub-departments). Used on the people page (administrators, any knowledge base) and on a
knowledge base's own page (its managers)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .knowledge_labels import LEVEL, options, segment
from .people_departments import flatten

TEXT: Table = {
    "grants": ("授权", "Grants"),
    "none": (
        "还没有授权：只有管理员可以看到这个知识库。",
        "No grants: only administrators see it.",
    ),
    "user": ("用户", "User"),
    "department": ("部门", "Department"),
    "who": ("授权对象", "Grant to"),
    "username": ("用户名", "Username"),
    "level": ("权限", "Access"),
    "grant": ("授权", "Grant"),
    "remove": ("移除", "Remove"),
    "granted": ("已授权", "Granted"),
    "removed": ("已移除", "Removed"),
    "pick": ("请选择授权对象", "Pick someone to grant to"),
}


class GrantsEditor:
    """Grants of one knowledge base. `users` (admins only: GET /users) offers usernames to
    pick from; without it the username is typed."""

    def __init__(
        self,
        ctx: PageContext,
        kb_name: str,
        departments: list[dict[str, Any]],
        users: list[dict[str, Any]] | None = None,
    ) -> None:
        self.ctx, self.kb_name = ctx, kb_name
        self.path = f"/knowledge-bases/{segment(kb_name)}/grants"
        self.departments = flatten(departments)
        self.users = users

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    async def draw(self) -> None:
        self.box = ui.column().classes("w-full gap-1").props('data-testid="grant-list"')
        with ui.element("div").classes("row w-full items-center q-col-gutter-sm q-mt-sm"):
            self.kind = (
                ui.select(
                    {"user": self.t("user"), "department": self.t("department")},
                    value="user",
                    on_change=lambda: self._who(),
                )
                .props('outlined dense data-testid="grant-kind"')
                .classes("col-12 col-sm-3")
            )
            self.who_box = ui.element("div").classes("col-12 col-sm-4")
            self.level = (
                ui.select(options(LEVEL, self.ctx.lang), value="read", label=self.t("level"))
                .props('outlined dense data-testid="grant-level"')
                .classes("col-12 col-sm-3")
            )
            with ui.element("div").classes("col-12 col-sm-2"):
                ui.button(self.t("grant"), icon="add", on_click=self.grant).props(
                    'data-testid="grant-add"'
                ).classes("w-full")
        self._who()
        await self.load()

    def _who(self) -> None:
        self.who_box.clear()
        with self.who_box:
            if self.kind.value == "department":
                self.who = ui.select(dict(self.departments), label=self.t("department"))
            elif self.users is not None:
                names = {u["username"]: _user_label(u) for u in self.users if u["active"]}
                self.who = ui.select(names, label=self.t("username"), with_input=True)
            else:
                self.who = ui.input(self.t("username"))
            self.who.props('outlined dense data-testid="grant-who"').classes("w-full")

    async def load(self) -> None:
        try:
            grants = await self.ctx.api.get(self.path)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.box.clear()
        with self.box:
            if not grants:
                ui.label(self.t("none")).classes("text-grey-7 text-caption")
            for grant in grants:
                self._row(grant)

    def _row(self, grant: dict[str, Any]) -> None:
        is_user = grant["principal_kind"] == "user"
        name = grant["principal_name"]
        if not is_user:
            name = dict(self.departments).get(grant["principal_id"], name)
        row = ui.row().classes("w-full items-center no-wrap gap-2 q-py-xs")
        row.props(f'data-testid="grant-row" data-principal="{grant["principal_name"]}"')
        with row:
            ui.icon("person" if is_user else "groups", color="grey-7")
            ui.label(name).classes("col ellipsis")
            principal = grant["principal_name"] if is_user else str(grant["principal_id"])

            async def change(
                e: Any, kind: str = grant["principal_kind"], who: str = principal
            ) -> None:
                await self._put(kind, who, e.value)

            ui.select(options(LEVEL, self.ctx.lang), value=grant["level"], on_change=change).props(
                "dense borderless options-dense"
            ).classes("w-24")
            ui.button(icon="close", on_click=lambda g=grant: self.remove(g)).props(
                "flat round dense size=sm color=negative"
            ).tooltip(self.t("remove"))

    async def _put(self, kind: str, who: str, level: str) -> bool:
        body = {"principal_kind": kind, "principal": who, "level": level}
        try:
            await self.ctx.api.put(self.path, json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return False
        ui.notify(self.t("granted"), type="positive")
        return True

    async def grant(self) -> None:
        who = self.who.value
        if who in (None, ""):
            ui.notify(self.t("pick"), type="warning")
            return
        if await self._put(self.kind.value, str(who).strip(), self.level.value):
            await self.load()

    async def remove(self, grant: dict[str, Any]) -> None:
        try:
            await self.ctx.api.delete(f"{self.path}/{grant['id']}")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("removed"))
        await self.load()


def _user_label(user: dict[str, Any]) -> str:
    name = user.get("display_name") or ""
    return (
        f"{user['username']}（{name}）" if name and name != user["username"] else user["username"]
    )
