"""The source dialog a `[n]` marker opens: the document's title and the place in it, the chunk
highlighted in its surrounding text (the quoted sentences stronger), and for a PDF the page
itself with the quoted lines marked (GET /chunks/{id}/areas, /documents/{id}/pages/{n}.png).
Everything comes from the API with the user's own access: a source they may no longer read
says so instead of opening.
"""

from __future__ import annotations

import html
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "gone": (
        "无法打开此来源：文档已删除，或你已无权查看。",
        "This source cannot be opened: the document is gone or no longer yours to read.",
    ),
    "page": ("第 {n} 页", "Page {n}"),
    "original": ("下载原文", "Download the original"),
    "close": ("关闭", "Close"),
    "context": (
        "原文上下文（黄色为引用的段落，深色为引用的句子）",
        "In context (quoted part marked)",
    ),
    "page_view": ("原文页面（引用位置已标出）", "The page (the quoted lines are marked)"),
    "page_view_plain": ("原文页面", "The page"),
}

CONTEXT_CHARS = 600
# Bring the marked line of the page and the quoted sentence of the text into view.
SCROLL_JS = """
setTimeout(() => {
  const dialog = document.querySelector('[data-testid=source-dialog]');
  if (!dialog) return;
  const box = dialog.querySelector('[data-testid=source-box]');
  const img = dialog.querySelector('[data-testid=source-page]');
  const show = () => {
    if (!box) return;
    const pane = box.closest('.overflow-auto');
    const at = box.getBoundingClientRect().top - pane.getBoundingClientRect().top;
    pane.scrollTop += at - pane.clientHeight / 3;
  };
  if (img && !img.complete) img.addEventListener('load', show, {once: true}); else show();
  const quote = dialog.querySelector('mark.tb-quote') ||
                dialog.querySelector('[data-testid=source-chunk]');
  const text = dialog.querySelector('.tb-context');
  if (quote && text) {
    const at = quote.getBoundingClientRect().top - text.getBoundingClientRect().top;
    text.scrollTop += at - text.clientHeight / 3;
  }
}, 400);  // after the dialog's opening transition (it scales the card)
"""


def quotes(snippet: str) -> list[str]:
    """The sentences a citation quotes (its snippet may join several with an ellipsis)."""
    parts = [p.strip() for p in snippet.replace("……", "…").split("…")]
    return [p for p in parts if len(p) >= 2]


def context_html(context: dict[str, Any], snippet: str) -> str:
    """The context text with the chunk in <mark class="tb-chunk"> and the quoted sentences in
    <mark class="tb-quote">, everything else escaped."""
    text = context.get("text") or ""
    start, end = int(context.get("chunk_start", 0)), int(context.get("chunk_end", 0))
    chunk = text[start:end]
    spans: list[tuple[int, int]] = []
    for quote in quotes(snippet):
        at = chunk.find(quote)
        if at >= 0:
            spans.append((at, at + len(quote)))
    spans.sort()
    inner, cursor = [], 0
    for a, b in spans:
        if a < cursor:
            continue
        inner.append(html.escape(chunk[cursor:a]))
        inner.append(f'<mark class="tb-quote">{html.escape(chunk[a:b])}</mark>')
        cursor = b
    inner.append(html.escape(chunk[cursor:]))
    return (
        html.escape(text[:start])
        + '<mark class="tb-chunk" data-testid="source-chunk">'
        + "".join(inner)
        + "</mark>"
        + html.escape(text[end:])
    )


async def _pdf_page(ctx: PageContext, chunk: dict[str, Any], snippet: str) -> None:
    """The cited page of a PDF with the quoted lines marked (the chunk's lines when the quote
    is not found on the page)."""
    locator = chunk.get("locator") or {}
    first = locator.get("page")
    if not first:
        return
    try:
        areas = await ctx.api.get(f"/chunks/{chunk['id']}/areas", params={"quote": snippet[:2000]})
        pages = areas.get("pages") or []
        if not any(p["boxes"] for p in pages):
            pages = (await ctx.api.get(f"/chunks/{chunk['id']}/areas")).get("pages") or []
    except ApiProblem:
        pages = []
    marked = next((p for p in pages if p["boxes"]), None)
    number = marked["page"] if marked else first
    boxes = marked["boxes"] if marked else []
    key = "page_view" if boxes else "page_view_plain"
    ui.label(ctx.t(TEXT, key) + " · " + ctx.t(TEXT, "page", n=number)).classes(
        "text-caption text-grey-7"
    ).props('data-testid="source-page-label"')
    src = f"/documents/{chunk['document_id']}/pages/{number}.png?width=1000"
    with (
        ui.element("div")
        .classes("w-full border rounded-borders overflow-auto")
        .style("max-height: 50vh; flex-shrink: 0"),
        ui.element("div").classes("relative w-full"),
    ):
        ui.html(
            f'<img src="{src}" alt="" style="width:100%;display:block" data-testid="source-page">',
            sanitize=False,
        )
        for x0, y0, x1, y1 in boxes:
            style = (
                f"left:{x0 * 100:.2f}%;top:{y0 * 100:.2f}%;"
                f"width:{(x1 - x0) * 100:.2f}%;height:{(y1 - y0) * 100:.2f}%"
            )
            ui.element("div").classes("tb-box").style(style).props('data-testid="source-box"')


async def open_source(ctx: PageContext, citation: dict[str, Any]) -> None:
    """Open the dialog for one citation (a dict with chunk_id, document_id, snippet, n)."""
    try:
        chunk = await ctx.api.get(
            f"/chunks/{citation['chunk_id']}", params={"context": CONTEXT_CHARS}
        )
    except ApiProblem as exc:
        if exc.status == 404:
            ui.notify(ctx.t(TEXT, "gone"), type="warning")
        else:
            ctx.notify_error(exc)
        return
    snippet = str(citation.get("snippet") or "")
    with (
        ui.dialog() as dialog,
        ui.card().classes("w-full max-w-3xl q-pa-md").props('data-testid="source-dialog"'),
    ):
        with ui.row().classes("w-full items-start no-wrap"):
            with ui.column().classes("gap-0 col"):
                ui.label(f"[{citation.get('n', '')}] {chunk['title']}").classes(
                    "text-h6 text-weight-medium"
                ).props('data-testid="source-title"')
                where = " · ".join(
                    p
                    for p in (
                        chunk.get("location"),
                        chunk.get("kb"),
                        chunk.get("classification_label"),
                    )
                    if p
                )
                ui.label(where).classes("text-caption text-grey-7").props(
                    'data-testid="source-location"'
                )
            ui.button(icon="close", on_click=dialog.close).props(
                f'flat round dense aria-label="{ctx.t(TEXT, "close")}"'
            )
        await _pdf_page(ctx, chunk, snippet)
        ui.label(ctx.t(TEXT, "context")).classes("text-caption text-grey-7 q-mt-sm")
        ui.html(context_html(chunk.get("context") or {}, snippet), sanitize=False).classes(
            "tb-context whitespace-pre-wrap text-body2 w-full overflow-auto"
        ).style("max-height: 35vh; line-height: 1.7; flex-shrink: 0")
        with ui.row().classes("w-full justify-end"):
            ui.link(ctx.t(TEXT, "original"), f"/documents/{chunk['document_id']}/original").classes(
                "text-caption"
            )
    dialog.on("hide", lambda: dialog.delete())
    dialog.open()
    ui.run_javascript(SCROLL_JS)
