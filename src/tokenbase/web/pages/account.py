"""My account (/ui/account, everyone): who I am, a password change, and my own API keys —
members manage their keys here; administrators also find them on the people page."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from ..i18n import Table
from ..layout import open_page
from .people_keys import KeysPanel

TEXT: Table = {
    "title": ("我的账户", "My account"),
    "who": ("{name}（{role}，密级：{clearance}）", "{name} ({role}, clearance: {clearance})"),
    "admin": ("管理员", "administrator"),
    "member": ("成员", "member"),
    "password": ("修改密码", "Change password"),
}


@ui.page("/account", title="TokenBase")
async def account_page(request: Request) -> None:
    ctx = await open_page(request, "account")
    if ctx is None:
        return
    user = ctx.user
    with ui.column().classes("w-full max-w-3xl mx-auto q-pa-md gap-3"):
        ui.label(ctx.t(TEXT, "title")).classes("text-h5")
        ui.label(
            ctx.t(
                TEXT,
                "who",
                name=user.get("display_name") or user["username"],
                role=ctx.t(TEXT, "admin" if ctx.is_admin else "member"),
                clearance=user.get("clearance_label", ""),
            )
        ).props('data-testid="account-who"')
        ui.link(ctx.t(TEXT, "password"), "/password").props('data-testid="account-password"')
        with ui.card().classes("w-full").props("flat bordered"):
            await KeysPanel(ctx).draw()
