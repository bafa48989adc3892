"""The agent editor (administrators): create an agent (POST /agents) or change one
(PATCH /agents/{name}) in a dialog.

The choices come from the API: knowledge bases (GET /knowledge-bases), prompts and their
labels (GET /prompts), tools with their impact (GET /tools: a high-impact tool's calls wait
for approval), departments (GET /departments) and users (GET /users) for who may use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "new_title": ("新建数字员工", "New agent"),
    "edit_title": ("编辑数字员工：{name}", "Edit agent: {name}"),
    "name": (
        "标识（英文、数字、-，即 OpenAI 接口的 model）",
        "Name (ASCII slug; the OpenAI model id)",
    ),
    "display_name": ("显示名称", "Display name"),
    "avatar": ("头像（emoji 或图片地址）", "Avatar (emoji or image URL)"),
    "description": (
        "岗位描述（前台也据此分派问题）",
        "Role description (the front desk routes by it)",
    ),
    "kbs": ("知识库（不选 = 可读的全部）", "Knowledge bases (none = all readable)"),
    "prompt": ("Prompt（来自 Prompt 资产库）", "Prompt (from the library)"),
    "no_prompt": ("（不引用：使用内置回答 Prompt）", "(none: the built-in answer prompt)"),
    "prompt_label": ("标签或版本", "Label or version"),
    "version_n": ("固定版本 v{n}", "pinned v{n}"),
    "tier": ("模型档位（留空 = 默认档位）", "Model tier (empty = the default)"),
    "tier_choice": ("模型档位", "Model tier"),
    "default_tier": ("默认档位（{name}）", "The default tier ({name})"),
    "unknown_tier": ("{name}（未配置）", "{name} (not configured)"),
    "tools": ("工具", "Tools"),
    "impact_low": ("低影响", "low impact"),
    "impact_high": ("高影响 · 需审批", "high impact · needs approval"),
    "high_note": (
        "高影响工具（{names}）的每次调用都会进入审批队列，经人工批准后才执行。",
        "Every call of a high-impact tool ({names}) waits in the approval queue until a "
        "person approves it.",
    ),
    "access": ("谁可以使用", "Who may use it"),
    "everyone": ("所有人", "Everyone"),
    "some": ("指定部门和人员", "Chosen departments and people"),
    "departments": ("部门（含下级部门）", "Departments (and their sub-departments)"),
    "users": ("人员", "People"),
    "enabled": ("启用", "Enabled"),
    "advanced": ("高级", "Advanced"),
    "inline_prompt": (
        "内联提示词（未引用 Prompt 资产库时使用）",
        "Inline prompt (used without a library prompt)",
    ),
    "scenario": ("账本场景（留空 = agent.<标识>）", "Ledger scenario (empty = agent.<name>)"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "created": ("已创建数字员工 {name}", "Agent {name} created"),
    "saved": ("已保存 {name}", "{name} saved"),
    "need_name": ("请填写标识", "A name is needed"),
}


def split_ref(ref: str) -> tuple[str, str]:
    """'name' / 'name:label' / 'name@3' -> (prompt name, 'label' or '@3'); a bare name is
    its production label."""
    if not ref:
        return "", "production"
    if "@" in ref:
        name, _, number = ref.rpartition("@")
        return name, f"@{number}"
    if ":" in ref:
        name, _, label = ref.rpartition(":")
        return name, label
    return ref, "production"


def join_ref(name: str, choice: str) -> str:
    if not name:
        return ""
    if choice.startswith("@"):
        return f"{name}{choice}"
    return f"{name}:{choice or 'production'}"


def flatten(nodes: list[dict[str, Any]], prefix: str = "") -> dict[int, str]:
    """The department tree as {id: 'parent / child'}."""
    out: dict[int, str] = {}
    for node in nodes:
        path = f"{prefix}{node['name']}"
        out[node["id"]] = path
        out |= flatten(node.get("children") or [], f"{path} / ")
    return out


def tier_field(ctx: PageContext, tiers: list[dict[str, Any]] | None, value: str) -> ui.element:
    """A choice of the configured tiers (GET /agent-tiers), or a text field when they
    cannot be listed. A tier that is not configured stays selectable, marked as such."""
    t = ctx.t
    if tiers is None:
        return (
            ui.input(t(TEXT, "tier"), value=value)
            .props('outlined dense data-testid="agent-tier"')
            .classes("w-full")
        )
    default = next((x["name"] for x in tiers if x.get("default")), "")
    options = {"": t(TEXT, "default_tier", name=default or "—")}
    for x in tiers:
        options[x["name"]] = f"{x['name']} · {', '.join(x['models'])}"
    if value and value not in options:
        options[value] = t(TEXT, "unknown_tier", name=value)
    return (
        ui.select(options, value=value, label=t(TEXT, "tier_choice"))
        .props('outlined dense data-testid="agent-tier"')
        .classes("w-full")
    )


async def _tiers(ctx: PageContext) -> list[dict[str, Any]] | None:
    try:
        return await ctx.api.get("/agent-tiers")
    except ApiProblem:
        return None  # not offered by this server: a text field instead


async def _choices(ctx: PageContext) -> dict[str, Any]:
    paths = ("/knowledge-bases", "/tools", "/prompts", "/departments", "/users")
    results = await asyncio.gather(*(ctx.api.get(p) for p in paths), return_exceptions=True)
    out: dict[str, Any] = {}
    for path, result in zip(paths, results, strict=True):
        if isinstance(result, ApiProblem):
            ctx.notify_error(result)
            result = []
        elif isinstance(result, BaseException):
            raise result
        out[path.strip("/")] = result
    out["tiers"] = await _tiers(ctx)
    return out


async def open_agent_editor(
    ctx: PageContext,
    on_saved: Callable[[dict[str, Any]], Awaitable[None]],
    agent: dict[str, Any] | None = None,
) -> None:
    """Open the editor for `agent` (GET /agents item), or for a new agent."""
    t = ctx.t
    choices = await _choices(ctx)
    agent = agent or {}
    creating = not agent.get("name")

    kb_names = sorted({k["name"] for k in choices["knowledge-bases"]} | set(agent.get("kbs") or []))
    tools = {tool["name"]: tool for tool in choices["tools"]}
    tool_options = {
        name: f"{name} · {t(TEXT, 'impact_high' if tool['impact'] == 'high' else 'impact_low')}"
        for name, tool in tools.items()
    }
    for name in agent.get("tools") or []:
        tool_options.setdefault(name, name)
    prompts = {p["name"]: p for p in choices["prompts"]}
    departments = flatten(choices["departments"])
    people = {
        u["id"]: f"{u.get('display_name') or u['username']} ({u['username']})"
        for u in choices["users"]
    }
    allowed = agent.get("allowed") or {"all": True, "departments": [], "users": []}
    ref_name, ref_choice = split_ref(agent.get("prompt_ref") or "")

    def label_options(name: str) -> dict[str, str]:
        prompt = prompts.get(name)
        if prompt is None:
            return {ref_choice: ref_choice} if name else {}
        options = {label: f"{label} → v{v}" for label, v in sorted(prompt["labels"].items())}
        options.setdefault("production", "production")
        for n in range(prompt["latest"], 0, -1):
            options[f"@{n}"] = t(TEXT, "version_n", n=n)
        if ref_choice not in options and name == ref_name:
            options[ref_choice] = ref_choice
        return options

    with (
        ui.dialog() as dialog,
        ui.card().classes("tb-area w-full max-w-3xl q-pa-md"),
    ):
        title = t(TEXT, "new_title") if creating else t(TEXT, "edit_title", name=agent["name"])
        ui.label(title).classes("text-h6")
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-3 gap-2"):
            name = ui.input(t(TEXT, "name"), value=agent.get("name", "")).props(
                'outlined dense data-testid="agent-name"'
            )
            if not creating:
                name.props("readonly")
            display = ui.input(t(TEXT, "display_name"), value=agent.get("display_name", "")).props(
                'outlined dense data-testid="agent-display-name"'
            )
            avatar = ui.input(t(TEXT, "avatar"), value=agent.get("avatar", "")).props(
                'outlined dense data-testid="agent-avatar"'
            )
        description = (
            ui.textarea(t(TEXT, "description"), value=agent.get("description", ""))
            .props('outlined autogrow dense data-testid="agent-description"')
            .classes("w-full")
        )
        kbs = (
            ui.select(
                kb_names, value=list(agent.get("kbs") or []), multiple=True, label=t(TEXT, "kbs")
            )
            .props('outlined dense use-chips data-testid="agent-kbs"')
            .classes("w-full")
        )
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-3 gap-2"):
            prompt_options = {"": t(TEXT, "no_prompt")} | {n: n for n in sorted(prompts)}
            if ref_name and ref_name not in prompt_options:
                prompt_options[ref_name] = ref_name
            prompt_name = (
                ui.select(prompt_options, value=ref_name, label=t(TEXT, "prompt"))
                .props('outlined dense data-testid="agent-prompt"')
                .classes("sm:col-span-2")
            )
            prompt_label = ui.select(
                label_options(ref_name),
                value=ref_choice if ref_name else None,
                label=t(TEXT, "prompt_label"),
            ).props('outlined dense data-testid="agent-prompt-label"')

            def prompt_changed(e: Any) -> None:
                options = label_options(e.value or "")
                prompt_label.set_options(options, value="production" if e.value else None)

            prompt_name.on_value_change(prompt_changed)
        tier = tier_field(ctx, choices.get("tiers"), agent.get("tier", ""))
        tool_select = (
            ui.select(
                tool_options,
                value=list(agent.get("tools") or []),
                multiple=True,
                label=t(TEXT, "tools"),
            )
            .props('outlined dense use-chips data-testid="agent-tools"')
            .classes("w-full")
        )
        high_note = (
            ui.label("")
            .classes("text-caption text-warning")
            .props('data-testid="agent-high-impact"')
        )

        def show_impact() -> None:
            high = [n for n in tool_select.value or [] if tools.get(n, {}).get("impact") == "high"]
            high_note.text = t(TEXT, "high_note", names="、".join(high)) if high else ""
            high_note.visible = bool(high)

        tool_select.on_value_change(lambda _: show_impact())
        show_impact()

        ui.label(t(TEXT, "access")).classes("text-subtitle2 q-mt-sm")
        scope = ui.radio(
            {"all": t(TEXT, "everyone"), "some": t(TEXT, "some")},
            value="all" if allowed.get("all", True) else "some",
        ).props('inline dense data-testid="agent-access"')
        with (
            ui.column()
            .classes("w-full gap-2")
            .bind_visibility_from(scope, "value", backward=lambda v: v == "some")
        ):
            dept_select = (
                ui.select(
                    departments,
                    value=[d for d in allowed.get("departments") or [] if d in departments],
                    multiple=True,
                    label=t(TEXT, "departments"),
                )
                .props('outlined dense use-chips data-testid="agent-departments"')
                .classes("w-full")
            )
            user_select = (
                ui.select(
                    people,
                    value=[u for u in allowed.get("users") or [] if u in people],
                    multiple=True,
                    label=t(TEXT, "users"),
                )
                .props('outlined dense use-chips use-input data-testid="agent-users"')
                .classes("w-full")
            )
        enabled = ui.switch(t(TEXT, "enabled"), value=agent.get("enabled", True)).props(
            'data-testid="agent-enabled"'
        )
        with ui.expansion(t(TEXT, "advanced")).classes("w-full").props("dense"):
            inline = (
                ui.textarea(t(TEXT, "inline_prompt"), value=agent.get("prompt", ""))
                .props('outlined autogrow dense data-testid="agent-inline-prompt"')
                .classes("w-full")
            )
            scenario = (
                ui.input(
                    t(TEXT, "scenario"),
                    value=""
                    if agent.get("scenario") == f"agent.{agent.get('name')}"
                    else agent.get("scenario", ""),
                )
                .props('outlined dense data-testid="agent-scenario"')
                .classes("w-full")
            )

        async def save() -> None:
            slug = (name.value or "").strip()
            if not slug:
                ui.notify(t(TEXT, "need_name"), type="warning")
                return
            some = scope.value == "some"
            body: dict[str, Any] = {
                "display_name": display.value or "",
                "description": description.value or "",
                "avatar": avatar.value or "",
                "kbs": list(kbs.value or []),
                "prompt": inline.value or "",
                "prompt_ref": join_ref(prompt_name.value or "", prompt_label.value or ""),
                "tier": (tier.value or "").strip(),
                "tools": list(tool_select.value or []),
                "scenario": (scenario.value or "").strip(),
                "allowed": {
                    "all": not some,
                    "departments": list(dept_select.value or []) if some else [],
                    "users": list(user_select.value or []) if some else [],
                },
                "enabled": bool(enabled.value),
            }
            try:
                if creating:
                    saved = await ctx.api.post("/agents", json={"name": slug, **body})
                    ui.notify(t(TEXT, "created", name=slug), type="positive")
                else:
                    saved = await ctx.api.patch(f"/agents/{quote(slug, safe='')}", json=body)
                    ui.notify(t(TEXT, "saved", name=slug), type="positive")
            except ApiProblem as exc:
                ctx.notify_error(exc)
                return
            dialog.close()
            await on_saved(saved)

        with ui.row().classes("w-full justify-end q-mt-md"):
            ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
            ui.button(t(TEXT, "save"), on_click=save).props('data-testid="agent-save"')
    dialog.open()
