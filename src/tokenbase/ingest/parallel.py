"""Parse files in worker processes while the main process writes the database.

Parsing and jieba tokenisation are CPU-bound and hold the GIL, so threads would not help; a
process pool uses every core. Only file sources go here (URLs and SQL sources stay in the main
process, which holds their connection details). Each worker builds its tokenizer once.
"""

from __future__ import annotations

import hashlib
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import IngestSettings
from ..search.glossary import Glossary
from ..search.tokenizer import Tokenizer
from .errors import IngestError
from .prepare import Prepared, prepare_document
from .sources import Fetched, Source, fetch

_tokenizer: Tokenizer | None = None


@dataclass
class WorkerResult:
    """What a worker sends back. `fetched.data` is emptied: only its size travels."""

    digest: str | None = None
    fetched: Fetched | None = None
    size: int = 0
    prepared: Prepared | None = None  # None when unchanged or failed
    unchanged: bool = False
    error_code: str | None = None
    error: str | None = None


def _init_worker(glossary_path: str | None) -> None:
    global _tokenizer
    _tokenizer = Tokenizer(Glossary.load(Path(glossary_path) if glossary_path else None))


def prepare_file(
    options: dict[str, Any], settings: IngestSettings, known_hash: str | None
) -> WorkerResult:
    """Fetch, hash and (unless unchanged) prepare one file source. Never raises."""
    assert _tokenizer is not None
    try:
        source = Source(options["kind"], options["location"], options["name"])
        fetched = fetch(
            source,
            max_bytes=int(settings.max_file_size_mb * 1024 * 1024),
            timeout_s=settings.fetch_timeout_s,
        )
        digest = hashlib.sha256(fetched.data).hexdigest()
        size = len(fetched.data)
        if digest == known_hash:
            return WorkerResult(
                digest, Fetched(b"", fetched.media_type, fetched.name), size, unchanged=True
            )
        prepared = prepare_document(
            fetched.data,
            name=fetched.name,
            media_type=fetched.media_type,
            settings=settings,
            tokenizer=_tokenizer,
        )
        return WorkerResult(digest, Fetched(b"", fetched.media_type, fetched.name), size, prepared)
    except IngestError as exc:
        return WorkerResult(error_code=exc.code, error=str(exc))
    except Exception as exc:  # a parser bug fails this file only
        return WorkerResult(
            error_code="internal",
            error=f"unexpected error while processing {options['name']}: "
            f"{type(exc).__name__}: {exc}. Re-run with --debug for the traceback and report it.",
        )


class ParsePool:
    """A process pool for `prepare_file`; use as a context manager."""

    def __init__(self, workers: int, glossary_path: Path | None) -> None:
        # spawn, not fork: the parent may hold OpenMP and SQLite state a child must not inherit.
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(glossary_path) if glossary_path else None,),
        )

    def submit(
        self, options: dict[str, Any], settings: IngestSettings, known_hash: str | None
    ) -> Future[WorkerResult]:
        return self._pool.submit(prepare_file, options, settings, known_hash)

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
