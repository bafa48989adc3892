"""Structure-aware chunking: blocks -> chunks sized in tokens, each with locator and offsets.

Rules, in order:
- a heading starts a new chunk (so a section's text stays together with its heading);
- a block that fits the budget is never split (tables, list items, short sections stay whole);
- a block over the budget is split on sentence boundaries (。！？；… . ! ?), a table on rows,
  and a sentence over the budget on characters as a last resort;
- consecutive chunks inside one section overlap by up to `overlap` tokens of whole sentences.
Every chunk's text is exactly `document.text[start:end]`, so a viewer can highlight it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..tokens import count_tokens
from .document import Block, Locator, ParsedDocument

# A sentence ends at CJK or Latin terminal punctuation (plus closing quotes/brackets) or a
# line break; Latin '.' counts only before whitespace so '3.5' and 'v1.2' survive.
_SENTENCE_END = re.compile(r"[。！？!?；;…]+[”’」』）)]*|\.(?=\s)|\n+")


@dataclass
class Chunk:
    text: str
    start: int
    end: int
    token_count: int
    locator: Locator
    context: str  # heading path / sheet, prepended when indexing and embedding

    @property
    def index_text(self) -> str:
        """Text fed to the lexical index and the embedder: context line, then the chunk."""
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass
class _Unit:
    start: int
    end: int
    tokens: int
    block: Block


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences in `text`, covering all non-space text."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[pos:end].strip():
            spans.append((pos, end))
        pos = end
    if text[pos:].strip():
        spans.append((pos, len(text)))
    return [_trim(text, s, e) for s, e in spans]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _units_for_block(block: Block, budget: int) -> list[_Unit]:
    tokens = count_tokens(block.text)
    if tokens <= budget:
        return [_Unit(block.start, block.end, tokens, block)]
    if block.kind == "table":
        spans, pos = [], 0
        for line in block.text.split("\n"):
            spans.append((pos, pos + len(line)))
            pos += len(line) + 1
    else:
        spans = split_sentences(block.text)
    units: list[_Unit] = []
    for start, end in spans:
        piece = block.text[start:end]
        if not piece.strip():
            continue
        piece_tokens = count_tokens(piece)
        if piece_tokens <= budget:
            units.append(_Unit(block.start + start, block.start + end, piece_tokens, block))
            continue
        # Hard split of an over-long sentence, by characters in proportion to the budget.
        step = max(1, int(len(piece) * budget / piece_tokens))
        for offset in range(0, len(piece), step):
            s = block.start + start + offset
            e = min(block.start + end, s + step)
            units.append(
                _Unit(s, e, count_tokens(block.text[s - block.start : e - block.start]), block)
            )
    return units


def context_for(locator: Locator) -> str:
    """The context line for a chunk: sheet name and heading path."""
    parts = []
    if locator.sheet:
        parts.append(locator.sheet)
    parts.extend(locator.heading_path)
    return " > ".join(parts)


def chunk_document(doc: ParsedDocument, budget: int = 320, overlap: int = 48) -> list[Chunk]:
    """Cut a parsed document into chunks of at most ~`budget` tokens."""
    chunks: list[Chunk] = []
    current: list[_Unit] = []

    def flush() -> None:
        if not current:
            return
        start, end = current[0].start, current[-1].end
        locator = current[0].block.locator
        for unit in current[1:]:
            locator = locator.merge(unit.block.locator)
        text = doc.text[start:end]
        chunks.append(
            Chunk(
                text, start, end, count_tokens(text), locator, context_for(current[0].block.locator)
            )
        )

    for block in doc.blocks:
        if block.kind in ("heading", "title") and current:
            only_headings = all(u.block.kind in ("heading", "title") for u in current)
            if not only_headings:
                flush()
                current = []
        for unit in _units_for_block(block, budget):
            used = sum(u.tokens for u in current)
            if current and used + unit.tokens > budget:
                flush()
                carry: list[_Unit] = []
                carried = 0
                if unit.block is current[-1].block:  # same block continues: overlap
                    for prev in reversed(current):
                        if prev.block is not unit.block or carried + prev.tokens > overlap:
                            break
                        carry.insert(0, prev)
                        carried += prev.tokens
                current = carry
            current.append(unit)
    flush()
    return chunks
