"""Markdown with markdown-it-py: headings build heading paths; lists, tables and code stay whole.

Front matter (a leading '---' YAML block) is dropped. Each top-level list item is one block
including its nested items; tables become pipe tables; fenced code keeps its lines.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..document import Block, BlockKind, Locator, ParsedDocument
from ..registry import ParseOptions, register_parser
from ..tables import pipe_table
from ..textdecode import decode_text

_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_TAGS = re.compile(r"<[^>]+>")
_md = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _is_cjk(ch: str) -> bool:
    return "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def join_lines(left: str, right: str) -> str:
    """Join two wrapped lines: no space between CJK characters, one space otherwise."""
    if not left or not right:
        return left + right
    sep = "" if _is_cjk(left[-1]) or _is_cjk(right[0]) else " "
    return left.rstrip() + sep + right.lstrip()


def inline_text(token: Token) -> str:
    """Plain text of an inline token: markup dropped, soft breaks joined, hard breaks kept."""
    segments = [""]
    for child in token.children or []:
        if child.type in ("text", "code_inline", "image"):  # an image contributes its alt text
            segments[-1] += child.content
        elif child.type == "softbreak":
            segments.append("")
        elif child.type == "hardbreak":
            segments[-1] += "\n"
    text = segments[0]
    for segment in segments[1:]:
        text = join_lines(text, segment)
    return text.strip()


class _Walker:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.blocks: list[Block] = []
        self.path: list[tuple[int, str]] = []

    def locator(self) -> Locator:
        return Locator(heading_path=tuple(t for _, t in self.path))

    def add(self, text: str, kind: BlockKind, level: int = 0) -> None:
        if text.strip():
            self.blocks.append(Block(text, kind, self.locator(), level=level))

    def run(self) -> list[Block]:
        i = 0
        while i < len(self.tokens):
            i = self.step(i)
        return self.blocks

    def step(self, i: int) -> int:
        tok = self.tokens[i]
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            text = " ".join(inline_text(self.tokens[i + 1]).split())
            if text:
                while self.path and self.path[-1][0] >= level:
                    self.path.pop()
                self.path.append((level, text))
                self.add(text, "heading", level)
            return _close(self.tokens, i) + 1
        if tok.type == "paragraph_open":
            self.add(inline_text(self.tokens[i + 1]), "paragraph")
            return _close(self.tokens, i) + 1
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            end = _close(self.tokens, i)
            j = i + 1
            while j < end:
                if self.tokens[j].type == "list_item_open":
                    item_end = _close(self.tokens, j)
                    self.add(_item_text(self.tokens[j + 1 : item_end]), "list_item")
                    j = item_end
                j += 1
            return end + 1
        if tok.type == "table_open":
            end = _close(self.tokens, i)
            self.add(pipe_table(_table_rows(self.tokens[i:end])), "table")
            return end + 1
        if tok.type in ("fence", "code_block"):
            self.add(tok.content.rstrip("\n"), "code")
        elif tok.type == "html_block":
            self.add(" ".join(_TAGS.sub(" ", tok.content).split()), "paragraph")
        return i + 1  # containers (blockquote) are walked into; hr and closers are skipped


def _close(tokens: list[Token], i: int) -> int:
    """Index of the token closing tokens[i] (same level, nesting -1)."""
    level = tokens[i].level
    for j in range(i + 1, len(tokens)):
        if tokens[j].level == level and tokens[j].nesting == -1:
            return j
    return len(tokens) - 1


def _item_text(tokens: list[Token]) -> str:
    """A list item's text: its own paragraphs, then nested items as indented '- ' lines."""
    lines: list[str] = []
    depth = 0
    for tok in tokens:
        if tok.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif tok.type == "inline":
            text = inline_text(tok)
            if text:
                lines.append(("  " * (depth - 1) + "- " + text) if depth else text)
        elif tok.type in ("fence", "code_block"):
            lines.append(tok.content.rstrip("\n"))
    return "\n".join(lines)


def _table_rows(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    for tok in tokens:
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type == "inline" and rows:
            rows[-1].append(inline_text(tok))
    return rows


def parse_markdown(text: str) -> ParsedDocument:
    """Blocks of a Markdown document; the title is the first level-1 heading."""
    text = _FRONT_MATTER.sub("", text, count=1)
    blocks = _Walker(_md.parse(text)).run()
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return ParsedDocument(blocks=blocks, media_type="text/markdown", title=title)


class MarkdownParser:
    name = "markdown"
    media_types = ("text/markdown", "text/x-markdown")
    extensions = (".md", ".markdown", ".mdown", ".mkd")

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument:
        text = decode_text(data, options.source_name or "this Markdown file")
        if not text.strip():
            return ParsedDocument(blocks=[], media_type=self.media_types[0])
        return parse_markdown(text)


register_parser(MarkdownParser())
