"""The prompt library (Prompt资产库) at /ui/prompts: prompts and their versions (text or chat
messages, variables, model parameters, commit message, author), a coloured diff between two
versions, labels (`latest` moves by itself; `production` needs the right role — the API's 403
is shown as it says), committing a new version, and for administrators per-version and
per-contributor statistics.

Everything goes through the HTTP API: GET /prompts, GET /prompts/{name}, POST /prompts,
POST /prompts/{name}/versions, PUT /prompts/{name}/labels/{label}, GET /prompts/reports.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext, open_page
from .prompts_diff import STYLE, changed_lines, side_by_side_html, unified_html, version_text
from .prompts_editor import open_editor
from .prompts_stats import stats_panel, version_table

TEXT: Table = {
    "title": ("Prompt 资产库", "Prompt library"),
    "subtitle": (
        "每个版本不可修改；标签指向版本，production 由管理员或 Prompt 负责人移动。",
        "Versions are immutable; labels point at versions, and production is moved by an "
        "administrator or a prompt owner.",
    ),
    "tab_library": ("Prompt 库", "Library"),
    "tab_stats": ("统计", "Statistics"),
    "new": ("新建 Prompt", "New prompt"),
    "empty": ("还没有 Prompt。", "No prompts yet."),
    "pick": ("从左侧选择一个 Prompt。", "Pick a prompt from the list."),
    "kind_text": ("文本", "text"),
    "kind_chat": ("对话", "chat"),
    "versions_n": ("{n} 个版本", "{n} versions"),
    "by": ("创建者 {name}", "by {name}"),
    "commit": ("提交新版本", "Commit a version"),
    "diff": ("版本对比", "Compare versions"),
    "labels": ("标签", "Labels"),
    "label": ("标签", "Label"),
    "to_version": ("指向版本", "Version"),
    "move": ("移动标签", "Move label"),
    "moved": ("{label} → v{version}", "{label} → v{version}"),
    "refused": ("无权移动该标签：{message}", "Not allowed to move this label: {message}"),
    "label_hint": (
        "latest 自动指向最新版本；production 需要管理员或 Prompt 负责人；也可输入自定义标签。",
        "latest follows the newest version; production needs an administrator or a prompt "
        "owner; type a name for a custom label.",
    ),
    "versions": ("版本", "Versions"),
    "variables": ("变量", "Variables"),
    "params": ("模型参数", "Model parameters"),
    "no_params": ("（默认）", "(defaults)"),
    "stats": ("本月各版本统计", "This month, by version"),
    "from": ("旧版本", "From"),
    "to": ("新版本", "To"),
    "unified": ("合并视图", "Unified"),
    "split": ("左右对照", "Side by side"),
    "same": ("两个版本内容相同。", "The two versions are the same."),
    "counts": ("删除 {removed} 行，新增 {added} 行", "{removed} lines removed, {added} added"),
    "one_version": ("只有一个版本，还没有可对比的。", "Only one version: nothing to compare."),
    "close": ("关闭", "Close"),
}


def when(iso: str | None) -> str:
    """'2026-11-24T19:49:41+00:00' -> '2026-11-24 19:49' (UTC, as stored)."""
    return (iso or "")[:16].replace("T", " ")


def _path(name: str) -> str:
    return f"/prompts/{quote(name, safe='')}"


def label_chips(labels: dict[str, int] | list[str], *, dense: bool = True) -> None:
    """Chips for labels: {label: version} or a version's [label]."""
    items = labels.items() if isinstance(labels, dict) else [(lb, None) for lb in labels]
    for label, version in sorted(items, key=lambda kv: (kv[0] != "production", kv[0])):
        color = {"production": "positive", "latest": "grey-6", "staging": "orange"}.get(
            label, "primary"
        )
        text = f"{label} → v{version}" if version is not None else label
        ui.badge(text, color=color).props(f'outline data-label="{label}"').classes(
            "q-mr-xs" if dense else "q-mr-sm text-body2"
        )


def show_body(body: str | list[dict[str, str]]) -> None:
    if isinstance(body, str):
        ui.label(body).classes("whitespace-pre-wrap text-body2 bg-grey-2 q-pa-sm rounded w-full")
        return
    for message in body:
        # role beside the text; on a phone, above it
        with ui.element("div").classes(
            "w-full flex flex-col sm:flex-row items-start gap-2 q-mb-xs"
        ):
            ui.badge(message.get("role", ""), color="blue-grey-6").classes(
                "q-mt-xs justify-center"
            ).style("min-width: 68px")
            ui.label(message.get("content", "")).classes(
                "whitespace-pre-wrap text-body2 bg-grey-2 q-pa-sm rounded w-full sm:flex-1 min-w-0"
            )


class Library:
    """The library tab: the list of prompts and the chosen prompt's detail."""

    def __init__(self, ctx: PageContext, selected: str = "") -> None:
        self.ctx = ctx
        self.selected = selected
        self.prompts: list[dict[str, Any]] = []
        self.report: list[dict[str, Any]] | None = None

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    async def load(self) -> None:
        try:
            self.prompts = await self.ctx.api.get("/prompts")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            self.prompts = []
        names = [p["name"] for p in self.prompts]
        if self.selected not in names:
            self.selected = names[0] if names else ""

    async def select(self, name: str) -> None:
        self.selected = name
        self.listing.refresh()
        await self.detail.refresh()
        ui.run_javascript(
            "if (window.innerWidth < 1024) document.querySelector("
            "'[data-testid=prompt-detail]')?.scrollIntoView({behavior: 'smooth'})"
        )

    async def saved(self, version: dict[str, Any]) -> None:
        self.selected = version["name"]
        self.report = None
        await self.load()
        self.listing.refresh()
        await self.detail.refresh()

    async def draw(self) -> None:
        """The list beside (on a phone: above) the chosen prompt."""
        with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-3 gap-4"):
            with ui.element("div").classes("lg:col-span-1 min-w-0"):
                self.listing()
            with ui.element("div").classes("lg:col-span-2 min-w-0"):
                await self.detail()

    @ui.refreshable_method
    def listing(self) -> None:
        if not self.prompts:
            ui.label(self.t("empty")).classes("text-grey-7")
            return
        with ui.list().props("bordered separator").classes("w-full bg-white rounded"):
            for p in self.prompts:
                active = p["name"] == self.selected
                item = ui.item(on_click=lambda n=p["name"]: self.select(n)).props(
                    f'clickable data-testid="prompt-item" data-name="{p["name"]}"'
                )
                if active:
                    item.classes("bg-blue-1")
                with item, ui.item_section():
                    with ui.row().classes("items-center no-wrap w-full"):
                        ui.label(p["name"]).classes("font-mono text-weight-medium ellipsis")
                        ui.space()
                        ui.label(
                            self.t("kind_chat" if p["kind"] == "chat" else "kind_text")
                        ).classes("text-caption text-grey-7")
                    if p.get("description"):
                        ui.label(p["description"]).classes(
                            "text-caption text-grey-8 ellipsis-2-lines"
                        )
                    with ui.row().classes("q-gutter-x-none"):
                        label_chips({k: v for k, v in p["labels"].items() if k != "latest"})
                        ui.label(f"v{p['latest']}").classes("text-caption text-grey-7")

    @ui.refreshable_method
    async def detail(self) -> None:
        if not self.selected:
            ui.label(self.t("pick")).classes("text-grey-7")
            return
        try:
            prompt = await self.ctx.api.get(_path(self.selected))
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        with ui.card().classes("w-full").props('flat bordered data-testid="prompt-detail"'):
            with ui.row().classes("w-full items-center"):
                with ui.column().classes("gap-0 col"):
                    ui.label(prompt["name"]).classes("text-h6 font-mono")
                    ui.label(prompt.get("description") or "").classes("text-body2 text-grey-8")
                    ui.label(
                        f"{self.t('versions_n', n=len(prompt['versions']))} · "
                        f"{self.t('by', name=prompt.get('created_by_name') or '')} · "
                        f"{when(prompt.get('created_at'))}"
                    ).classes("text-caption text-grey-7")
                with ui.row().classes("q-gutter-sm"):
                    ui.button(
                        self.t("diff"), icon="difference", on_click=lambda: self.open_diff(prompt)
                    ).props('outline data-testid="open-diff"')
                    ui.button(
                        self.t("commit"),
                        icon="commit",
                        on_click=lambda: open_editor(self.ctx, self.saved, prompt=prompt),
                    ).props('data-testid="commit-version"')
            ui.separator()
            self.labels_panel(prompt)
            if self.ctx.is_admin:
                await self.stats(prompt)
            ui.label(self.t("versions")).classes("text-subtitle1 q-mt-sm")
            for index, version in enumerate(prompt["versions"]):
                self.version_item(version, opened=index == 0)

    def labels_panel(self, prompt: dict[str, Any]) -> None:
        ui.label(self.t("labels")).classes("text-subtitle1")
        with ui.row().classes("items-center"):
            label_chips(prompt["labels"], dense=False)
        names = ["production", "staging"] + sorted(
            k for k in prompt["labels"] if k not in ("production", "staging", "latest")
        )
        versions = {
            v["version"]: f"v{v['version']} · {v['message'][:30]}" for v in prompt["versions"]
        }
        error = ui.label("").classes("text-negative text-body2").props('data-testid="label-error"')
        error.visible = False
        with ui.row().classes("items-center w-full q-gutter-sm"):
            label = (
                ui.select(
                    names, value="staging", label=self.t("label"), new_value_mode="add-unique"
                )
                .props('outlined dense use-input data-testid="label-name"')
                .classes("w-40")
            )
            version = (
                ui.select(versions, value=prompt["latest"], label=self.t("to_version"))
                .props('outlined dense data-testid="label-version"')
                .classes("w-56")
            )

            async def move() -> None:
                error.visible = False
                name = (label.value or "").strip()
                try:
                    moved = await self.ctx.api.put(
                        f"{_path(prompt['name'])}/labels/{quote(name, safe='')}",
                        json={"version": version.value},
                    )
                except ApiProblem as exc:
                    text = self.t("refused", message=exc.message) if exc.status == 403 else None
                    error.text = text or exc.message
                    error.visible = True
                    ui.notify(error.text, type="negative", multi_line=True)
                    return
                ui.notify(self.t("moved", label=name, version=moved["version"]), type="positive")
                await self.saved(moved)

            ui.button(self.t("move"), icon="sell", on_click=move).props(
                'outline data-testid="label-move"'
            )
        ui.label(self.t("label_hint")).classes("text-caption text-grey-7")

    async def stats(self, prompt: dict[str, Any]) -> None:
        if self.report is None:
            try:
                self.report = (await self.ctx.api.get("/prompts/reports")).get("rows") or []
            except ApiProblem:
                self.report = []
        rows = [r for r in self.report if r.get("name") == prompt["name"]]
        if rows:
            ui.label(self.t("stats")).classes("text-subtitle1 q-mt-sm")
            with ui.element("div").classes("w-full overflow-x-auto"):
                version_table(self.ctx, rows, testid="prompt-stats")

    def version_item(self, version: dict[str, Any], *, opened: bool) -> None:
        title = f"v{version['version']} · {version.get('message') or ''}"
        with (
            ui.expansion(value=opened)
            .classes("w-full border rounded q-mb-sm")
            .props(f'dense data-testid="version" data-version="{version["version"]}"') as item
        ):
            with item.add_slot("header"), ui.column().classes("gap-0 w-full"):
                with ui.row().classes("items-center"):
                    ui.label(title).classes("text-weight-medium")
                    label_chips(version.get("labels") or [])
                ui.label(
                    f"{version.get('author') or ''} · {when(version.get('created_at'))}"
                ).classes("text-caption text-grey-7")
            show_body(version["body"])
            variables = version.get("variables") or []
            if variables:
                ui.label(self.t("variables")).classes("text-subtitle2 q-mt-sm")
                with ui.column().classes("gap-1"):
                    for v in variables:
                        with ui.row().classes("items-baseline no-wrap"):
                            ui.label("{{" + v["name"] + "}}").classes("font-mono text-primary")
                            ui.label(v.get("type", "str")).classes("text-caption text-grey-7")
                            ui.label(v.get("description") or "").classes("text-caption")
            ui.label(self.t("params")).classes("text-subtitle2 q-mt-sm")
            params = version.get("params") or {}
            with ui.row().classes("q-gutter-xs"):
                if not params:
                    ui.label(self.t("no_params")).classes("text-caption text-grey-7")
                for key, value in sorted(params.items()):
                    ui.badge(f"{key} = {value}", color="grey-3").classes("text-black")

    def open_diff(self, prompt: dict[str, Any]) -> None:
        versions = {v["version"]: v for v in prompt["versions"]}
        numbers = sorted(versions)
        state = {
            "old": numbers[-2] if len(numbers) > 1 else numbers[-1],
            "new": numbers[-1],
            "mode": "unified",
        }
        options = {n: f"v{n} · {versions[n]['message'][:24]}" for n in reversed(numbers)}

        @ui.refreshable
        def shown() -> None:
            if len(numbers) < 2:
                ui.label(self.t("one_version")).classes("text-grey-7")
                return
            old = version_text(versions[state["old"]])
            new = version_text(versions[state["new"]])
            if old == new:
                ui.label(self.t("same")).classes("text-grey-7")
                return
            removed, added = changed_lines(old, new)
            ui.label(self.t("counts", removed=removed, added=added)).classes(
                "text-caption text-grey-7"
            )
            render = unified_html if state["mode"] == "unified" else side_by_side_html
            with ui.element("div").classes("w-full overflow-x-auto border rounded"):
                ui.html(render(old, new)).props('data-testid="diff"').classes("w-full")

        def change(key: str, value: Any) -> None:
            state[key] = value
            shown.refresh()

        with (
            ui.dialog() as dialog,
            ui.card().classes("tb-area w-full max-w-6xl"),
        ):
            with ui.row().classes("w-full items-center q-gutter-sm"):
                ui.label(f"{self.t('diff')} · {prompt['name']}").classes("text-h6")
                ui.space()
                ui.button(icon="close", on_click=dialog.close).props("flat round dense")
            with ui.row().classes("items-center q-gutter-sm"):
                ui.select(
                    options,
                    value=state["old"],
                    label=self.t("from"),
                    on_change=lambda e: change("old", e.value),
                ).props('outlined dense data-testid="diff-old"').classes("w-52")
                ui.select(
                    options,
                    value=state["new"],
                    label=self.t("to"),
                    on_change=lambda e: change("new", e.value),
                ).props('outlined dense data-testid="diff-new"').classes("w-52")
                ui.toggle(
                    {"unified": self.t("unified"), "split": self.t("split")},
                    value="unified",
                    on_change=lambda e: change("mode", e.value),
                ).props('dense data-testid="diff-mode"')
            shown()
        dialog.open()


@ui.page("/prompts", title="TokenBase")
async def prompts_page(request: Request, name: str = "") -> None:
    ctx = await open_page(request, "prompts", admin=False)
    if ctx is None:
        return
    ui.add_css(".tb-area .q-btn, .tb-area .q-tab { text-transform: none; }" + STYLE)
    library = Library(ctx, name)
    await library.load()
    with ui.column().classes("tb-area w-full max-w-7xl mx-auto q-pa-md gap-2"):
        with ui.row().classes("w-full items-center"):
            with ui.column().classes("gap-0 col"):
                ui.label(ctx.t(TEXT, "title")).classes("text-h5")
                ui.label(ctx.t(TEXT, "subtitle")).classes("text-caption text-grey-7")
            ui.button(
                ctx.t(TEXT, "new"), icon="add", on_click=lambda: open_editor(ctx, library.saved)
            ).props('data-testid="new-prompt"')
        if not ctx.is_admin:  # the statistics are administrators' (GET /prompts/reports)
            await library.draw()
            return
        show_stats = None

        async def tab_changed(e: Any) -> None:
            if e.value == "stats" and show_stats is not None:
                await show_stats()

        with (
            ui.tabs(on_change=tab_changed)
            .classes("w-full text-primary")
            .props("align=left dense") as tabs
        ):
            ui.tab("library", ctx.t(TEXT, "tab_library")).props('data-testid="tab-library"')
            ui.tab("stats", ctx.t(TEXT, "tab_stats")).props('data-testid="tab-stats"')
        with ui.tab_panels(tabs, value="library", animated=False).classes("w-full bg-transparent"):
            with ui.tab_panel("library").style("padding: 8px 0 0 0"):
                await library.draw()
            with ui.tab_panel("stats").style("padding: 8px 0 0 0"):
                with ui.element("div").classes("w-full overflow-x-auto"):
                    show_stats = stats_panel(ctx)
