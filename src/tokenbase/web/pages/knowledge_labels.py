"""Labels shared by the knowledge and people pages: classifications (密级), usage, grant
levels, key scopes, ingest stages. Values are the API's own codes; the texts are ours."""

from __future__ import annotations

from urllib.parse import quote

from ..i18n import Lang, Table, translate

CLASSIFICATION: Table = {
    "0": ("公开", "Public"),
    "1": ("内部", "Internal"),
    "2": ("机密", "Confidential"),
    "3": ("绝密", "Top secret"),
}
CLASSIFICATION_COLOR = {0: "green-7", 1: "blue-7", 2: "orange-8", 3: "red-8"}

USAGE: Table = {
    "internal": ("仅限内部", "Internal only"),
    "external": ("可对外", "Cleared for external use"),
    "third_party": ("第三方版权", "Third-party"),
}

LEVEL: Table = {
    "read": ("只读", "Read"),
    "write": ("编辑", "Write"),
    "manage": ("管理", "Manage"),
}

SCOPE: Table = {
    "read": ("只读（检索、问答）", "Read (search, ask)"),
    "write": ("读写（上传、修改）", "Write (upload, edit)"),
    "admin": ("管理员", "Administrator"),
}

ROLE: Table = {"admin": ("管理员", "Administrator"), "member": ("成员", "Member")}

# The stages a document goes through, as shown (the job's `fetch` comes before `parse`).
STAGES = ("parse", "ocr", "chunk", "index", "embed")
STAGE: Table = {
    "parse": ("解析", "Parse"),
    "ocr": ("OCR", "OCR"),
    "chunk": ("分块", "Chunk"),
    "index": ("索引", "Index"),
    "embed": ("向量化", "Embed"),
}


def options(table: Table, lang: Lang, keys: list[str] | None = None) -> dict[str, str]:
    """{code: label} for a ui.select, in table order (or only `keys`)."""
    return {k: translate(table, k, lang) for k in (keys or list(table))}


def classification_options(lang: Lang, ceiling: int = 3) -> dict[int, str]:
    return {level: translate(CLASSIFICATION, str(level), lang) for level in range(0, ceiling + 1)}


def segment(name: str) -> str:
    """A knowledge-base name as one URL path segment."""
    return quote(name, safe="")
