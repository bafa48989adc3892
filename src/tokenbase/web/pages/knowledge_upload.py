"""Uploading into a knowledge base: files through NiceGUI's uploader (drag and drop or pick,
several at once, a .zip counts as a folder), and folders through the browser itself — a
native `<input type=file webkitdirectory>` or a folder dropped on the drop zone — posted by
the browser straight to POST /knowledge-bases/{kb}/documents with the user's session.

Either way the bytes go to the same multipart endpoint, with the classification, licence and
usage chosen above the drop zones; the jobs it queues show up in the document list by polling.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import events, ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext
from .knowledge_labels import USAGE, classification_options, options, segment

TEXT: Table = {
    "upload": ("上传文档", "Upload documents"),
    "classification": ("密级", "Classification"),
    "usage": ("使用范围", "Usage"),
    "licence": ("版权 / 许可说明（可选）", "Licence (optional)"),
    "files_label": (
        "拖入文件或点击选择（可多选；.zip 按文件夹展开）",
        "Drop files here or click to pick (several at once; a .zip is expanded as a folder)",
    ),
    "folder_drop": ("把文件夹拖到这里，或", "Drop a folder here, or"),
    "folder_pick": ("选择文件夹", "Pick a folder"),
    "queued": ("已加入处理队列：{n} 个文件", "Queued: {n} files"),
    "skipped": ("跳过：{names}", "Skipped: {names}"),
    "nothing": ("没有可上传的文件", "No file to upload"),
    "sending": ("正在上传 {n} 个文件……", "Uploading {n} files…"),
}

# The browser side of folder uploads: collect files (with their paths inside the folder)
# from a drop or a directory input, then post them in batches to the upload endpoint. A 415
# names the supported types: the batch is sent again without the others, which are reported.
FOLDER_JS = r"""
window.tbUpload = window.tbUpload || (function () {
  const HIDDEN = /(^|\/)(\.|~\$|__MACOSX)/;
  let pending = [];
  function walk(entry, out) {
    if (entry.isFile) {
      return new Promise((done) => entry.file(
        (f) => { out.push([f, entry.fullPath.replace(/^\//, '')]); done(); }, () => done()));
    }
    const reader = entry.createReader();
    const children = [];
    return new Promise((done) => {
      const next = () => reader.readEntries(async (batch) => {
        if (!batch.length) { for (const c of children) await walk(c, out); done(); }
        else { children.push(...batch); next(); }
      }, () => done());
      next();
    });
  }
  async function takeDrop(event) {
    const items = [...((event.dataTransfer && event.dataTransfer.items) || [])];
    const entries = items.map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    const out = [];
    if (entries.length) { for (const e of entries) await walk(e, out); }
    else {
      for (const f of (event.dataTransfer ? event.dataTransfer.files : [])) out.push([f, f.name]);
    }
    pending = out.filter(([f, name]) => !HIDDEN.test(name));
    return pending.length;
  }
  function takeInput(input) {
    pending = [...input.files].map((f) => [f, f.webkitRelativePath || f.name])
      .filter(([f, name]) => !HIDDEN.test(name));
    input.value = '';
    return pending.length;
  }
  async function send(url, fields) {
    const files = pending; pending = [];
    let queued = 0, supported = null;
    const skipped = [], errors = [];
    for (let i = 0; i < files.length; i += 50) {
      let batch = files.slice(i, i + 50);
      for (let attempt = 0; attempt < 2 && batch.length; attempt++) {
        if (supported) {
          const ok = ([f, name]) => supported.some((ext) => name.toLowerCase().endsWith(ext));
          batch.filter((p) => !ok(p)).forEach(([f, name]) => skipped.push(name));
          batch = batch.filter(ok);
          if (!batch.length) break;
        }
        const form = new FormData();
        for (const [f, name] of batch) form.append('files', f, name);
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        const r = await fetch(url, {method: 'POST', body: form, credentials: 'same-origin'});
        let body = {};
        try { body = await r.json(); } catch (e) {}
        if (r.ok) {
          queued += body.jobs.length;
          (body.skipped || []).forEach((s) => skipped.push(s.name));
          break;
        }
        const details = (body.error && body.error.details) || {};
        if (r.status === 415 && details.supported && !supported) {
          supported = details.supported;
          continue;
        }
        errors.push((body.error && body.error.message) || ('HTTP ' + r.status));
        break;
      }
    }
    return {queued, skipped, errors};
  }
  return {takeDrop, takeInput, send};
})();
"""


def upload_card(
    ctx: PageContext, kb: dict[str, Any], on_uploaded: Callable[[], Awaitable[None]]
) -> None:
    """The upload controls for a knowledge base the caller may write to."""
    url = f"/knowledge-bases/{segment(kb['name'])}/documents"
    ceiling = int(ctx.user.get("clearance", 1))
    ui.add_body_html(f"<script>{FOLDER_JS}</script>")

    def fields() -> dict[str, str]:
        return {
            "classification": str(classification.value),
            "usage": str(usage.value),
            "licence": licence.value or "",
        }

    def report(queued: int, skipped: list[str], errors: list[str]) -> None:
        for message in errors:
            ui.notify(message, type="negative", multi_line=True)
        if queued:
            ui.notify(ctx.t(TEXT, "queued", n=queued), type="positive")
        if skipped:
            names = ", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")
            ui.notify(ctx.t(TEXT, "skipped", names=names), type="warning", multi_line=True)

    async def send_files(e: events.MultiUploadEventArguments) -> None:
        files = [
            ("files", (f.name, await f.read(), f.content_type or "application/octet-stream"))
            for f in e.files
        ]
        uploader.reset()
        try:
            accepted = await ctx.api.post(url, files=files, data=fields())
        except ApiProblem as exc:
            report(0, [], [exc.message])
            return
        report(len(accepted["jobs"]), [s["name"] for s in accepted.get("skipped", [])], [])
        await on_uploaded()

    async def send_folder(e: events.GenericEventArguments) -> None:
        count = int(e.args or 0)
        if not count:
            ui.notify(ctx.t(TEXT, "nothing"), type="warning")
            return
        ui.notify(ctx.t(TEXT, "sending", n=count))
        result = await ui.run_javascript(
            f"return await window.tbUpload.send({json.dumps(url)}, "
            f"{json.dumps(fields(), ensure_ascii=False)});",
            timeout=900,
        )
        report(int(result.get("queued", 0)), result.get("skipped", []), result.get("errors", []))
        await on_uploaded()

    with ui.card().classes("w-full q-pa-sm").props("flat bordered"):
        ui.label(ctx.t(TEXT, "upload")).classes("text-subtitle1 text-weight-medium")
        with ui.element("div").classes("row w-full items-center q-col-gutter-sm"):
            classification = (
                ui.select(
                    classification_options(ctx.lang, ceiling),
                    value=min(1, ceiling),
                    label=ctx.t(TEXT, "classification"),
                )
                .props('dense outlined data-testid="upload-classification"')
                .classes("col-12 col-sm-3")
            )
            usage = (
                ui.select(options(USAGE, ctx.lang), value="internal", label=ctx.t(TEXT, "usage"))
                .props("dense outlined")
                .classes("col-12 col-sm-4")
            )
            licence = (
                ui.input(ctx.t(TEXT, "licence"))
                .props('dense outlined data-testid="upload-licence"')
                .classes("col-12 col-sm-5")
            )
        uploader = (
            ui.upload(
                multiple=True,
                auto_upload=True,
                on_multi_upload=send_files,
                label=ctx.t(TEXT, "files_label"),
            )
            .props('flat bordered data-testid="file-upload"')
            .classes("w-full q-mt-sm")
        )
        picker = ui.element("input").props(
            'type=file webkitdirectory multiple data-testid="folder-input"'
        )
        picker.classes("hidden")
        picker.on(
            "change",
            send_folder,
            js_handler="(e) => emit(window.tbUpload.takeInput(e.target))",
        )
        zone = ui.row().classes(
            "w-full items-center justify-center q-pa-md q-mt-sm rounded-borders text-grey-8"
        )
        zone.style("border: 2px dashed #bbb").props('data-testid="folder-drop"')
        zone.on("dragover.prevent", js_handler="() => {}")
        zone.on(
            "drop.prevent",
            send_folder,
            js_handler="async (e) => emit(await window.tbUpload.takeDrop(e))",
        )
        with zone:
            ui.icon("folder_open", size="sm")
            ui.label(ctx.t(TEXT, "folder_drop"))
            ui.button(ctx.t(TEXT, "folder_pick"), icon="drive_folder_upload").props(
                'flat dense color=primary data-testid="folder-pick"'
            ).on("click", js_handler=f"() => document.getElementById('{picker.html_id}').click()")
