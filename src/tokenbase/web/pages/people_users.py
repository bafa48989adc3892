"""Users (administrators: GET/POST /users, PATCH /users/{id}): create one — the API generates
a one-time password, shown here once with a copy button —, change the role, clearance,
department, deactivate, or reset the password (a new one-time password, shown once)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .knowledge_labels import CLASSIFICATION, CLASSIFICATION_COLOR, ROLE, classification_options
from .knowledge_labels import options as label_options
from .people_departments import flatten

TEXT: Table = {
    "title": ("用户（{n}）", "Users ({n})"),
    "add": ("新建用户", "New user"),
    "username": ("用户名", "Username"),
    "display_name": ("显示名", "Display name"),
    "role": ("角色", "Role"),
    "clearance": ("密级权限", "Clearance"),
    "department": ("部门", "Department"),
    "no_department": ("（无）", "(none)"),
    "active": ("启用", "Active"),
    "inactive": ("已停用", "Deactivated"),
    "never": ("从未登录", "never signed in"),
    "last_login": ("最近登录 {at}", "last sign-in {at}"),
    "must_change": ("待改密码", "must change password"),
    "create": ("创建", "Create"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "edit": ("编辑", "Edit"),
    "edit_title": ("编辑用户 {name}", "Edit {name}"),
    "reset": ("重置密码", "Reset password"),
    "otp_title": ("{name} 的一次性密码", "One-time password for {name}"),
    "otp_hint": (
        "只显示这一次。请通过安全渠道交给本人；首次登录时必须修改。",
        "Shown only this once. Hand it over safely; it must be changed at the first sign-in.",
    ),
    "copy": ("复制", "Copy"),
    "copied": ("已复制", "Copied"),
    "done": ("我已保存", "I have saved it"),
    "created": ("已创建用户 {name}", "Created {name}"),
    "saved": ("已保存", "Saved"),
}


def one_time_secret_dialog(
    ctx: PageContext, title: str, hint: str, secret: str, testid: str
) -> None:
    """Show a secret once, with a copy button; closing it drops it from the page."""
    with ui.dialog().props("persistent") as dialog, ui.card().classes("w-full max-w-md"):
        ui.label(title).classes("text-h6")
        ui.label(hint).classes("text-caption text-warning")
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            ui.label(secret).classes(
                "col font-mono text-body1 q-pa-sm bg-grey-2 rounded-borders"
            ).style("word-break: break-all").props(f'data-testid="{testid}"')

            def copy() -> None:
                ui.clipboard.write(secret)
                ui.notify(ctx.t(TEXT, "copied"))

            ui.button(ctx.t(TEXT, "copy"), icon="content_copy", on_click=copy).props(
                f'flat dense data-testid="{testid}-copy"'
            )
        with ui.row().classes("w-full justify-end"):
            ui.button(ctx.t(TEXT, "done"), on_click=dialog.close).props(
                f'data-testid="{testid}-done"'
            )
    dialog.on("hide", dialog.delete)
    dialog.open()


def _minute(at: str) -> str:
    """'2026-11-24T20:01:33.12+00:00' -> '2026-11-24 20:01' (as the API gives it, UTC)."""
    return str(at).replace("T", " ")[:16]


class UsersPanel:
    def __init__(self, ctx: PageContext, on_change: Callable[[], Awaitable[None]]) -> None:
        self.ctx = ctx
        self.on_change = on_change
        self.users: list[dict[str, Any]] = []
        self.departments: list[tuple[int, str]] = []

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def draw(self) -> None:
        with ui.row().classes("w-full items-center"):
            self.heading = ui.label("").classes("text-subtitle1 text-weight-medium")
            ui.space()
            ui.button(self.t("add"), icon="person_add", on_click=self.create_dialog).props(
                'dense data-testid="user-add"'
            )
        self.box = ui.column().classes("w-full gap-0")
        self.overlay = ui.element("div")

    def show(self, users: list[dict[str, Any]], tree: list[dict[str, Any]]) -> None:
        self.users, self.departments = users, flatten(tree)
        self.heading.text = self.t("title", n=len(users))
        names = dict(self.departments)
        self.box.clear()
        with self.box:
            for user in users:
                self._row(user, names)

    def _row(self, user: dict[str, Any], departments: dict[int, str]) -> None:
        row = (
            ui.row()
            .classes("w-full items-center no-wrap gap-2 q-py-sm")
            .style("border-bottom: 1px solid #eee")
        )
        row.props(f'data-testid="user-row" data-username="{user["username"]}"')
        with row:
            ui.icon("person" if user["active"] else "person_off", size="sm").classes("text-grey-7")
            with ui.element("div").classes("row col items-center gap-2"):
                with ui.column().classes("gap-0 min-w-0").style("flex: 1 1 160px"):
                    name = user["username"]
                    if user.get("display_name") and user["display_name"] != name:
                        name += f"（{user['display_name']}）"
                    ui.label(name).classes("text-weight-medium ellipsis")
                    seen = user.get("last_login_at")
                    ui.label(
                        self.t("last_login", at=_minute(seen)) if seen else self.t("never")
                    ).classes("text-caption text-grey-7")
                with ui.row().classes("items-center gap-1").style("flex: 1 1 240px"):
                    self._badges(user, departments)
            ui.button(icon="edit", on_click=lambda u=user: self.edit_dialog(u)).props(
                'flat round dense data-testid="user-edit"'
            ).tooltip(self.t("edit"))

    def _badges(self, user: dict[str, Any], departments: dict[int, str]) -> None:
        ui.badge(
            self.ctx.t(ROLE, user["role"]),
            color="primary" if user["role"] == "admin" else "grey-7",
        ).props("outline")
        level = int(user["clearance"])
        ui.badge(self.ctx.t(CLASSIFICATION, str(level)), color=CLASSIFICATION_COLOR[level]).props(
            "outline"
        )
        if user.get("department_id"):
            ui.badge(departments.get(user["department_id"], "?"), color="grey-8").props("outline")
        if not user["active"]:
            ui.badge(self.t("inactive"), color="negative")
        if user.get("must_change_password"):
            ui.badge(self.t("must_change"), color="warning").props("outline")

    def _department_options(self) -> dict[int, str]:
        return {0: self.t("no_department")} | dict(self.departments)

    def _fields(self, user: dict[str, Any] | None) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if user is None:
            fields["username"] = (
                ui.input(self.t("username")).props('outlined dense data-testid="user-username"')
            ).classes("w-full")
        fields["display_name"] = (
            ui.input(self.t("display_name"), value=(user or {}).get("display_name", ""))
            .props('outlined dense data-testid="user-display-name"')
            .classes("w-full")
        )
        fields["role"] = (
            ui.select(
                label_options(ROLE, self.ctx.lang),
                value=(user or {}).get("role", "member"),
                label=self.t("role"),
            )
            .props('outlined dense data-testid="user-role"')
            .classes("w-full")
        )
        fields["clearance"] = (
            ui.select(
                classification_options(self.ctx.lang),
                value=int((user or {}).get("clearance", 1)),
                label=self.t("clearance"),
            )
            .props('outlined dense data-testid="user-clearance"')
            .classes("w-full")
        )
        fields["department_id"] = (
            ui.select(
                self._department_options(),
                value=(user or {}).get("department_id") or 0,
                label=self.t("department"),
            )
            .props('outlined dense data-testid="user-department"')
            .classes("w-full")
        )
        return fields

    def create_dialog(self) -> None:
        with self.overlay, ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            ui.label(self.t("add")).classes("text-h6")
            fields = self._fields(None)

            async def create() -> None:
                body = {k: f.value for k, f in fields.items()}
                body["department_id"] = body["department_id"] or None
                try:
                    created = await self.ctx.api.post("/users", json=body)
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                dialog.close()
                ui.notify(self.t("created", name=created["username"]), type="positive")
                if created.get("one_time_password"):
                    with self.overlay:
                        one_time_secret_dialog(
                            self.ctx,
                            self.t("otp_title", name=created["username"]),
                            self.t("otp_hint"),
                            created["one_time_password"],
                            "otp",
                        )
                await self.on_change()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("create"), on_click=create).props('data-testid="user-create"')
        dialog.on("hide", dialog.delete)
        dialog.open()

    def edit_dialog(self, user: dict[str, Any]) -> None:
        with self.overlay, ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            ui.label(self.t("edit_title", name=user["username"])).classes("text-h6")
            fields = self._fields(user)
            active = ui.switch(self.t("active"), value=bool(user["active"])).props(
                'data-testid="user-active"'
            )

            async def save() -> None:
                body = {k: f.value for k, f in fields.items()} | {"active": active.value}
                await self._patch(user, body, dialog)

            async def reset() -> None:
                secret = secrets.token_urlsafe(12)
                if await self._patch(user, {"password": secret}, dialog):
                    with self.overlay:
                        one_time_secret_dialog(
                            self.ctx,
                            self.t("otp_title", name=user["username"]),
                            self.t("otp_hint"),
                            secret,
                            "otp",
                        )

            with ui.row().classes("w-full items-center"):
                ui.button(self.t("reset"), icon="lock_reset", on_click=reset).props(
                    "flat dense color=warning"
                )
                ui.space()
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("save"), on_click=save).props('data-testid="user-save"')
        dialog.on("hide", dialog.delete)
        dialog.open()

    async def _patch(self, user: dict[str, Any], body: dict[str, Any], dialog: Any) -> bool:
        try:
            await self.ctx.api.patch(f"/users/{user['id']}", json=body)
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return False
        dialog.close()
        ui.notify(self.t("saved"), type="positive")
        await self.on_change()
        return True
