"""Text normalisation before any rule, lexicon or classifier sees the text.

Attackers hide instructions from naive matching with fullwidth letters (ｉｇｎｏｒｅ), zero-width
characters inside words (忽\u200b略), look-alike letters from other scripts (Cyrillic "о" in
"ignоre") and odd case. `normalise` folds all of these with one `str.translate` (every mapping
is one character to one character, or a deletion), lower-cases, and keeps a map from each
normalised position back to the original text, so a finding's span points at what the user
actually wrote.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u2061\u2062\u2063\u2064"

# Latin look-alikes from Cyrillic and Greek (lower and upper case), folded to ASCII.
_HOMOGLYPHS = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p",
    "С": "c", "Т": "t", "Х": "x", "У": "y", "І": "i",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "ι": "i", "κ": "k",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m",
    "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
}  # fmt: skip


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(c): None for c in ZERO_WIDTH}
    for code in range(0xFF01, 0xFF5F):  # fullwidth ASCII
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "  # ideographic space
    for src, dst in _HOMOGLYPHS.items():
        table[ord(src)] = dst
    # Mathematical alphanumerics (𝐢𝐠𝐧𝐨𝐫𝐞) and circled/enclosed letters fold under NFKC.
    for code in list(range(0x1D400, 0x1D6A4)) + list(range(0x24B6, 0x24EA)):
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1:
            table[code] = folded
    return table


_TABLE = _build_table()
_ZW = set(ZERO_WIDTH)


@dataclass(frozen=True)
class Normalised:
    """The folded text and, per folded character, its index in the original."""

    text: str
    offsets: np.ndarray | None  # None: same length, position i is position i
    original_length: int
    zero_width: int  # zero-width characters removed

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text back to the original text."""
        if self.offsets is None:
            return start, end
        if start >= len(self.offsets):
            return self.original_length, self.original_length
        last = int(self.offsets[end - 1]) + 1 if end > start else int(self.offsets[start])
        return int(self.offsets[start]), last


def normalise(text: str) -> Normalised:
    """Fold fullwidth forms, homoglyphs and case; drop zero-width characters."""
    folded = text.translate(_TABLE).lower()
    if len(folded) == len(text):
        return Normalised(folded, None, len(text), 0)
    # Only deletions change the length (every other mapping is 1:1; lower() of the folded
    # characters keeps length for the scripts we fold). Rebuild the offsets once.
    keep = np.fromiter((c not in _ZW for c in text), dtype=bool, count=len(text))
    offsets = np.nonzero(keep)[0]
    if len(offsets) != len(folded):  # a lower() that changed length (e.g. "İ"): no offsets
        offsets = np.minimum(np.arange(len(folded)), max(len(text) - 1, 0))
    return Normalised(folded, offsets, len(text), int(len(text) - keep.sum()))
