"""Where documents come from: files and folders, URLs, and SQL queries.

`expand_sources` turns command-line arguments into a flat list of sources; `fetch` reads one
source into bytes. Fetch errors are per-source (`FetchError`, `EmptyFile`, `FileTooLarge`), so a
bad source fails its own job and the batch goes on.
"""

from __future__ import annotations

import fnmatch
import json
import mimetypes
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .errors import EmptyFile, FetchError, FileTooLarge
from .registry import supported_extensions

SQL_ROWS_MEDIA_TYPE = "application/vnd.tokenbase.sql-rows+json"
SourceKind = Literal["file", "url", "sql"]


@dataclass(frozen=True)
class Source:
    kind: SourceKind
    location: str  # absolute path, URL, or "sql:<url without password>#<query>"
    name: str  # file name or a readable name for messages and titles
    sql_url: str | None = None  # with password; kept in memory only, never stored
    query: str | None = None


@dataclass
class Fetched:
    data: bytes
    media_type: str
    name: str


def _is_url(arg: str) -> bool:
    return urlsplit(arg).scheme in ("http", "https")


def _matches(rel: str, patterns: list[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns)


def sql_source(url: str, query: str, name: str | None = None) -> Source:
    """A SQL source: every row of `query` becomes a record. The password is never stored."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise FetchError(f"not a SQLAlchemy database URL: {url!r} ({exc})") from exc
    safe = parsed.render_as_string(hide_password=True)
    label = name or _query_name(query)
    return Source("sql", f"sql:{safe}#{query}", label, sql_url=url, query=query)


def _query_name(query: str) -> str:
    words = query.replace("\n", " ").split()
    lowered = [w.lower() for w in words]
    if "from" in lowered and lowered.index("from") + 1 < len(words):
        return words[lowered.index("from") + 1].strip('`"[];')
    return "query"


def expand_sources(
    args: list[str],
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    *,
    sql_query: str | None = None,
) -> tuple[list[Source], list[str]]:
    """Expand paths (recursively), URLs and a SQL URL into sources.

    Returns (sources, problems): a problem is an argument that matched nothing, reported
    without stopping the others.
    """
    exclude = exclude or []
    sources: list[Source] = []
    problems: list[str] = []
    extensions = supported_extensions()
    for arg in args:
        if sql_query is not None and "://" in arg and not _is_url(arg):
            sources.append(sql_source(arg, sql_query))
            continue
        if _is_url(arg):
            sources.append(Source("url", arg, arg))
            continue
        path = Path(arg).expanduser()
        if path.is_file():
            sources.append(Source("file", str(path.resolve()), path.name))
        elif path.is_dir():
            found = 0
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).as_posix()
                if not child.is_file() or any(p.startswith((".", "~$")) for p in rel.split("/")):
                    continue
                if include:
                    if not _matches(rel, include):
                        continue
                elif child.suffix.lower() not in extensions:
                    continue
                if _matches(rel, exclude):
                    continue
                sources.append(Source("file", str(child.resolve()), child.name))
                found += 1
            if not found:
                problems.append(f"{arg}: no supported files found (check --include/--exclude)")
        else:
            problems.append(f"{arg}: no such file, folder or URL")
    return sources, problems


def fetch(source: Source, *, max_bytes: int, timeout_s: float) -> Fetched:
    """Read a source into memory, enforcing the size limit."""
    if source.kind == "file":
        return _fetch_file(source, max_bytes)
    if source.kind == "url":
        return _fetch_url(source, max_bytes, timeout_s)
    return _fetch_sql(source)


def _too_large(name: str, size: int, max_bytes: int) -> FileTooLarge:
    return FileTooLarge(
        f"{name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; split it, or "
        "raise ingest.max_file_size_mb in tokenbase.toml"
    )


def _fetch_file(source: Source, max_bytes: int) -> Fetched:
    path = Path(source.location)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _too_large(source.name, size, max_bytes)
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise FetchError(f"{source.location} no longer exists; check the path") from exc
    except PermissionError as exc:
        raise FetchError(f"cannot read {source.location}: permission denied") from exc
    if not data:
        raise EmptyFile(f"{source.name} is empty (0 bytes); re-export or re-copy the file")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Fetched(data, media_type, path.name)


def _fetch_url(source: Source, max_bytes: int, timeout_s: float) -> Fetched:
    url = source.location
    try:
        with httpx.stream(
            "GET",
            url,
            timeout=timeout_s,
            follow_redirects=True,
            headers={"User-Agent": "TokenBase/0.1 (+knowledge-base ingest)"},
        ) as response:
            if response.status_code >= 400:
                raise FetchError(
                    f"{url} answered HTTP {response.status_code}; check the address, or "
                    "download the page and ingest the file"
                )
            chunks: list[bytes] = []
            total = 0
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > max_bytes:
                    raise _too_large(url, total, max_bytes)
                chunks.append(chunk)
            media_type = response.headers.get("content-type", "").split(";")[0].strip()
    except httpx.HTTPError as exc:
        raise FetchError(
            f"could not fetch {url}: {exc.__class__.__name__}: {exc}; check the address and "
            "the network, or download it and ingest the file"
        ) from exc
    data = b"".join(chunks)
    if not data:
        raise EmptyFile(f"{url} returned an empty body")
    name = Path(urlsplit(url).path).name or urlsplit(url).netloc
    return Fetched(data, media_type or "text/html", name)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _fetch_sql(source: Source) -> Fetched:
    assert source.sql_url and source.query
    try:
        engine = create_engine(source.sql_url)
        with engine.connect() as conn:
            result = conn.execute(text(source.query))
            columns = list(result.keys())
            rows = [[_jsonable(v) for v in row] for row in result]
        engine.dispose()
    except SQLAlchemyError as exc:
        message = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        raise FetchError(
            f"SQL source {source.name}: {message.splitlines()[0]}; check the URL and the query"
        ) from exc
    except ImportError as exc:
        raise FetchError(f"SQL source needs a database driver: {exc}") from exc
    if not rows:
        raise EmptyFile(f"SQL source {source.name}: the query returned no rows")
    payload = {"table": source.name, "columns": columns, "rows": rows}
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Fetched(data, SQL_ROWS_MEDIA_TYPE, source.name)
