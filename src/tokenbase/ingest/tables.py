"""Tables as text: every parser renders a table the same way, as a Markdown pipe table."""

from __future__ import annotations

from collections.abc import Sequence


def pipe_table(rows: Sequence[Sequence[str]]) -> str:
    """Render rows as a Markdown pipe table; the first row is the header.

    Cell text is flattened to one line and '|' is escaped; empty rows are dropped and short
    rows are padded.
    """
    rows = [row for row in rows if any(c.strip() for c in row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)

    def line(row: Sequence[str]) -> str:
        cells = [" ".join(c.split()).replace("|", "\\|") for c in row]
        return "| " + " | ".join(cells + [""] * (width - len(row))) + " |"

    lines = [line(rows[0]), "| " + " | ".join(["---"] * width) + " |"]
    lines.extend(line(row) for row in rows[1:])
    return "\n".join(lines)
