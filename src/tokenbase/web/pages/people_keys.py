"""Your own API keys (GET/POST /keys, DELETE /keys/{id}): create one with a scope (read,
write or admin — each includes the ones before it) and an optional expiry; the key is shown
once with a copy button; revoke it (it answers 401 at once)."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .knowledge_labels import SCOPE, options
from .people_users import one_time_secret_dialog

TEXT: Table = {
    "title": ("我的 API 密钥", "My API keys"),
    "hint": (
        "用于脚本和系统集成：请求头 Authorization: Bearer <密钥>。",
        "For scripts and integrations: send Authorization: Bearer <key>.",
    ),
    "add": ("新建密钥", "New key"),
    "name": ("名称（用途）", "Name (what it is for)"),
    "scope": ("权限范围", "Scope"),
    "expires": ("有效天数（留空 = 不过期）", "Valid for days (empty = no expiry)"),
    "create": ("创建", "Create"),
    "cancel": ("取消", "Cancel"),
    "none": ("还没有密钥。", "No keys yet."),
    "revoke": ("吊销", "Revoke"),
    "revoked": ("已吊销", "Revoked"),
    "expired": ("已过期", "Expired"),
    "confirm": (
        "吊销密钥“{name}”？使用它的程序会立即失效。",
        "Revoke “{name}”? It stops working at once.",
    ),
    "created_at": ("创建于 {at}", "created {at}"),
    "expires_at": ("到期 {at}", "expires {at}"),
    "used": ("最近使用 {at}", "last used {at}"),
    "unused": ("未使用", "never used"),
    "key_title": ("新密钥：{name}", "New key: {name}"),
    "key_hint": (
        "密钥只显示这一次，关闭后无法再查看。请立即复制并妥善保存。",
        "The key is shown only now and cannot be seen again. Copy it and keep it safe.",
    ),
    "need_name": ("请填写名称", "A name is needed"),
    "bad_days": ("有效天数应为正数", "Days must be a positive number"),
}


class KeysPanel:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    async def draw(self) -> None:
        with ui.row().classes("w-full items-center"):
            ui.label(self.t("title")).classes("text-subtitle1 text-weight-medium")
            ui.space()
            ui.button(self.t("add"), icon="key", on_click=self.create_dialog).props(
                'dense data-testid="key-add"'
            )
        ui.label(self.t("hint")).classes("text-caption text-grey-7")
        self.box = ui.column().classes("w-full gap-0")
        self.overlay = ui.element("div")
        await self.load()

    async def load(self) -> None:
        try:
            keys = await self.ctx.api.get("/keys")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.box.clear()
        with self.box:
            if not keys:
                ui.label(self.t("none")).classes("text-grey-7")
            for key in sorted(keys, key=lambda k: (k["revoked_at"] is not None, -k["id"])):
                self._row(key)

    def _row(self, key: dict[str, Any]) -> None:
        row = (
            ui.row()
            .classes("w-full items-center gap-2 q-py-sm")
            .style("border-bottom: 1px solid #eee")
        )
        row.props(f'data-testid="key-row" data-name="{key["name"]}"')
        revoked = key["revoked_at"] is not None
        row.classes("no-wrap")
        with row:
            ui.icon("key_off" if revoked else "key", size="sm").classes("text-grey-7")
            with ui.element("div").classes("row col items-center gap-2"):
                with ui.column().classes("gap-0 min-w-0").style("flex: 1 1 180px"):
                    ui.label(key["name"]).classes("text-weight-medium ellipsis")
                    ui.label(f"{key['prefix']}…").classes("text-caption font-mono text-grey-7")
                with ui.column().classes("gap-0").style("flex: 1 1 220px"):
                    top = next(s for s in ("admin", "write", "read") if s in key["scopes"])
                    ui.label(self.ctx.t(SCOPE, top)).classes("text-caption")
                    dates = [self.t("created_at", at=str(key["created_at"])[:10])]
                    if key.get("expires_at"):
                        dates.append(self.t("expires_at", at=str(key["expires_at"])[:10]))
                    used = key.get("last_used_at")
                    dates.append(
                        self.t("used", at=str(used).replace("T", " ")[:16])
                        if used
                        else self.t("unused")
                    )
                    ui.label(" · ".join(dates)).classes("text-caption text-grey-7")
            if revoked:
                ui.badge(self.t("revoked"), color="grey-7").props('data-testid="key-revoked"')
            else:
                ui.button(
                    self.t("revoke"), icon="block", on_click=lambda: self.revoke_dialog(key)
                ).props('flat dense color=negative data-testid="key-revoke"')

    def create_dialog(self) -> None:
        scopes = ["read", "write", "admin"] if self.ctx.is_admin else ["read", "write"]
        with self.overlay, ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            ui.label(self.t("add")).classes("text-h6")
            name = ui.input(self.t("name")).props('outlined dense data-testid="key-name"')
            name.classes("w-full")
            ui.label(self.t("scope")).classes("text-caption text-grey-7")
            scope = ui.radio(options(SCOPE, self.ctx.lang, scopes), value="read").props(
                'data-testid="key-scope"'
            )
            days = ui.number(self.t("expires"), min=1, max=3650, format="%.0f").props(
                'outlined dense data-testid="key-days"'
            )
            days.classes("w-full")

            async def create() -> None:
                if not (name.value or "").strip():
                    ui.notify(self.t("need_name"), type="warning")
                    return
                body: dict[str, Any] = {"name": name.value.strip(), "scopes": [scope.value]}
                if days.value:
                    if days.value <= 0:
                        ui.notify(self.t("bad_days"), type="warning")
                        return
                    body["expires_in_days"] = float(days.value)
                try:
                    created = await self.ctx.api.post("/keys", json=body)
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                dialog.close()
                with self.overlay:
                    one_time_secret_dialog(
                        self.ctx,
                        self.t("key_title", name=created["name"]),
                        self.t("key_hint"),
                        created["key"],
                        "new-key",
                    )
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("create"), on_click=create).props('data-testid="key-create"')
        dialog.on("hide", dialog.delete)
        dialog.open()

    def revoke_dialog(self, key: dict[str, Any]) -> None:
        with self.overlay, ui.dialog() as dialog, ui.card():
            ui.label(self.t("confirm", name=key["name"]))

            async def confirm() -> None:
                try:
                    await self.ctx.api.delete(f"/keys/{key['id']}")
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                dialog.close()
                ui.notify(self.t("revoked"))
                await self.load()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("revoke"), on_click=confirm).props(
                    'color=negative data-testid="key-revoke-confirm"'
                )
        dialog.on("hide", dialog.delete)
        dialog.open()
