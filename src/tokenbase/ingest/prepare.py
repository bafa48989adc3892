"""The CPU-bound middle of ingestion — parse, chunk, tokenise — with no database access.

Kept apart from the pipeline so it can run in a worker process (see `parallel.py`) while the
main process writes to the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..config import IngestSettings
from ..search.tokenizer import Tokenizer
from .chunker import Chunk, chunk_document
from .document import ParsedDocument
from .errors import EmptyFile
from .registry import ParseOptions, parser_for


@dataclass
class Prepared:
    parsed: ParsedDocument
    pieces: list[Chunk]
    index_texts: list[str]  # tokenised text for the lexical index, one per piece
    parser_name: str


def prepare_document(
    data: bytes,
    *,
    name: str,
    media_type: str,
    settings: IngestSettings,
    tokenizer: Tokenizer,
    url: str | None = None,
    on_pages: Callable[[int, int], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> Prepared:
    """Parse `data`, cut it into chunks and tokenise them. Raises IngestError subclasses."""
    parser = parser_for(name, media_type)
    parse_options = ParseOptions(
        ocr=settings.ocr,
        min_chars_per_page=settings.ocr_min_chars_per_page,
        ocr_dpi=settings.ocr_dpi,
        source_name=name,
        progress=on_pages,
        extra={"url": url} if url else {},
    )
    parsed = parser.parse(data, parse_options)
    if not parsed.blocks:
        hint = "" if settings.ocr else " (OCR is off: set ingest.ocr = true)"
        raise EmptyFile(
            f"{name} contains no text{hint}; if it is a scan, check that the pages are legible"
        )
    if on_stage is not None:
        if parsed.ocr_pages:
            on_stage("ocr")
        on_stage("chunk")
    pieces = chunk_document(
        parsed, budget=settings.chunk_tokens, overlap=settings.chunk_overlap_tokens
    )
    index_texts = [tokenizer.index_text(piece.index_text) for piece in pieces]
    return Prepared(parsed, pieces, index_texts, parser.name)
