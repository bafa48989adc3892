"""Generative answers: the question and numbered sources go to a chat model through the
gateway; the reply streams back sentence by sentence, each sentence's citations checked
against the sources before it is shown (kb/citations.py).

Sentence-level streaming is what makes "never shown as valid" hold while streaming: a token
stream would show `[2]` before we could check it. The prompt itself lives in the prompt library
(`kb.answer.zh` / `kb.answer.en`, prompts/builtin.py); this module builds its `sources`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..search.hybrid import SearchHit
from .citations import CitedSentence, SupportChecker, split_cited, validate


def source_blocks(hits: list[SearchHit], language: str, texts: list[str] | None = None) -> str:
    """The numbered sources as the answer prompt's `sources` variable: `[n] 《title》 where`
    then the text. `texts` replaces the hits' text (e.g. with instructions neutralised)."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        where = hit.locator.label(language, hit.title)
        body = texts[n - 1] if texts is not None else hit.text
        blocks.append(f"[{n}] 《{hit.title}》 {where}\n{body.strip()}")
    return "\n\n".join(blocks)


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
        self._hits = hits  # the caller may add sources (tools) while the answer streams
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
        validate([sentence], [h.text for h in self._hits], self._checker, self._question)
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
