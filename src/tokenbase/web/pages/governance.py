"""The governance page (/ui/governance, administrators): the approval queue, blocked and
flagged questions with their reasons, bad cases with their traces, the audit log with its
chain check, and the input fence's policies with the sensitive-word lexicon. One tab each;
each panel lives in its own module (governance_*.py) and talks only to the HTTP API."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import Request
from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from .governance_approvals import ApprovalsPanel
from .governance_audit import AuditPanel
from .governance_cases import CasesPanel
from .governance_common import TraceDialog
from .governance_policy import PolicyPanel

TEXT: Table = {
    "title": ("治理", "Governance"),
    "approvals": ("审批", "Approvals"),
    "guard": ("拦截与标记", "Blocked and flagged"),
    "cases": ("坏案例", "Bad cases"),
    "audit": ("审计日志", "Audit log"),
    "policy": ("策略与词库", "Policies and lexicon"),
}

TABS = ("approvals", "guard", "cases", "audit", "policy")


async def _users(ctx: PageContext) -> dict[int, str]:
    try:
        return {u["id"]: u["username"] for u in await ctx.api.get("/users")}
    except ApiProblem:
        return {}


def _remember_tab(event: Any) -> None:
    """Keep the open tab in the address, so a reload (or the language switch) stays on it."""
    name = event.value if isinstance(event.value, str) else event.value.props.get("name")
    if name in TABS:
        ui.run_javascript(
            "const u = new URL(location.href);"
            f"u.searchParams.set('tab', {json.dumps(name)});"
            "history.replaceState(null, '', u);"
        )


@ui.page("/governance", title="TokenBase")
async def governance_page(request: Request, tab: str = "approvals") -> None:
    ctx = await open_page(request, "governance", admin=True)
    if ctx is None:
        return
    traces = TraceDialog(ctx)
    approvals = ApprovalsPanel(ctx, traces)
    guard = CasesPanel(ctx, traces, guard=True)
    cases = CasesPanel(ctx, traces, guard=False)
    audit = AuditPanel(ctx)
    policy = PolicyPanel(ctx)
    with ui.column().classes("w-full max-w-screen-xl mx-auto q-pa-sm q-pa-md-md gap-2"):
        ui.label(ctx.t(TEXT, "title")).classes("text-h5")
        with (
            ui.tabs(on_change=_remember_tab)
            .props("dense no-caps align=left outside-arrows mobile-arrows")
            .classes("w-full text-grey-8") as tabs
        ):
            for name in TABS:
                with ui.tab(name, ctx.t(TEXT, name)).props(f'data-testid="tab-{name}"'):
                    if name == "approvals":
                        approvals.badge = ui.badge("", color="orange").props("floating")
                        approvals.badge.visible = False
        with ui.tab_panels(tabs, value=tab if tab in TABS else "approvals").classes(
            "w-full bg-transparent"
        ):
            panels = (
                ("approvals", approvals),
                ("guard", guard),
                ("cases", cases),
                ("audit", audit),
                ("policy", policy),
            )
            for name, panel in panels:
                with ui.tab_panel(name).classes("q-pa-none q-pt-sm gap-2"):
                    panel.build()
    users = await _users(ctx)
    await asyncio.gather(
        approvals.load(),
        guard.load(users),
        cases.load(users),
        audit.load(),
        policy.load(),
    )
