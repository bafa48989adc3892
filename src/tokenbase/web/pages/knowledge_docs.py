"""The documents of one knowledge base with their ingest progress, live.

A row is a document (GET /knowledge-bases/{kb}/documents) joined with the newest job for
its source (GET /jobs?kb=...), or a job whose document does not exist yet (queued, running,
or failed before indexing). Each row shows the stages parse · OCR · chunk · index · embed as
the job records them; a failed job shows its reason and a retry button (POST
/jobs/{id}/retry). A timer polls every 1.5 s while something is in progress, every 6 s
otherwise, and redraws only when the answer changed.
"""

from __future__ import annotations

import json
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Lang, Table
from ..layout import PageContext
from .knowledge_chunks import document_chunks_dialog
from .knowledge_labels import (
    CLASSIFICATION,
    CLASSIFICATION_COLOR,
    STAGE,
    STAGES,
    USAGE,
    classification_options,
    options,
    segment,
)
from .knowledge_upload import upload_card

TEXT: Table = {
    "documents": ("文档（{n}）", "Documents ({n})"),
    "empty": ("还没有文档。", "No documents yet."),
    "queued": ("排队中", "Queued"),
    "running": ("处理中", "Processing"),
    "embed_wait": ("等待向量化", "Waiting to embed"),
    "ready": ("已就绪", "Ready"),
    "indexed": ("可检索（向量未完成）", "Searchable (vectors pending)"),
    "failed": ("失败", "Failed"),
    "retry": ("重试", "Retry"),
    "retried": ("已重新排队", "Queued again"),
    "edit": ("修改标签", "Edit labels"),
    "chunks": ("分块", "Chunks"),
    "download": ("下载原文", "Download original"),
    "delete": ("删除", "Delete"),
    "confirm_delete": ("删除《{title}》及其全部分块？", "Delete “{title}” and all its chunks?"),
    "deleted": ("已删除", "Deleted"),
    "cancel": ("取消", "Cancel"),
    "save": ("保存", "Save"),
    "saved": ("已保存", "Saved"),
    "classification": ("密级", "Classification"),
    "usage": ("使用范围", "Usage"),
    "licence": ("版权 / 许可说明", "Licence"),
    "no_licence": ("未填写许可", "no licence"),
    "n_chunks": ("{n} 块", "chunks: {n}"),
    "ocr_pages": ("OCR {n} 页", "OCR {n} pages"),
    "attempts": ("第 {n} 次尝试", "attempt {n}"),
    "edit_title": ("修改《{title}》", "Edit “{title}”"),
    "stage_skipped": ("未使用", "not needed"),
}

STATE_ICON = {
    "done": ("check_circle", "positive"),
    "active": ("autorenew", "primary"),
    "waiting": ("hourglass_empty", "grey-7"),
    "pending": ("radio_button_unchecked", "grey-5"),
    "skipped": ("remove_circle_outline", "grey-5"),
    "failed": ("error", "negative"),
}


def stage_states(job: dict | None, doc: dict | None) -> tuple[dict[str, str], float, str]:
    """(state of each shown stage, overall fraction 0–1, status key) for one row."""
    ocr = "done" if doc and doc.get("ocr_pages") else "skipped"
    if job is None or job["status"] in ("done", "skipped"):
        states = {s: "done" for s in STAGES} | {"ocr": ocr}
        status = (doc or {}).get("status", "ready")
        if status == "indexed":
            return states | {"embed": "waiting"}, 0.8, "indexed"
        if status == "failed":
            return states, 1.0, "failed"
        return states, 1.0, "ready"
    current = "parse" if job["stage"] in ("fetch", "done") else job["stage"]
    at = STAGES.index(current) if current in STAGES else 0
    if job["status"] == "failed":
        here, status = "failed", "failed"
    elif job["status"] == "running":
        here, status = "active", "running"
    else:
        here = "waiting"
        status = "embed_wait" if current == "embed" else "queued"
    states = {}
    for i, stage in enumerate(STAGES):
        states[stage] = "done" if i < at else here if i == at else "pending"
    if at > STAGES.index("ocr"):
        states["ocr"] = ocr
    fraction = (at + (job.get("progress") or 0.0)) / len(STAGES)
    if job["status"] == "queued" and job["stage"] == "fetch":
        fraction = 0.0
    return states, min(1.0, fraction), status


def build_rows(docs: list[dict], jobs: list[dict]) -> list[dict[str, Any]]:
    """Documents with their newest job; then jobs without a document, first."""
    newest: dict[str, dict] = {}
    for job in jobs:  # newest first
        newest.setdefault(job["source"], job)
    sources = {d["source"] for d in docs}
    waiting = [
        {"doc": None, "job": job}
        for source, job in newest.items()
        if source not in sources and job["status"] not in ("done", "skipped")
    ]
    return waiting + [{"doc": d, "job": newest.get(d["source"])} for d in docs]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


class DocumentList:
    """The live list of one knowledge base's documents."""

    def __init__(self, ctx: PageContext, kb: dict[str, Any]) -> None:
        self.ctx, self.kb = ctx, kb
        self.path = f"/knowledge-bases/{segment(kb['name'])}"
        self.can_write = kb["access"] in ("write", "manage")
        self.signature = ""
        self.active = True
        self.ticks = 0
        self.failing = False
        self.rows: list[dict[str, Any]] = []

    def t(self, key: str, **values: object) -> str:
        return self.ctx.t(TEXT, key, **values)

    @property
    def lang(self) -> Lang:
        return self.ctx.lang

    async def draw(self) -> None:
        if self.can_write:
            upload_card(self.ctx, self.kb, self.refresh)
        self.heading = ui.label("").classes("text-subtitle1 text-weight-medium q-mt-md")
        self.box = ui.column().classes("w-full gap-2").props('data-testid="doc-list"')
        self.overlay = ui.element("div")  # dialogs live here: redrawing rows keeps them
        await self.refresh()
        ui.timer(1.5, self.tick)

    async def tick(self) -> None:
        self.ticks += 1
        if self.active or self.ticks % 4 == 0:
            await self.refresh()

    async def refresh(self) -> None:
        try:
            docs = await self.ctx.api.get(self.path + "/documents", params={"limit": 1000})
            jobs = await self.ctx.api.get("/jobs", params={"kb": self.kb["name"], "limit": 300})
        except ApiProblem as exc:
            if not self.failing:  # once, not every tick
                self.ctx.notify_error(exc)
            self.failing = True
            return
        self.failing = False
        rows = build_rows(docs, jobs)
        self.active = any(r["job"] and r["job"]["status"] in ("queued", "running") for r in rows)
        signature = json.dumps(rows, sort_keys=True, ensure_ascii=False)
        if signature == self.signature:
            return
        self.signature, self.rows = signature, rows
        self.heading.text = self.t("documents", n=len(rows))
        self.box.clear()
        with self.box:
            if not rows:
                ui.label(self.t("empty")).classes("text-grey-7")
            for row in rows:
                self.row(row["doc"], row["job"])

    # -- one row -------------------------------------------------------------------------
    def row(self, doc: dict | None, job: dict | None) -> None:
        states, fraction, status = stage_states(job, doc)
        name = job["name"] if job else doc["source"].removeprefix("upload:")  # type: ignore[index]
        title = doc["title"] if doc else name
        card = ui.card().classes("w-full q-pa-sm").props("flat bordered")
        card.props(f'data-testid="doc-row" data-name="{name}" data-status="{status}"')
        with card:
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                ui.icon("description", size="sm").classes("text-grey-7")
                with ui.column().classes("col gap-0 min-w-0"):
                    ui.label(title).classes("text-body1 text-weight-medium ellipsis")
                    ui.label(self._caption(name, doc, job)).classes(
                        "text-caption text-grey-7 ellipsis"
                    )
                self._status_badge(status)
            with ui.row().classes("w-full items-center gap-1 q-mt-xs"):
                for stage in STAGES:
                    self._stage_chip(stage, states[stage])
                if doc:
                    ui.space()
                    self._labels(doc)
            if status in ("running", "queued", "embed_wait"):
                ui.linear_progress(value=fraction, show_value=False).props(
                    "rounded color=primary"
                ).classes("q-mt-xs")
            if job and job["status"] == "failed":
                with ui.row().classes("w-full items-center no-wrap q-mt-xs gap-2"):
                    ui.icon("error_outline", color="negative")
                    ui.label(job.get("error") or job.get("message") or "").classes(
                        "col text-negative text-caption"
                    ).style("word-break: break-word").props('data-testid="doc-error"')
                    if self.can_write:
                        ui.button(
                            self.t("retry"), icon="refresh", on_click=lambda j=job: self.retry(j)
                        ).props('dense outline color=negative data-testid="retry"')
            if doc:
                self._actions(doc)

    def _caption(self, name: str, doc: dict | None, job: dict | None) -> str:
        parts = [name]
        if doc:
            parts.append(_size(doc["size_bytes"]))
            parts.append(self.t("n_chunks", n=doc["chunk_count"]))
            if doc.get("ocr_pages"):
                parts.append(self.t("ocr_pages", n=doc["ocr_pages"]))
        if job and job["status"] == "failed" and job["attempts"] > 1:
            parts.append(self.t("attempts", n=job["attempts"]))
        return " · ".join(parts)

    def _status_badge(self, status: str) -> None:
        color = {
            "ready": "positive",
            "indexed": "teal",
            "failed": "negative",
            "running": "primary",
        }.get(status, "grey-7")
        ui.badge(self.t(status), color=color).props('data-testid="doc-status"')

    def _stage_chip(self, stage: str, state: str) -> None:
        icon, color = STATE_ICON[state]
        with (
            ui.row()
            .classes("items-center gap-1 q-px-sm rounded-borders bg-grey-2 text-caption")
            .props(f'data-stage="{stage}" data-state="{state}"')
        ):
            ui.icon(icon, color=color, size="xs").classes(
                "animate-spin" if state == "active" else ""
            )
            ui.label(self.ctx.t(STAGE, stage))
            if state == "skipped":
                ui.tooltip(self.t("stage_skipped"))

    def _labels(self, doc: dict) -> None:
        level = int(doc["classification"])
        ui.badge(self.ctx.t(CLASSIFICATION, str(level)), color=CLASSIFICATION_COLOR[level]).props(
            'outline data-testid="doc-classification"'
        )
        ui.badge(self.ctx.t(USAGE, doc["usage"]), color="grey-8").props("outline")
        if doc.get("licence"):
            ui.badge(doc["licence"][:40], color="grey-8").props("outline").tooltip(doc["licence"])

    def _actions(self, doc: dict) -> None:
        with ui.row().classes("w-full justify-end gap-1"):
            ui.button(
                self.t("chunks"),
                icon="view_agenda",
                on_click=lambda: self.chunks(doc),
            ).props('flat dense size=sm data-testid="doc-chunks"')
            with (
                ui.element("a")
                .props(f'href="/documents/{doc["id"]}/original" download')
                .classes("no-underline")
            ):
                ui.button(self.t("download"), icon="download").props("flat dense size=sm")
            if self.can_write:
                ui.button(self.t("edit"), icon="edit", on_click=lambda: self.edit(doc)).props(
                    'flat dense size=sm data-testid="doc-edit"'
                )
                ui.button(self.t("delete"), icon="delete", on_click=lambda: self.delete(doc)).props(
                    "flat dense size=sm color=negative"
                )

    # -- actions -------------------------------------------------------------------------
    def chunks(self, doc: dict) -> None:
        with self.overlay:
            document_chunks_dialog(self.ctx, doc)

    async def retry(self, job: dict) -> None:
        try:
            await self.ctx.api.post(f"/jobs/{job['id']}/retry")
        except ApiProblem as exc:
            self.ctx.notify_error(exc)
            return
        ui.notify(self.t("retried"), type="info")
        self.active = True
        await self.refresh()

    def edit(self, doc: dict) -> None:
        ceiling = max(int(self.ctx.user.get("clearance", 1)), int(doc["classification"]))
        with self.overlay, ui.dialog() as dialog, ui.card().classes("w-full max-w-md"):
            ui.label(self.t("edit_title", title=doc["title"])).classes("text-h6")
            level = (
                ui.select(
                    classification_options(self.lang, ceiling),
                    value=int(doc["classification"]),
                    label=self.t("classification"),
                )
                .props('outlined data-testid="edit-classification"')
                .classes("w-full")
            )
            usage = (
                ui.select(options(USAGE, self.lang), value=doc["usage"], label=self.t("usage"))
                .props('outlined data-testid="edit-usage"')
                .classes("w-full")
            )
            licence = (
                ui.textarea(self.t("licence"), value=doc.get("licence") or "")
                .props('outlined autogrow data-testid="edit-licence"')
                .classes("w-full")
            )

            async def save() -> None:
                body = {"classification": level.value, "usage": usage.value}
                body["licence"] = licence.value or ""
                try:
                    await self.ctx.api.patch(f"/documents/{doc['id']}", json=body)
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                ui.notify(self.t("saved"), type="positive")
                dialog.close()
                await self.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("save"), on_click=save).props('data-testid="edit-save"')
        dialog.on("hide", dialog.delete)
        dialog.open()

    def delete(self, doc: dict) -> None:
        with self.overlay, ui.dialog() as dialog, ui.card():
            ui.label(self.t("confirm_delete", title=doc["title"]))

            async def confirm() -> None:
                try:
                    await self.ctx.api.delete(f"/documents/{doc['id']}")
                except ApiProblem as exc:
                    self.ctx.notify_error(exc)
                    return
                ui.notify(self.t("deleted"))
                dialog.close()
                await self.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(self.t("cancel"), on_click=dialog.close).props("flat")
                ui.button(self.t("delete"), on_click=confirm).props("color=negative")
        dialog.on("hide", dialog.delete)
        dialog.open()


async def documents_panel(ctx: PageContext, kb: dict[str, Any]) -> DocumentList:
    panel = DocumentList(ctx, kb)
    await panel.draw()
    return panel
