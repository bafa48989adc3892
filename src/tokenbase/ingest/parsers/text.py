"""Plain text: paragraphs split on blank lines, and conservatively recognised headings.

A line is a heading only if it is short, has no closing punctuation and starts with a
numbering pattern Chinese documents use: 第X章 (level 1), 第X节 / 一、 (2), （一） (3), or
dotted numbers followed by a space, 1.2 (2) / 1.2.3 (3). A short first line followed by a
blank line is the title. Long runs of lines without blank lines are grouped into paragraphs
of a few hundred characters, breaking after sentence-ending punctuation where possible.
"""

from __future__ import annotations

import re

from ..document import Block, Locator, ParsedDocument
from ..registry import ParseOptions, register_parser
from ..textdecode import decode_text

_NUM = "一二三四五六七八九十百千零〇两"
_HEADINGS: tuple[tuple[re.Pattern[str], int | None], ...] = (
    (re.compile(rf"^第[{_NUM}\d]{{1,5}}[编篇章](?:[\s　]*\S.*)?$"), 1),
    (re.compile(rf"^第[{_NUM}\d]{{1,5}}节(?:[\s　]*\S.*)?$"), 2),
    (re.compile(rf"^[{_NUM}]{{1,3}}、[\s　]*\S"), 2),
    (re.compile(rf"^[（(][{_NUM}]{{1,3}}[）)][\s　]*\S"), 3),
    (re.compile(r"^\d{1,2}(?:\.\d{1,2}){1,3}[\s　]+[^\d\s.]"), None),  # level = depth
)
_MAX_HEADING_CHARS = 40
_NO_HEADING_END = tuple("。，,；;：:！!？?、….")
_SENTENCE_END = tuple("。！？!?；;…”」』")
PARAGRAPH_TARGET = 300  # grouping lines: close a paragraph after a sentence past this size
PARAGRAPH_MAX = 800  # ... and never let one grow past this (unless a single line does)


def heading_level(line: str) -> int:
    """The heading level of a stripped line, or 0 if it does not look like a heading."""
    if len(line) > _MAX_HEADING_CHARS or line.endswith(_NO_HEADING_END):
        return 0
    for pattern, level in _HEADINGS:
        if pattern.match(line):
            return level or line.split(maxsplit=1)[0].count(".") + 1
    return 0


def group_lines(lines: list[str]) -> list[str]:
    """Consecutive non-blank lines as paragraphs of reasonable size."""
    if sum(len(line) for line in lines) <= PARAGRAPH_MAX:
        return ["\n".join(lines)]
    groups: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) > PARAGRAPH_MAX:
            groups.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line)
        if size >= PARAGRAPH_TARGET and line.endswith(_SENTENCE_END):
            groups.append("\n".join(current))
            current, size = [], 0
    if current:
        groups.append("\n".join(current))
    return groups


def _title_index(lines: list[str]) -> int | None:
    """Index of a title line: the first line, short, unpunctuated, then a blank line."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or first + 2 >= len(lines) or lines[first + 1]:
        return None
    line = lines[first]
    if len(line) > _MAX_HEADING_CHARS or line.endswith(_NO_HEADING_END) or heading_level(line):
        return None
    return first if any(lines[first + 2 :]) else None


def parse_text(text: str) -> ParsedDocument:
    """Blocks of a plain-text document."""
    lines = [line.strip() for line in text.split("\n")]
    blocks: list[Block] = []
    path: list[tuple[int, str]] = []
    run: list[str] = []

    def flush() -> None:
        locator = Locator(heading_path=tuple(t for _, t in path))
        for paragraph in group_lines(run) if run else []:
            blocks.append(Block(paragraph, "paragraph", locator))
        run.clear()

    title_at = _title_index(lines)
    title = lines[title_at] if title_at is not None else None
    for i, line in enumerate(lines):
        if i == title_at:
            blocks.append(Block(line, "title"))
            continue
        if not line:
            flush()
            continue
        level = heading_level(line)
        if not level:
            run.append(line)
            continue
        flush()
        text_ = " ".join(line.split())
        while path and path[-1][0] >= level:
            path.pop()
        path.append((level, text_))
        locator = Locator(heading_path=tuple(t for _, t in path))
        blocks.append(Block(text_, "heading", locator, level=level))
    flush()
    return ParsedDocument(blocks=blocks, media_type="text/plain", title=title)


class TextParser:
    name = "text"
    media_types = ("text/plain",)
    extensions = (".txt", ".text", ".log")

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        text = decode_text(data, options.source_name or "this text file")
        if not text.strip():
            return ParsedDocument(blocks=[], media_type=self.media_types[0])
        return parse_text(text)


register_parser(TextParser())
