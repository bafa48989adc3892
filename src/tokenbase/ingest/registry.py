"""Parser registry. Built-in parsers register here exactly as a plugin would.

A parser declares the media types and file extensions it reads and implements one method,
`parse(data, options) -> ParsedDocument`. Third-party parsers can register through the
`tokenbase.parsers` entry-point group, or by calling `register_parser` at import time.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import PurePosixPath
from typing import Protocol

from .document import ParsedDocument
from .errors import UnsupportedFormat


@dataclass
class ParseOptions:
    """Knobs a parser may read. `progress(done, total)` reports per-page work such as OCR."""

    ocr: bool = True
    min_chars_per_page: int = 20  # below this, a PDF page is treated as scanned and OCR'd
    ocr_dpi: int = 150
    source_name: str = ""  # file name or URL, for messages
    progress: Callable[[int, int], None] | None = None
    extra: dict = field(default_factory=dict)


class Parser(Protocol):
    name: str
    media_types: tuple[str, ...]
    extensions: tuple[str, ...]  # lower case, with the dot: ".pdf"

    def parse(self, data: bytes, options: ParseOptions) -> ParsedDocument: ...


_PARSERS: dict[str, Parser] = {}
_loaded = False


def register_parser(parser: Parser) -> Parser:
    """Register a parser instance (later registrations win for the same name)."""
    _PARSERS[parser.name] = parser
    return parser


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import parsers  # noqa: F401  (registers the built-ins)

    for ep in entry_points(group="tokenbase.parsers"):
        register_parser(ep.load()())


def all_parsers() -> list[Parser]:
    _load()
    return list(_PARSERS.values())


def supported_extensions() -> set[str]:
    return {ext for p in all_parsers() for ext in p.extensions}


def parser_for(filename: str, media_type: str | None = None) -> Parser:
    """Find the parser for a file by extension, else by media type.

    Raises UnsupportedFormat naming the supported extensions.
    """
    _load()
    ext = PurePosixPath(filename.lower()).suffix
    for parser in _PARSERS.values():
        if ext and ext in parser.extensions:
            return parser
    media_type = (media_type or mimetypes.guess_type(filename)[0] or "").split(";")[0].strip()
    for parser in _PARSERS.values():
        if media_type and media_type in parser.media_types:
            return parser
    known = ", ".join(sorted(supported_extensions()))
    raise UnsupportedFormat(
        f"'{filename}' has a type TokenBase cannot read ({ext or media_type or 'unknown'}). "
        f"Supported: {known}. Convert it to one of these, or exclude it with --exclude."
    )
