"""Uploaded files: safe names, supported types, .zip folders expanded within limits, and the
jobs that ingest them (the bytes go to the `blobs` table first, so any worker can read them).

A document uploaded as `name` gets the stable source `upload:<name>` in its knowledge base, so
uploading a changed file under the same name replaces the document.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import Connection

from ..config import ServerSettings
from ..ingest import jobs as jobstore
from ..ingest.blobs import put_blob
from ..ingest.registry import supported_extensions
from .errors import ApiError

ZIP_EXTENSIONS = {".zip"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_RATIO_MIN_BYTES = 1 << 20  # a ratio only matters for entries bigger than this


@dataclass
class UploadItem:
    name: str  # cleaned relative name, "/"-separated
    data: bytes


def supported_list() -> str:
    return ", ".join(sorted(supported_extensions() | ZIP_EXTENSIONS))


def clean_name(raw: str) -> str:
    """A safe relative name: no absolute paths, drive letters, `..`, or control characters.

    Raises ApiError 422 `unsafe_filename` (the name is refused, not silently rewritten)."""
    name = unicodedata.normalize("NFC", raw or "").replace("\\", "/").strip()
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if (
        not parts
        or name.startswith("/")
        or _DRIVE.match(name)
        or ".." in parts
        or any(ord(c) < 32 or c == "\x7f" for c in name)
        or len(name) > 500
    ):
        raise ApiError(
            422,
            "unsafe_filename",
            f"file name {raw!r} is not allowed: use a plain relative name without '..', "
            "leading '/', drive letters or control characters (文件名不安全)",
            {"filename": raw},
        )
    return "/".join(parts)


def _extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def check_type(name: str) -> None:
    """415 unless the name has an extension a parser reads (or .zip)."""
    ext = _extension(name)
    if ext not in supported_extensions() and ext not in ZIP_EXTENSIONS:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"{name!r} has a type TokenBase cannot read ({ext or 'no extension'}); "
            f"supported: {supported_list()} (不支持的文件类型)",
            {"filename": name, "supported": sorted(supported_extensions() | ZIP_EXTENSIONS)},
        )


def is_zip(name: str) -> bool:
    return _extension(name) in ZIP_EXTENSIONS


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # not flagged UTF-8: Chinese Windows tools write GBK
        try:
            raw = name.encode("cp437")
            for encoding in ("utf-8", "gb18030"):
                try:
                    return raw.decode(encoding)
                except UnicodeDecodeError:
                    continue
        except UnicodeEncodeError:
            pass
    return name


def _zip_error(status: int, code: str, message: str, details: Any = None) -> ApiError:
    return ApiError(status, code, message, details)


def expand_zip(
    archive_name: str, data: bytes, limits: ServerSettings, max_entry_bytes: int
) -> tuple[list[UploadItem], list[dict[str, str]]]:
    """The readable files inside a .zip, and what was skipped (with why).

    Refuses the whole archive (ApiError) when it is not a zip (422), has too many entries or
    too much uncompressed data or an entry compressed more than `zip_max_ratio` (413), or has
    an entry with `..` or an absolute path (422)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _zip_error(
            422, "invalid_zip", f"{archive_name} is not a readable .zip ({exc})"
        ) from exc
    if len(infos) > limits.zip_max_entries:
        raise _zip_error(
            413,
            "zip_too_many_entries",
            f"{archive_name} has {len(infos)} files; the limit is {limits.zip_max_entries} "
            "(server.zip_max_entries) (压缩包文件数过多)",
        )
    max_total = int(limits.zip_max_total_mb * 1024 * 1024)
    declared = sum(i.file_size for i in infos)
    if declared > max_total:
        raise _zip_error(
            413,
            "zip_too_large",
            f"{archive_name} expands to {declared / 1e6:.0f} MB; the limit is "
            f"{max_total / 1e6:.0f} MB (server.zip_max_total_mb) (压缩包解压后过大)",
        )
    names: dict[zipfile.ZipInfo, str] = {}
    for info in infos:
        name = _entry_name(info)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
            raise _zip_error(
                422,
                "unsafe_zip_entry",
                f"{archive_name} contains an unsafe path {name!r} ('..' or absolute); "
                "the archive was refused (压缩包包含不安全的路径)",
                {"entry": name},
            )
        ratio = info.file_size / max(1, info.compress_size)
        if info.file_size > _RATIO_MIN_BYTES and ratio > limits.zip_max_ratio:
            raise _zip_error(
                413,
                "zip_bomb",
                f"{archive_name}: entry {name!r} is compressed {ratio:.0f}:1, over the "
                f"{limits.zip_max_ratio:.0f}:1 limit (server.zip_max_ratio); the archive looks "
                "like an archive bomb and was refused (疑似压缩炸弹)",
                {"entry": name, "ratio": round(ratio)},
            )
        names[info] = name
    items: list[UploadItem] = []
    skipped: list[dict[str, str]] = []
    total = 0
    extensions = supported_extensions()
    for info, name in names.items():
        parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
        if any(p.startswith((".", "~$", "__MACOSX")) for p in parts):
            continue  # hidden files, Office lock files, macOS resource forks
        if _extension(name) not in extensions:
            reason = "nested archives are not expanded" if is_zip(name) else "unsupported type"
            skipped.append({"name": name, "reason": reason})
            continue
        if info.file_size > max_entry_bytes:
            skipped.append({"name": name, "reason": "over ingest.max_file_size_mb"})
            continue
        with archive.open(info) as handle:
            content = handle.read(info.file_size + 1)  # the header's size bounds the read
        total += len(content)
        if len(content) > info.file_size or total > max_total:
            raise _zip_error(413, "zip_too_large", f"{archive_name} expands past its limits")
        items.append(UploadItem(clean_name("/".join(parts)), content))
    return items, skipped


def enqueue_upload(
    conn: Connection,
    kb_id: int,
    item: UploadItem,
    *,
    classification: int,
    licence: str,
    usage: str = "internal",
) -> tuple[int, str]:
    """Store the bytes and queue a job for them; returns (job id, source location).

    Always a new job: a queued job for the same name may already be claimed by a worker, and
    the later job simply replaces the document again with the newer bytes."""
    digest = put_blob(conn, item.data)
    location = f"upload:{item.name}"
    options = {
        "kind": "upload",
        "location": location,
        "name": item.name,
        "classification": classification,
        "licence": licence,
        "usage": usage,
        "title": None,
        "blob": digest,
    }
    return jobstore.create_job(conn, kb_id, location, "upload", options), location
