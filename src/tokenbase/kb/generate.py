"""Generative answers: the question and numbered sources go to a chat model through the
gateway; the reply streams back sentence by sentence, each sentence's citations checked
against the sources before it is shown (kb/citations.py).

Sentence-level streaming is what makes "never shown as valid" hold while streaming: a token
stream would show `[2]` before we could check it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..search.hybrid import SearchHit
from .citations import CitedSentence, SupportChecker, split_cited, validate

PROMPT_NAME = "kb.answer.v1"

SYSTEM_PROMPT = {
    "zh": (
        "你是企业知识库助手。只根据用户消息中编号的资料回答问题，不要使用资料以外的知识。"
        "每一句陈述都要在句末用方括号标注所依据资料的编号，例如：差旅住宿每晚不超过500元[1]。"
        "可以同时引用多条资料，如[1][3]。数字、日期、金额必须与资料一致。"
        "如果资料不足以回答，直接说明资料中没有找到相关内容，不要猜测。回答简洁，使用中文。"
    ),
    "en": (
        "You are a company knowledge-base assistant. Answer only from the numbered sources in "
        "the user's message, never from outside knowledge. End every statement with the number "
        "of the source it relies on in square brackets, e.g. 'Hotels are capped at 500 yuan a "
        "night [1].' Several sources may be cited, as [1][3]. Numbers, dates and amounts must "
        "match the sources. If the sources do not answer the question, say so; do not guess. "
        "Be concise and answer in English."
    ),
}
SOURCES_HEADER = {"zh": "资料：", "en": "Sources:"}
QUESTION_HEADER = {"zh": "问题：", "en": "Question:"}


def build_messages(
    question: str, hits: list[SearchHit], language: str, texts: list[str] | None = None
) -> list[dict[str, str]]:
    """The chat messages for one question: system rules, then sources and question.
    `texts` replaces the hits' text (e.g. with instructions inside them neutralised)."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        where = hit.locator.label(language, hit.title)
        body = texts[n - 1] if texts is not None else hit.text
        blocks.append(f"[{n}] 《{hit.title}》 {where}\n{body.strip()}")
    user = (
        f"{SOURCES_HEADER[language]}\n\n" + "\n\n".join(blocks) + "\n\n"
        f"{QUESTION_HEADER[language]}{question}"
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT[language]},
        {"role": "user", "content": user},
    ]


@dataclass
class CheckedSentence:
    """One sentence of the answer, ready to show: only valid markers, renumbered in order of
    first use; `sources` are the indexes (0-based) of the hits behind each shown marker."""

    text: str
    sources: list[int]
    issues: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[int, tuple[int, int]] = field(default_factory=dict)  # source -> chunk span
    supported: bool = True  # False: it cited sources and none of them held up


class SentenceStream:
    """Feeds model deltas in, gives checked sentences out as soon as each one is complete.

    A sentence is complete when text follows it: `A。` may still be followed by `[1]`.
    """

    def __init__(
        self,
        hits: list[SearchHit],
        checker: SupportChecker,
        question: str,
    ) -> None:
        self._hits = hits
        self._sources = [h.text for h in hits]
        self._checker = checker
        self._question = question
        self._buffer = ""
        self._done = 0  # sentences of the buffer already given out
        self.numbering: dict[int, int] = {}  # source index -> shown number
        self.raw = ""

    def feed(self, delta: str) -> list[CheckedSentence]:
        self.raw += delta
        self._buffer += delta
        sentences = split_cited(self._buffer)
        ready = sentences[self._done : -1] if sentences else []
        self._done += len(ready)
        return [self._check(s) for s in ready]

    def finish(self) -> list[CheckedSentence]:
        sentences = split_cited(self._buffer)
        ready = sentences[self._done :]
        self._done = len(sentences)
        return [self._check(s) for s in ready]

    def _check(self, sentence: CitedSentence) -> CheckedSentence:
        validate([sentence], self._sources, self._checker, self._question)
        shown: list[int] = []
        for n in sentence.valid:
            index = n - 1
            if index not in self.numbering:
                self.numbering[index] = len(self.numbering) + 1
            shown.append(index)
        renumbered = CitedSentence(sentence.text, sentence.markers)
        renumbered.valid = [self.numbering[i] for i in shown]
        return CheckedSentence(
            text=renumbered.rendered(),
            sources=shown,
            issues=sentence.issues,
            evidence={n - 1: span for n, span in sentence.evidence.items()},
            supported=bool(sentence.valid) or not sentence.markers,
        )


def stream_sentences(deltas: Iterator[str], stream: SentenceStream) -> Iterator[CheckedSentence]:
    """Checked sentences from a stream of text deltas, as each completes."""
    for delta in deltas:
        yield from stream.feed(delta)
    yield from stream.finish()
