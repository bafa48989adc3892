"""A fast token-count estimate: chunk sizing, and model calls whose provider returns no usage.

Chunk sizes are budgeted in tokens because embedders truncate by tokens (e5: 512). Running the
embedder's own tokenizer over every candidate split would cost more than the parse itself, so
we estimate: one token per CJK character (XLM-R/e5 averages a little under that), and ~1.3 per
Latin word or number. The estimate errs on the high side, which keeps chunks under the limit.
"""

from __future__ import annotations

import re

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[A-Za-z]+|\d+(?:[.,]\d+)*|[^\s{_CJK}A-Za-z\d]")


def count_tokens(text: str) -> int:
    """Estimated model tokens in `text` (CJK chars, words, numbers, punctuation)."""
    count = 0.0
    for match in _TOKEN_RE.finditer(text):
        piece = match.group()
        if len(piece) == 1 and not piece.isalnum():
            count += 0.5  # punctuation often merges with a neighbour
        elif piece.isascii() and len(piece) > 1:
            count += 1 + len(piece) / 8  # long words split into sub-words
        else:
            count += 1
    return max(1, round(count)) if text.strip() else 0
