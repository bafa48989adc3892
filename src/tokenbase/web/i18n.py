"""Chinese first, English on a switch. Each page module keeps its own table of texts:

    TEXT = {"title": ("知识库", "Knowledge bases"), "n_docs": ("{n} 份文档", "{n} documents")}
    ctx.t(TEXT, "n_docs", n=3)

The language is a cookie (`tb_lang`: zh | en) set by /ui/lang/{code}; no server-side storage.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANG_COOKIE = "tb_lang"

Table = dict[str, tuple[str, str]]


def pick(lang: str | None) -> Lang:
    return "en" if lang == "en" else "zh"


def translate(table: Table, key: str, lang: Lang, **values: object) -> str:
    zh, en = table[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text
