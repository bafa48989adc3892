"""The departments tree (GET /departments): add a top-level or sub-department, rename, move
under another one (or to the top), delete an empty one — administrators only, as the API
says. Grants given to a department reach everyone in it and in its sub-departments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "title": ("部门", "Departments"),
    "hint": (
        "授予部门的知识库权限，对其下级部门的成员同样有效。",
        "A knowledge-base grant to a department reaches its sub-departments too.",
    ),
    "add_root": ("新建部门", "New department"),
    "add_child": ("添加下级", "Add sub-department"),
    "rename": ("重命名", "Rename"),
    "move": ("移动", "Move"),
    "delete": ("删除", "Delete"),
    "name": ("部门名称", "Department name"),
    "parent": ("上级部门", "Parent department"),
    "top": ("（顶级）", "(top level)"),
    "save": ("保存", "Save"),
    "cancel": ("取消", "Cancel"),
    "empty": ("还没有部门。", "No departments yet."),
    "members": ("{n} 人", "{n} people"),
    "select": ("选择一个部门以修改。", "Select a department to change it."),
    "confirm_delete": ("删除部门“{name}”？", "Delete the department “{name}”?"),
    "done": ("已保存", "Saved"),
}


def flatten(tree: list[dict[str, Any]], prefix: str = "") -> list[tuple[int, str]]:
    """[(id, "总部 / 研发部 / 平台组"), ...] in tree order."""
    out: list[tuple[int, str]] = []
    for node in tree:
        path = f"{prefix} / {node['name']}" if prefix else node["name"]
        out.append((node["id"], path))
        out.extend(flatten(node.get("children") or [], path))
    return out


def _descendants(tree: list[dict[str, Any]], dept_id: int) -> set[int]:
    def walk(nodes: list[dict[str, Any]], inside: bool) -> set[int]:
        found: set[int] = set()
        for node in nodes:
            here = inside or node["id"] == dept_id
            if here:
                found.add(node["id"])
            found |= walk(node.get("children") or [], here)
        return found

    return walk(tree, False)


class DepartmentsPanel:
    def __init__(
        self, ctx: PageContext, on_change: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        self.ctx = ctx
        self.on_change = on_change
        self.tree: list[dict[str, Any]] = []
        self.counts: dict[int, int] = {}
        self.selected: int | None = None

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    def draw(self) -> None:
        with ui.row().classes("w-full items-center"):
            ui.label(self.t("title")).classes("text-subtitle1 text-weight-medium")
            ui.space()
            ui.button(
                self.t("add_root"), icon="add", on_click=lambda: self.edit_dialog(None, None)
            ).props('dense data-testid="dept-add-root"')
        ui.label(self.t("hint")).classes("text-caption text-grey-7")
        self.box = ui.column().classes("w-full")
        self.actions = ui.row().classes("w-full items-center gap-1")
        self.overlay = ui.element("div")  # dialogs: redrawing the tree keeps them

    async def load(self, users: list[dict[str, Any]] | None = None) -> None:
        try:
            self.tree = await self.ctx.api.get("/departments")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        if users is not None:
            self.counts = {}
            for user in users:
                if user.get("department_id"):
                    self.counts[user["department_id"]] = (
                        self.counts.get(user["department_id"], 0) + 1
                    )
        self.render()

    def _nodes(self, tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "id": node["id"],
                "label": node["name"]
                + (
                    f"（{self.t('members', n=self.counts[node['id']])}）"
                    if self.counts.get(node["id"])
                    else ""
                ),
                "children": self._nodes(node.get("children") or []),
            }
            for node in tree
        ]

    def render(self) -> None:
        self.box.clear()
        with self.box:
            if not self.tree:
                ui.label(self.t("empty")).classes("text-grey-7")
            else:
                tree = ui.tree(
                    self._nodes(self.tree), on_select=lambda e: self.select(e.value)
                ).props('data-testid="dept-tree" selected-color=primary')
                tree.expand()
                if self.selected is not None:
                    tree.select(self.selected)  # type: ignore[arg-type]
        self.select(self.selected)

    def select(self, dept_id: int | None) -> None:
        known = dict(flatten(self.tree))
        self.selected = dept_id if dept_id in known else None
        self.actions.clear()
        with self.actions:
            if self.selected is None:
                if self.tree:
                    ui.label(self.t("select")).classes("text-caption text-grey-7")
                return
            ui.label(known[self.selected]).classes("text-weight-medium q-mr-sm")
            ui.button(
                self.t("add_child"),
                icon="subdirectory_arrow_right",
                on_click=lambda: self.edit_dialog(None, self.selected),
            ).props('flat dense data-testid="dept-add-child"')
            ui.button(
                self.t("rename"), icon="edit", on_click=lambda: self.edit_dialog(self.selected)
            ).props("flat dense")
            ui.button(self.t("move"), icon="drive_file_move", on_click=self.move_dialog).props(
                "flat dense"
            )
            ui.button(self.t("delete"), icon="delete", on_click=self.delete_dialog).props(
                "flat dense color=negative"
            )

    async def _changed(self) -> None:
        ui.notify(self.t("done"), type="positive")
        if self.on_change is not None:
            await self.on_change()
        else:
            await self.load()

    def edit_dialog(self, dept_id: int | None, parent_id: int | None = None) -> None:
        """New department (under parent_id) when dept_id is None, else rename it."""
        current = dict(flatten(self.tree)).get(dept_id, "") if dept_id else ""
        with self.overlay, ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            name = (
                ui.input(self.t("name"), value=current.rsplit(" / ", 1)[-1])
                .props('outlined autofocus data-testid="dept-name"')
                .classes("w-full")
            )

            async def save() -> None:
                try:
                    if dept_id is None:
                        body = {"name": name.value, "parent_id": parent_id}
                        await self.ctx.api.post("/departments", json=body)
                    else:
                        await self.ctx.api.patch(
                            f"/departments/{dept_id}", json={"name": name.value}
                        )
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                dialog.close()
                await self._changed()

            name.on("keydown.enter", save)
            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("save"), on_click=save).props('data-testid="dept-save"')
        dialog.on("hide", dialog.delete)
        dialog.open()

    def move_dialog(self) -> None:
        dept_id = self.selected
        if dept_id is None:
            return
        below = _descendants(self.tree, dept_id)
        choices = {0: self.t("top")} | {i: p for i, p in flatten(self.tree) if i not in below}
        with self.overlay, ui.dialog() as dialog, ui.card().classes("w-full max-w-sm"):
            parent = ui.select(choices, value=0, label=self.t("parent")).props("outlined")
            parent.classes("w-full")

            async def save() -> None:
                try:
                    body = {"parent_id": parent.value}
                    await self.ctx.api.patch(f"/departments/{dept_id}", json=body)
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                dialog.close()
                await self._changed()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("save"), on_click=save)
        dialog.on("hide", dialog.delete)
        dialog.open()

    def delete_dialog(self) -> None:
        dept_id = self.selected
        if dept_id is None:
            return
        name = dict(flatten(self.tree))[dept_id]
        with self.overlay, ui.dialog() as dialog, ui.card():
            ui.label(self.t("confirm_delete", name=name))

            async def confirm() -> None:
                try:
                    await self.ctx.api.delete(f"/departments/{dept_id}")
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                dialog.close()
                self.selected = None
                await self._changed()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("delete"), on_click=confirm).props("color=negative")
        dialog.on("hide", dialog.delete)
        dialog.open()
