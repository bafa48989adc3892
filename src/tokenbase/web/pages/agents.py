"""The agents page (数字员工) at /ui/agents: every user sees the agents they may use (avatar,
name, description, knowledge bases, tools); administrators also get the editor (create,
change), export as a template file, and the template market (智能体超市) with imports from
the shipped templates or an uploaded file.

Everything goes through the HTTP API: GET /agents, POST /agents, PATCH /agents/{name},
GET /tools, GET /agent-templates, POST /agent-templates/import, GET /agents/{name}/export.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from .agents_editor import flatten, open_agent_editor
from .agents_templates import export_button, file_import_card, template_card

TEXT: Table = {
    "title": ("数字员工", "Agents"),
    "subtitle": (
        "每位数字员工有自己的知识库、Prompt、模型档位和工具；它只能检索你本人有权阅读的资料。",
        "Each agent has its own knowledge bases, prompt, model tier and tools; it only "
        "searches what you yourself may read.",
    ),
    "tab_agents": ("数字员工", "Agents"),
    "tab_market": ("智能体超市", "Templates"),
    "new": ("新建数字员工", "New agent"),
    "empty": ("还没有可用的数字员工。", "No agents you may use yet."),
    "empty_admin": (
        "还没有数字员工：到“智能体超市”导入一个模板，或新建一个。",
        "No agents yet: import one from the templates, or create one.",
    ),
    "all_kbs": ("全部可读知识库", "all readable knowledge bases"),
    "kbs": ("知识库", "Knowledge"),
    "tools": ("工具", "Tools"),
    "no_tools": ("无", "none"),
    "high": ("高影响 · 需审批", "high impact · needs approval"),
    "disabled": ("已停用", "disabled"),
    "prompt": ("Prompt：{ref}", "Prompt: {ref}"),
    "builtin_prompt": ("内置回答 Prompt", "built-in answer prompt"),
    "tier": ("档位：{tier}", "Tier: {tier}"),
    "default_tier": ("默认", "default"),
    "everyone": ("所有人可用", "open to everyone"),
    "restricted": ("仅限：{who}", "only: {who}"),
    "edit": ("编辑", "Edit"),
    "export": ("导出", "Export"),
    "chat": ("对话", "Chat"),
    "market_hint": (
        "从模板一键创建数字员工：设置、中文回答 Prompt 和示例知识一起导入；"
        "也可以导入其他 TokenBase 导出的文件。",
        "Create an agent from a template in one click: settings, a Chinese answer prompt and "
        "sample knowledge; or import a file exported by another TokenBase.",
    ),
}


class AgentsView:
    def __init__(self, ctx: PageContext) -> None:
        self.ctx = ctx
        self.agents: list[dict[str, Any]] = []
        self.impact: dict[str, str] = {}
        self.names: dict[str, dict[int, str]] = {"departments": {}, "users": {}}
        self.tabs: ui.tabs | None = None

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    async def load(self) -> None:
        try:
            self.agents = await self.ctx.api.get("/agents")
            tools = await self.ctx.api.get("/tools")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        self.impact = {tool["name"]: tool["impact"] for tool in tools}
        if self.ctx.is_admin:  # names for "who may use it"
            try:
                departments = await self.ctx.api.get("/departments")
                people = await self.ctx.api.get("/users")
            except ApiProblem:
                return
            self.names = {
                "departments": flatten(departments),
                "users": {u["id"]: u.get("display_name") or u["username"] for u in people},
            }

    async def changed(self, _: dict[str, Any]) -> None:
        await self.load()
        self.listing.refresh()
        self.market.refresh()

    async def imported(self, _: dict[str, Any]) -> None:
        await self.changed(_)
        if self.tabs is not None:
            self.tabs.set_value("agents")

    @ui.refreshable_method
    def listing(self) -> None:
        if not self.agents:
            ui.label(self.t("empty_admin" if self.ctx.is_admin else "empty")).classes(
                "text-grey-7 q-pa-md"
            )
            return
        with ui.element("div").classes(
            "w-full grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4"
        ):
            for agent in self.agents:
                self.card(agent)

    def card(self, agent: dict[str, Any]) -> None:
        admin = self.ctx.is_admin
        with (
            ui.card()
            .classes("w-full")
            .props(f'flat bordered data-testid="agent-card" data-name="{agent["name"]}"')
        ):
            with ui.row().classes("items-center no-wrap w-full"):
                avatar = agent.get("avatar") or "🤖"
                if avatar.startswith(("http://", "https://", "/")):
                    ui.image(avatar).classes("w-12 h-12 rounded-full")
                else:
                    ui.label(avatar).classes("text-h4")
                with ui.column().classes("gap-0 col min-w-0"):
                    ui.label(agent.get("display_name") or agent["name"]).classes(
                        "text-subtitle1 text-weight-bold ellipsis"
                    )
                    ui.label(agent["name"]).classes("text-caption font-mono text-grey-7")
                if not agent.get("enabled", True):
                    ui.badge(self.t("disabled"), color="grey-6")
                if admin:
                    ui.button(
                        icon="edit",
                        on_click=lambda a=agent: open_agent_editor(self.ctx, self.changed, a),
                    ).props(
                        f'flat dense round data-testid="agent-edit" data-name="{agent["name"]}"'
                    )
                    export_button(self.ctx, agent["name"])
            ui.label(agent.get("description") or "").classes(
                "text-body2 text-grey-9 ellipsis-3-lines"
            ).props('data-testid="agent-description-text"')
            with ui.row().classes("items-center q-gutter-xs"):
                ui.icon("menu_book", color="grey-7").tooltip(self.t("kbs"))
                if agent.get("kbs"):
                    for kb in agent["kbs"]:
                        ui.badge(kb, color="teal-1").classes("text-teal-10")
                else:
                    ui.label(self.t("all_kbs")).classes("text-caption text-grey-7")
            with (
                ui.row().classes("items-center q-gutter-xs").props('data-testid="agent-tools-list"')
            ):
                ui.icon("build", color="grey-7").tooltip(self.t("tools"))
                if not agent.get("tools"):
                    ui.label(self.t("no_tools")).classes("text-caption text-grey-7")
                for tool in agent.get("tools") or []:
                    high = self.impact.get(tool) == "high"
                    badge = ui.badge(tool, color="orange-2" if high else "blue-grey-1").classes(
                        "text-orange-10" if high else "text-blue-grey-9"
                    )
                    if high:
                        badge.tooltip(self.t("high"))
            if admin:
                allowed = agent.get("allowed") or {}
                if allowed.get("all", True):
                    access = self.t("everyone")
                else:
                    who = [
                        self.names[kind].get(i, f"#{i}")
                        for kind in ("departments", "users")
                        for i in allowed.get(kind) or []
                    ]
                    access = self.t("restricted", who="、".join(who) or "—")
                ref = agent.get("prompt_ref") or self.t("builtin_prompt")
                tier = agent.get("tier") or self.t("default_tier")
                ui.label(
                    f"{self.t('prompt', ref=ref)} · {self.t('tier', tier=tier)} · {access}"
                ).classes("text-caption text-grey-7")

    @ui.refreshable_method
    async def market(self) -> None:
        try:
            templates = await self.ctx.api.get("/agent-templates")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        taken = {a["name"] for a in self.agents}
        ui.label(self.t("market_hint")).classes("text-caption text-grey-7")
        with ui.element("div").classes(
            "w-full grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-4"
        ):
            for template in templates:
                template_card(self.ctx, template, taken, self.imported)
            file_import_card(self.ctx, self.imported)


@ui.page("/agents", title="TokenBase")
async def agents_page(request: Request) -> None:
    ctx = await open_page(request, "agents", admin=False)
    if ctx is None:
        return
    ui.add_css(".tb-area .q-btn, .tb-area .q-tab { text-transform: none; }")
    view = AgentsView(ctx)
    await view.load()
    with ui.column().classes("tb-area w-full max-w-7xl mx-auto q-pa-md gap-2"):
        with ui.row().classes("w-full items-center"):
            with ui.column().classes("gap-0 col"):
                ui.label(ctx.t(TEXT, "title")).classes("text-h5")
                ui.label(ctx.t(TEXT, "subtitle")).classes("text-caption text-grey-7")
            if ctx.is_admin:
                ui.button(
                    ctx.t(TEXT, "new"),
                    icon="add",
                    on_click=lambda: open_agent_editor(ctx, view.changed),
                ).props('data-testid="agent-new"')
        if not ctx.is_admin:
            view.listing()
            return
        with ui.tabs().classes("w-full text-primary").props("align=left dense") as tabs:
            ui.tab("agents", ctx.t(TEXT, "tab_agents")).props('data-testid="tab-agents"')
            ui.tab("market", ctx.t(TEXT, "tab_market")).props('data-testid="tab-market"')
        view.tabs = tabs
        with ui.tab_panels(tabs, value="agents", animated=False).classes("w-full bg-transparent"):
            with ui.tab_panel("agents").style("padding: 8px 0 0 0"):
                view.listing()
            with ui.tab_panel("market").style("padding: 8px 0 0 0"):
                await view.market()
