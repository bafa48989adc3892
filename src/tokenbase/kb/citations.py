"""Citation checking for generated answers: every `[n]` must name a source that was sent, and
the sentence it ends must be supported by that source.

Support is a documented, deterministic check (no second model call):

1. Numbers. Every number in the sentence (amounts, dates, counts, percentages) must occur in
   the source, or in the question, which the answer may repeat. A changed figure is the most
   damaging error in company answers (500元 → 800元), and overlap scores barely notice it.
2. The answer. What the sentence adds to the question must be in the source (at least
   `answer.citation_min_novel_coverage` of it): a source stating another answer in the same
   words otherwise passes.
3. Coverage. The share of the sentence's content words found in the source, weighted by length
   (long words carry the topic), taken as the better of jieba words and CJK character bigrams
   (bigrams survive segmentation differences between a paraphrase and its source).
4. Meaning, for paraphrases. When coverage falls short but is not negligible and an embedder is
   available, the sentence is also supported if its cosine with the closest source sentence
   reaches `answer.citation_min_cosine`.

A citation that fails is removed from the answer text and reported with its reason; it is
never shown as valid. Thresholds and their measured accuracy are in bench/RESULTS.md
(`bench/citation_support.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..ingest.chunker import split_sentences
from ..llm.embeddings import Embedder

# [1] [1][2] [1, 2] [1，2] 【1】 [^1] — the forms models actually write.
MARKER = re.compile(
    r"\s?(?:\[\^?\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*\]|【\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*】)"
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


@dataclass
class Support:
    supported: bool
    score: float  # coverage 0–1 (or the cosine when meaning decided)
    reason: str = ""  # "" | "number_not_in_source" | "low_overlap"
    best_sentence: tuple[int, int] | None = None  # offsets in the source of its closest sentence


@dataclass
class CitedSentence:
    text: str  # without markers
    markers: list[int]  # source numbers as written, in order
    valid: list[int] = field(default_factory=list)
    issues: list[dict] = field(default_factory=list)
    evidence: dict[int, tuple[int, int]] = field(default_factory=dict)  # n -> span in source

    def rendered(self, joiner: str = "") -> str:
        """The sentence with only its valid markers, placed before closing punctuation."""
        body = self.text.rstrip()
        tail = ""
        while body and body[-1] in "。！？!?；;.":
            tail = body[-1] + tail
            body = body[:-1]
        if not self.valid:
            return body + tail
        return body + "".join(f"[{n}]" for n in self.valid) + tail


def parse_markers(group: str) -> list[int]:
    return [int(n) for n in re.split(r"\s*[,，、]\s*", group.strip()) if n]


def split_cited(text: str) -> list[CitedSentence]:
    """Split an answer into sentences, each with the source numbers it cites.

    A marker belongs to the sentence it ends: `A[1]。B[2]` and `A。[1] B。[2]` both give
    (A, [1]), (B, [2]); markers inside a sentence (`A[1]，B[2]。`) all belong to it.
    """
    sentences: list[CitedSentence] = []
    current, markers = "", []
    pos = 0
    while pos < len(text):
        match = MARKER.match(text, pos)
        if match:
            markers.extend(parse_markers(match.group(1) or match.group(2)))
            pos = match.end()
            continue
        char = text[pos]
        current += char
        pos += 1
        if _ends_at(text, pos - 1):
            while match := MARKER.match(text, pos):  # markers written after the full stop
                markers.extend(parse_markers(match.group(1) or match.group(2)))
                pos = match.end()
            if current.strip():
                sentences.append(CitedSentence(current, markers))
            elif markers and sentences:
                sentences[-1].markers.extend(markers)
            current, markers = "", []
    if current.strip():
        sentences.append(CitedSentence(current, markers))
    elif markers and sentences:
        sentences[-1].markers.extend(markers)
    return sentences


def _ends_at(text: str, i: int) -> bool:
    char = text[i]
    if char in "。！？!?；;\n":
        return True
    # An English full stop ends a sentence; a decimal point (3.5) does not.
    return char == "." and (i + 1 == len(text) or text[i + 1].isspace() or text[i + 1] == "[")


def _numbers(text: str) -> set[str]:
    return {m.group().replace(",", "") for m in _NUMBER.finditer(text)}


def _bigrams(text: str) -> list[str]:
    grams: list[str] = []
    for run in _CJK_RUN.findall(text):
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def _weighted_coverage(items: Sequence[str], source: set[str]) -> float:
    total = sum(len(t) for t in items)
    if not total:
        return 0.0
    return sum(len(t) for t in items if t in source) / total


def coverage(sentence: str, source: str, tokenize: Callable[[str], list[str]]) -> float:
    """Length-weighted share of the sentence's words (or CJK bigrams) found in the source."""
    words = list(dict.fromkeys(tokenize(sentence)))
    source_words = set(tokenize(source))
    by_words = _weighted_coverage(words, source_words)
    grams = list(dict.fromkeys(_bigrams(sentence)))
    by_grams = _weighted_coverage(grams, set(_bigrams(source))) if grams else 0.0
    return max(by_words, by_grams)


def novelty_coverage(
    sentence: str, source: str, question: str, tokenize: Callable[[str], list[str]]
) -> float | None:
    """Coverage of the words and bigrams the sentence does not share with the question
    (None when it adds nothing)."""
    asked = set(tokenize(question)) | set(_bigrams(question))
    words = [w for w in dict.fromkeys(tokenize(sentence)) if w not in asked]
    grams = [g for g in dict.fromkeys(_bigrams(sentence)) if g not in asked]
    if not words and not grams:
        return None
    by_words = _weighted_coverage(words, set(tokenize(source))) if words else 0.0
    by_grams = _weighted_coverage(grams, set(_bigrams(source))) if grams else 0.0
    return max(by_words, by_grams)


class SupportChecker:
    """Decides whether a source supports a sentence (see the module docstring)."""

    def __init__(
        self,
        tokenize: Callable[[str], list[str]],
        embedder: Embedder | None = None,
        *,
        min_coverage: float = 0.5,
        min_cosine: float = 0.9,
        semantic_floor: float = 0.25,
        min_novel_coverage: float = 0.5,
    ) -> None:
        self.min_novel_coverage = min_novel_coverage
        self.tokenize = tokenize
        self.embedder = embedder
        self.min_coverage = min_coverage
        self.min_cosine = min_cosine
        self.semantic_floor = semantic_floor

    def check(self, sentence: str, source: str, question: str = "") -> Support:
        # Numbers the user wrote in the question are theirs to repeat, not the source's.
        known = _numbers(source) | _numbers(question)
        missing = [n for n in _numbers(sentence) if n not in known]
        best = _closest_sentence(sentence, source, self.tokenize)
        if missing:
            return Support(False, 0.0, "number_not_in_source", best)
        score = coverage(sentence, source, self.tokenize)
        if question:
            # What the sentence adds to the question is the answer: it must come from the
            # source, not merely the words it repeats from the question.
            novel = novelty_coverage(sentence, source, question, self.tokenize)
            if novel is not None and novel < self.min_novel_coverage:
                return Support(False, novel, "answer_not_in_source", best)
        if score >= self.min_coverage:
            return Support(True, score, "", best)
        if self.embedder is not None and score >= self.semantic_floor:
            cosine, span = self._closest_by_meaning(sentence, source)
            if cosine >= self.min_cosine:
                return Support(True, cosine, "", span)
        return Support(False, score, "low_overlap", best)

    def _closest_by_meaning(self, sentence: str, source: str) -> tuple[float, tuple[int, int]]:
        spans = [(s, e) for s, e in split_sentences(source) if source[s:e].strip()]
        if not spans:
            return 0.0, (0, len(source))
        assert self.embedder is not None
        try:
            query = self.embedder.embed_queries([sentence])[0]
            passages = self.embedder.embed_passages([source[s:e] for s, e in spans])
        except Exception:  # an embedder outage must not fail the answer; lexical result stands
            return 0.0, spans[0]
        scores = np.asarray(passages) @ np.asarray(query)
        best = int(np.argmax(scores))
        return float(scores[best]), spans[best]


def _closest_sentence(
    sentence: str, source: str, tokenize: Callable[[str], list[str]]
) -> tuple[int, int] | None:
    """Offsets of the source sentence sharing the most with `sentence` (for highlighting)."""
    spans = [(s, e) for s, e in split_sentences(source) if source[s:e].strip()]
    if not spans:
        return None
    words = set(tokenize(sentence)) | set(_bigrams(sentence))
    best, best_score = spans[0], -1.0
    for s, e in spans:
        piece = source[s:e]
        score = len(words & (set(tokenize(piece)) | set(_bigrams(piece))))
        if score > best_score:
            best, best_score = (s, e), score
    return best


def validate(
    sentences: list[CitedSentence],
    sources: Sequence[str],
    checker: SupportChecker,
    question: str = "",
) -> list[CitedSentence]:
    """Fill each sentence's `valid` markers and `issues` (in place; returned for chaining)."""
    for sentence in sentences:
        for n in dict.fromkeys(sentence.markers):
            if not 1 <= n <= len(sources):
                sentence.issues.append(
                    {"n": n, "reason": "unknown_source", "sentence": sentence.text.strip()}
                )
                continue
            support = checker.check(sentence.text, sources[n - 1], question)
            if support.supported:
                sentence.valid.append(n)
                if support.best_sentence is not None:
                    sentence.evidence[n] = support.best_sentence
            else:
                sentence.issues.append(
                    {
                        "n": n,
                        "reason": support.reason,
                        "score": round(support.score, 3),
                        "sentence": sentence.text.strip(),
                    }
                )
    return sentences
