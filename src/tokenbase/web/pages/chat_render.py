"""How an answer looks: its text (Markdown, HTML escaped) with each `[n]` marker turned into
a link that opens the source, the discreet line saying how it was written (extractive, or
generative and by which model), the tool calls it made, and the list of its sources.

    html = answer_html("住宿每晚不超过500元[1]。", {1})   # <a class="tb-cite" data-n="1">…
    kind_label(ctx, "generative", {"provider": "corp", "model": "m1"})
"""

from __future__ import annotations

import json
import re
from typing import Any

import markdown2

from ..i18n import Table
from ..layout import PageContext

TEXT: Table = {
    "generative": ("生成式回答", "Generative answer"),
    "extractive": ("摘录式回答（原文摘录，未经大模型改写）", "Extractive answer (quoted)"),
    "not_found": ("未找到相关资料", "Nothing found"),
    "blocked": ("已被安全策略拦截", "Blocked by the safety policy"),
    "model": ("模型：{model}", "Model: {model}"),
    "tool_ok": ("完成", "done"),
    "tool_error": ("出错", "failed"),
    "tool_denied": ("未执行", "not run"),
    "tool_pending_approval": ("等待审批 #{id}", "awaiting approval #{id}"),
    "tool": ("工具 {tool}：{status}", "Tool {tool}: {status}"),
    "sources": ("来源", "Sources"),
}

_MARKER = re.compile(r"\[(\d{1,3})\]")
_TAG = re.compile(r"(<[^>]+>)")
_EXTRAS = ["break-on-newline", "tables", "cuddled-lists", "strike"]


def answer_html(text: str, cited: set[int] | dict[int, Any]) -> str:
    """The answer as HTML: Markdown with any HTML in it escaped, and each `[n]` whose source
    is known as a link (`data-n`) the page turns into the source dialog."""
    html = markdown2.markdown(text or "", safe_mode="escape", extras=_EXTRAS)

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in cited:
            return match.group(0)
        return (
            f'<a class="tb-cite" href="#" data-n="{n}" data-testid="cite-{n}" '
            f'role="button">[{n}]</a>'
        )

    # Only text between tags: a marker never sits inside an attribute.
    parts = _TAG.split(html)
    return "".join(p if p.startswith("<") else _MARKER.sub(link, p) for p in parts)


def kind_label(ctx: PageContext, kind: str, model: dict[str, Any] | None) -> str:
    """`生成式回答 · corp/m1`, `摘录式回答…`, or '' for an unknown kind."""
    parts = []
    if kind in ("generative", "extractive", "not_found", "blocked"):
        parts.append(ctx.t(TEXT, kind))
    if model and model.get("model"):
        name = "/".join(p for p in (model.get("provider"), model.get("model")) if p)
        parts.append(ctx.t(TEXT, "model", model=name))
    return " · ".join(parts)


# status -> (icon, chip colour, text colour)
TOOL_ICONS = {
    "ok": ("check_circle", "green-1", "green-9"),
    "error": ("error", "red-1", "red-9"),
    "denied": ("block", "grey-3", "grey-8"),
    "pending_approval": ("hourglass_top", "orange-1", "orange-10"),
}


def tool_label(ctx: PageContext, call: dict[str, Any]) -> str:
    status = str(call.get("status") or "")
    key = f"tool_{status}"
    shown = ctx.t(TEXT, key, id=call.get("approval_id") or "") if key in TEXT else status
    return ctx.t(TEXT, "tool", tool=call.get("tool", "?"), status=shown)


def tool_detail(call: dict[str, Any]) -> str:
    """The tooltip of a tool call: its arguments (and error), cut short."""
    args = json.dumps(call.get("arguments") or {}, ensure_ascii=False)
    detail = args if len(args) <= 300 else args[:300] + "…"
    if call.get("error"):
        detail += f"\n{call['error']}"
    return detail


STYLE = """
<style>
.tb-answer p { margin: 0 0 .5em 0; }
.tb-answer p:last-child { margin-bottom: 0; }
.tb-answer ul, .tb-answer ol { margin: .25em 0 .5em 1.25em; }
.tb-answer table { border-collapse: collapse; margin: .5em 0; }
.tb-answer td, .tb-answer th { border: 1px solid #ddd; padding: 2px 6px; }
a.tb-cite { color: var(--q-primary); text-decoration: none; font-size: .8em;
  vertical-align: super; padding: 0 1px; cursor: pointer; font-weight: 600; }
a.tb-cite:hover { text-decoration: underline; }
.tb-context mark.tb-chunk { background: #fff3c4; padding: 1px 0; }
.tb-context mark.tb-quote { background: #ffd54f; font-weight: 600; }
.tb-box { position: absolute; background: rgba(255, 193, 7, .35);
  outline: 2px solid rgba(255, 160, 0, .9); border-radius: 2px; pointer-events: none; }
</style>
"""
