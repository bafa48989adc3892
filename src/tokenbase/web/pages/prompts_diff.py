"""Two prompt versions as text and their difference, in colour (Python's difflib).

    old, new = version_text(v1), version_text(v2)
    ui.html(unified_html(old, new))        # - / + lines, red / green
    ui.html(side_by_side_html(old, new))   # two columns, changed words marked

A version is compared as one text: its body (a chat prompt's messages each under a
`── role ──` line), then its variables and model parameters, so a changed temperature shows
up like a changed sentence. Everything is HTML-escaped here; the result is safe for ui.html.
"""

from __future__ import annotations

import difflib
import json
from html import escape
from itertools import zip_longest
from typing import Any

STYLE = """
.tb-diff { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12.5px; line-height: 1.55; width: 100%; border-collapse: collapse; }
.tb-diff td { vertical-align: top; padding: 0 6px; white-space: pre-wrap;
  word-break: break-word; }
.tb-diff td.num { color: #9e9e9e; text-align: right; user-select: none; width: 2.5em;
  white-space: nowrap; }
.tb-diff td.sign { width: 1em; color: #757575; user-select: none; }
.tb-diff tr.diff-add td { background: #e6ffec; }
.tb-diff tr.diff-del td { background: #ffebe9; }
.tb-diff td.diff-add { background: #e6ffec; }
.tb-diff td.diff-del { background: #ffebe9; }
.tb-diff td.empty { background: #fafafa; }
.tb-diff ins { background: #abf2bc; text-decoration: none; border-radius: 2px; }
.tb-diff del { background: #ffc1c0; text-decoration: none; border-radius: 2px; }
.tb-diff tr.hunk td { color: #0969da; background: #ddf4ff; }
"""


def body_text(body: str | list[dict[str, str]]) -> str:
    """A prompt body as plain text: the text itself, or each chat message under its role."""
    if isinstance(body, str):
        return body
    parts = []
    for message in body:
        parts.append(f"── {message.get('role', '')} ──\n{message.get('content', '')}")
    return "\n".join(parts)


def version_text(version: dict[str, Any]) -> str:
    """What is compared of a version (GET /prompts/{name} `versions[]`): body, variables,
    model parameters."""
    lines = [body_text(version.get("body") or "")]
    variables = version.get("variables") or []
    if variables:
        lines.append("── variables ──")
        for v in variables:
            extra = {k: v[k] for k in ("default", "choices") if v.get(k) not in (None, [])}
            tail = f" {json.dumps(extra, ensure_ascii=False)}" if extra else ""
            desc = f" — {v['description']}" if v.get("description") else ""
            lines.append(f"{v.get('name')}: {v.get('type', 'str')}{tail}{desc}")
    params = version.get("params") or {}
    if params:
        lines.append("── params ──")
        for key in sorted(params):
            lines.append(f"{key} = {json.dumps(params[key], ensure_ascii=False)}")
    return "\n".join(lines)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def changed_lines(old: str, new: str) -> tuple[int, int]:
    """(lines removed, lines added) between two texts."""
    removed = added = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, _lines(old), _lines(new)
    ).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return removed, added


def _row(cls: str, num_old: str, num_new: str, sign: str, text: str) -> str:
    return (
        f'<tr class="{cls}"><td class="num">{num_old}</td><td class="num">{num_new}</td>'
        f'<td class="sign">{sign}</td><td>{escape(text) or "&nbsp;"}</td></tr>'
    )


def unified_html(old: str, new: str, context: int = 3) -> str:
    """A unified diff as an HTML table: removed lines red (`diff-del`), added green
    (`diff-add`), `context` unchanged lines around each change, `@@` hunk headers."""
    a, b = _lines(old), _lines(new)
    rows = []
    matcher = difflib.SequenceMatcher(None, a, b)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        header = f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        rows.append(f'<tr class="hunk"><td colspan="4">{escape(header)}</td></tr>')
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for k in range(i2 - i1):
                    rows.append(_row("same", str(i1 + k + 1), str(j1 + k + 1), " ", a[i1 + k]))
                continue
            for k in range(i1, i2):
                rows.append(_row("diff-del", str(k + 1), "", "-", a[k]))
            for k in range(j1, j2):
                rows.append(_row("diff-add", "", str(k + 1), "+", b[k]))
    if not rows:
        return ""
    return f'<table class="tb-diff">{"".join(rows)}</table>'


def _marked(left: str, right: str) -> tuple[str, str]:
    """Both lines escaped, with the changed characters in <del> (left) and <ins> (right)."""
    out_left, out_right = [], []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = escape(left[i1:i2]), escape(right[j1:j2])
        if tag == "equal":
            out_left.append(a)
            out_right.append(b)
            continue
        if a:
            out_left.append(f"<del>{a}</del>")
        if b:
            out_right.append(f"<ins>{b}</ins>")
    return "".join(out_left), "".join(out_right)


def side_by_side_html(old: str, new: str) -> str:
    """The two texts in two columns, line against line: removed red, added green, and
    within a changed pair the changed characters marked."""
    a, b = _lines(old), _lines(new)
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                text = escape(a[i1 + k]) or "&nbsp;"
                rows.append(
                    f'<tr class="same"><td class="num">{i1 + k + 1}</td><td>{text}</td>'
                    f'<td class="num">{j1 + k + 1}</td><td>{text}</td></tr>'
                )
            continue
        pairs = zip_longest(range(i1, i2), range(j1, j2))
        for left, right in pairs:
            if left is not None and right is not None:
                lt, rt = _marked(a[left], b[right])
            else:
                lt = escape(a[left]) if left is not None else ""
                rt = escape(b[right]) if right is not None else ""
            lcls = "diff-del" if left is not None else "empty"
            rcls = "diff-add" if right is not None else "empty"
            rows.append(
                f'<tr class="changed"><td class="num">{"" if left is None else left + 1}</td>'
                f'<td class="{lcls}">{lt or "&nbsp;"}</td>'
                f'<td class="num">{"" if right is None else right + 1}</td>'
                f'<td class="{rcls}">{rt or "&nbsp;"}</td></tr>'
            )
    return f'<table class="tb-diff">{"".join(rows)}</table>'
