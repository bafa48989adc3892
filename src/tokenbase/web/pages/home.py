"""Sign in, change the one-time password, and the start page."""

from __future__ import annotations

import json

from fastapi import Request
from nicegui import ui

from ..i18n import Table
from ..layout import language, open_page, switch_language

TEXT: Table = {
    "title": ("登录 TokenBase", "Sign in to TokenBase"),
    "subtitle": (
        "知识库智能体平台：有出处的回答，守得住的权限，算得清的账",
        "Answers with sources, permissions that hold, every token accounted for",
    ),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "sign_in": ("登录", "Sign in"),
    "failed": ("登录失败：{message}", "Sign-in failed: {message}"),
    "change_title": ("请设置新密码", "Choose a new password"),
    "change_hint": (
        "首次登录或管理员重置后，需要先修改密码。",
        "After the first sign-in or a reset, change your password first.",
    ),
    "current": ("当前密码", "Current password"),
    "new": ("新密码（至少 8 位）", "New password (8+ characters)"),
    "save": ("保存", "Save"),
    "saved": ("密码已修改", "Password changed"),
}


def _fetch(method: str, path: str, body: dict) -> str:
    """JS that sends JSON with the session cookie and returns [status, error message]."""
    return (
        f"const r = await fetch({json.dumps(path)}, {{method: {json.dumps(method)}, "
        "credentials: 'same-origin', headers: {'content-type': 'application/json'}, "
        f"body: JSON.stringify({json.dumps(body, ensure_ascii=False)})}});"
        "let m = ''; if (!r.ok) { try { m = (await r.json()).error.message } catch (e) {} }"
        "return [r.status, m];"
    )


@ui.page("/login", title="TokenBase")
async def login_page(request: Request, next: str = "/chat") -> None:
    lang = language(request)
    target = next if next.startswith("/") and not next.startswith("//") else "/chat"
    if target.startswith("/ui/"):
        target = target[3:]

    def t(key: str, **values: object) -> str:
        zh, en = TEXT[key]
        return (en if lang == "en" else zh).format(**values)

    async def submit() -> None:
        status, message = await ui.run_javascript(
            _fetch("POST", "/auth/login", {"username": user.value, "password": secret.value}),
            timeout=30,
        )
        if status == 200:
            ui.navigate.to(target)
        else:
            error.text = t("failed", message=message or status)
            error.visible = True

    with ui.column().classes("absolute-center items-center w-full max-w-sm q-pa-md"):
        ui.label(t("title")).classes("text-h5")
        ui.label(t("subtitle")).classes("text-caption text-grey-7 text-center")
        user = ui.input(t("username")).props('outlined data-testid="username"').classes("w-full")
        secret = (
            ui.input(t("password"), password=True)
            .props('outlined data-testid="password"')
            .classes("w-full")
        )
        secret.on("keydown.enter", submit)
        ui.button(t("sign_in"), on_click=submit).props('data-testid="sign-in"').classes("w-full")
        error = ui.label("").classes("text-negative")
        error.visible = False
        ui.button(
            "English" if lang == "zh" else "中文", on_click=lambda: switch_language(lang)
        ).props("flat dense")


@ui.page("/password", title="TokenBase")
async def password_page(request: Request) -> None:
    lang = language(request)

    def t(key: str, **values: object) -> str:
        zh, en = TEXT[key]
        return (en if lang == "en" else zh).format(**values)

    async def save() -> None:
        body = {"current_password": current.value, "new_password": new.value}
        status, message = await ui.run_javascript(
            _fetch("POST", "/auth/password", body), timeout=30
        )
        if status == 204:
            ui.notify(t("saved"), type="positive")
            ui.navigate.to("/chat")
        else:
            ui.notify(message or str(status), type="negative")

    with ui.column().classes("absolute-center items-center w-full max-w-sm q-pa-md"):
        ui.label(t("change_title")).classes("text-h6")
        ui.label(t("change_hint")).classes("text-caption text-grey-7")
        current = ui.input(t("current"), password=True).props('outlined data-testid="current"')
        new = ui.input(t("new"), password=True).props('outlined data-testid="new"')
        current.classes("w-full")
        new.classes("w-full")
        ui.button(t("save"), on_click=save).props('data-testid="save"').classes("w-full")


@ui.page("/")
async def start(request: Request) -> None:
    ctx = await open_page(request, "chat")
    if ctx is not None:
        ui.navigate.to("/chat")
