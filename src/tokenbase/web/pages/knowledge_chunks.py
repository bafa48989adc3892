"""The chunk browser: search a knowledge base and see why each hit ranked where it did
(the CLI's `search --explain`: rank and score per channel — lexical BM25, dense vectors, their
RRF fusion, and the reranker when one is configured), open a chunk in its surrounding text,
and page through one document's chunks in reading order.
"""

from __future__ import annotations

from html import escape
from typing import Any

from nicegui import ui

from ..api import ApiProblem
from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "search": ("检索分块", "Search chunks"),
    "query": ("输入问题或关键词", "A question or keywords"),
    "go": ("检索", "Search"),
    "mode": ("方式", "Mode"),
    "hybrid": ("混合", "Hybrid"),
    "lexical": ("仅词法", "Lexical only"),
    "dense": ("仅向量", "Dense only"),
    "no_hits": ("没有找到结果。", "No results."),
    "degraded": ("向量通道未启用：{why}", "The dense channel was skipped: {why}"),
    "n_hits": ("{n} 条结果", "{n} results"),
    "score": ("得分 {score}", "score {score}"),
    "rank": ("第 {rank} 名", "rank {rank}"),
    "context": ("上下文", "Context"),
    "close": ("关闭", "Close"),
    "more": ("加载更多", "Load more"),
    "chunks_of": ("《{title}》的分块", "Chunks of “{title}”"),
    "tokens": ("{n} 词元", "{n} tokens"),
    "explain": (
        "每条结果显示各通道的名次与得分：词法（BM25）、向量（稠密检索）、融合（RRF）、重排。",
        "Each hit shows its rank and score per channel: lexical (BM25), dense (vectors), "
        "fused (RRF) and rerank.",
    ),
}
CHANNEL: Table = {
    "lexical": ("词法", "Lexical"),
    "dense": ("向量", "Dense"),
    "fused": ("融合", "Fused"),
    "rerank": ("重排", "Rerank"),
}
CHANNEL_COLOR = {"lexical": "indigo", "dense": "teal", "fused": "deep-purple", "rerank": "orange"}


def channel_scores(hit: dict[str, Any], position: int) -> dict[str, dict[str, Any] | None]:
    """Per channel {rank, score} or None (the chunk was not in that channel's list). Without a
    reranker a hit's score is its fused (RRF) score and its position the fused rank."""
    channels = hit.get("channels") or {}
    out: dict[str, dict[str, Any] | None] = {
        "lexical": channels.get("lexical"),
        "dense": channels.get("dense"),
        "fused": channels.get("fused"),
    }
    if out["fused"] is None and "rerank" not in channels:
        out["fused"] = {"rank": position, "score": hit["score"]}
    if "rerank" in channels:
        out["rerank"] = channels["rerank"]
    return out


def highlighted(text: str, start: int, end: int) -> str:
    """Escaped HTML of `text` with text[start:end] marked."""
    return (
        escape(text[:start])
        + '<mark class="bg-yellow-3">'
        + escape(text[start:end])
        + "</mark>"
        + escape(text[end:])
    )


async def chunk_context_dialog(ctx: PageContext, chunk_id: int) -> None:
    try:
        chunk = await ctx.api.get(f"/chunks/{chunk_id}", params={"context": 800})
    except ApiProblem as exc:
        ctx.notify_error(exc)
        return
    box = chunk["context"]
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl"):
        ui.label(chunk["title"]).classes("text-h6")
        ui.label(chunk["location"] or "").classes("text-caption text-grey-7")
        html = highlighted(box["text"], box["chunk_start"], box["chunk_end"])
        ui.html(html, sanitize=False).classes("text-body2").style(
            "white-space: pre-wrap; max-height: 60vh; overflow-y: auto"
        ).props('data-testid="chunk-context"')
        with ui.row().classes("w-full justify-end"):
            ui.button(ctx.t(TEXT, "close"), on_click=dialog.close).props("flat")
    dialog.on("hide", dialog.delete)
    dialog.open()


def document_chunks_dialog(ctx: PageContext, doc: dict[str, Any]) -> None:
    """One document's chunks in reading order, 50 at a time."""
    state = {"offset": 0}
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-3xl"):
        ui.label(ctx.t(TEXT, "chunks_of", title=doc["title"])).classes("text-h6")
        listing = ui.column().classes("w-full gap-2").style("max-height: 65vh; overflow-y: auto")
        more = ui.button(ctx.t(TEXT, "more"), on_click=lambda: load()).props("flat dense")
        with ui.row().classes("w-full justify-end"):
            ui.button(ctx.t(TEXT, "close"), on_click=dialog.close).props("flat")

    async def load() -> None:
        try:
            chunks = await ctx.api.get(
                f"/documents/{doc['id']}/chunks", params={"limit": 50, "offset": state["offset"]}
            )
        except ApiProblem as exc:
            ctx.notify_error(exc)
            return
        state["offset"] += len(chunks)
        more.visible = len(chunks) == 50
        with listing:
            for chunk in chunks:
                with ui.card().classes("w-full q-pa-sm").props("flat bordered"):
                    caption = f"#{chunk['ordinal'] + 1}"
                    if chunk["location"]:
                        caption += f" · {chunk['location']}"
                    caption += " · " + ctx.t(TEXT, "tokens", n=chunk["token_count"])
                    ui.label(caption).classes("text-caption text-grey-7")
                    ui.label(chunk["text"]).classes("text-body2").style("white-space: pre-wrap")

    dialog.on("hide", dialog.delete)
    dialog.open()
    ui.timer(0, load, once=True)


def search_panel(ctx: PageContext, kb: dict[str, Any]) -> None:
    """Search box and ranked hits with their channel scores."""

    async def run() -> None:
        if not (query.value or "").strip():
            return
        body = {"query": query.value, "kbs": [kb["name"]], "mode": mode.value, "limit": 20}
        try:
            found = await ctx.api.post("/search", json=body)
        except ApiProblem as exc:
            ctx.notify_error(exc)
            return
        results.clear()
        with results:
            if found.get("degraded"):
                ui.label(ctx.t(TEXT, "degraded", why=found["degraded"])).classes(
                    "text-warning text-caption"
                )
            if not found["hits"]:
                ui.label(ctx.t(TEXT, "no_hits")).classes("text-grey-7")
            else:
                ui.label(ctx.t(TEXT, "n_hits", n=len(found["hits"]))).classes(
                    "text-caption text-grey-7"
                )
            for position, hit in enumerate(found["hits"], 1):
                _hit_card(ctx, hit, position)

    with ui.column().classes("w-full gap-2"):
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            query = (
                ui.input(placeholder=ctx.t(TEXT, "query"))
                .props('outlined dense clearable data-testid="chunk-query"')
                .classes("col")
                .on("keydown.enter", run)
            )
            mode = (
                ui.select(
                    {m: ctx.t(TEXT, m) for m in ("hybrid", "lexical", "dense")},
                    value="hybrid",
                )
                .props("outlined dense options-dense")
                .classes("w-28")
            )
            ui.button(ctx.t(TEXT, "go"), icon="search", on_click=run).props(
                'data-testid="chunk-search"'
            )
        ui.label(ctx.t(TEXT, "explain")).classes("text-caption text-grey-7")
        results = ui.column().classes("w-full gap-2").props('data-testid="chunk-results"')


def _hit_card(ctx: PageContext, hit: dict[str, Any], position: int) -> None:
    with ui.card().classes("w-full q-pa-sm").props('flat bordered data-testid="chunk-hit"'):
        with ui.row().classes("w-full items-center no-wrap gap-2"):
            ui.label(f"{position}.").classes("text-weight-bold text-primary")
            with ui.column().classes("col gap-0 min-w-0"):
                ui.label(hit["title"]).classes("text-body1 text-weight-medium ellipsis")
                ui.label(hit.get("location") or "").classes("text-caption text-grey-7 ellipsis")
            ui.label(ctx.t(TEXT, "score", score=f"{hit['score']:.4f}")).classes(
                "text-caption text-grey-8 gt-xs"
            )
            ui.button(
                ctx.t(TEXT, "context"),
                icon="article",
                on_click=lambda: chunk_context_dialog(ctx, hit["chunk_id"]),
            ).props('flat dense size=sm data-testid="chunk-open"')
        with ui.row().classes("w-full gap-1 q-my-xs"):
            for name, value in channel_scores(hit, position).items():
                label = ctx.t(CHANNEL, name)
                if value is None:
                    text = f"{label}: —"
                else:
                    text = f"{label}: #{value['rank']} · {value['score']:.4f}"
                ui.badge(text, color=CHANNEL_COLOR[name] if value else "grey-5").props(
                    f'outline data-channel="{name}"'
                )
        snippet = hit["text"].replace("\n", " ")
        ui.label(snippet[:300] + ("…" if len(snippet) > 300 else "")).classes("text-body2")
