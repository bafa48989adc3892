"""The offline answerer: picks the best sentences of the best passages, each with its [n].

Used when no chat model is configured. It never writes a word that is not in a source: every
sentence of the answer is a verbatim sentence of a cited passage, so every citation is, by
construction, the chunk the sentence came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..ingest.chunker import split_sentences
from .embeddings import Embedder
from .errors import ModelCallError

MIN_SENTENCE_CHARS = 6
MAX_EMBEDDED_SENTENCES = 8
_LIST_ITEM = re.compile(r"^([•·\-*]|\d+[.、)）]|[（(]\d+[)）]|[一二三四五六七八九十]+、)")
# Interrogatives say what kind of answer is wanted, not what it is about.
QUESTION_WORDS = frozenset(
    "几天 几个 几座 几年 几次 几种 几点 多久 多长 多大 多高 多远 多少钱 是否 能否 可否 可以 "
    "需要 为什么 为何 怎样 怎么样 哪里 哪儿 哪天 哪年 什么样 谁 when where why".split()
)
# e5 cosines cluster high: unrelated Chinese text sits near 0.75, a paraphrase near 0.9.
DENSE_FLOOR, DENSE_SPAN = 0.76, 0.14


@dataclass
class Passage:
    """A retrieved chunk offered to the answerer. `start` is its offset in the document."""

    text: str
    start: int
    cosine: float | None = None  # the chunk's similarity to the question, if the search had it


@dataclass
class AnswerSentence:
    text: str
    passage: int  # index into the passages list
    spans: list[tuple[int, int]]  # offsets in the document text (an intro line, then the item)
    score: float


@dataclass
class ExtractiveAnswer:
    sentences: list[AnswerSentence] = field(default_factory=list)
    relevance: float = 0.0  # 0–1: how well the best passage covers the question


def dense_relevance(cosine: float) -> float:
    """Map an e5 cosine to 0–1 (0 = unrelated, 1 = near paraphrase)."""
    return float(np.clip((cosine - DENSE_FLOOR) / DENSE_SPAN, 0.0, 1.0))


def _weight(token: str, weights: dict[str, float] | None) -> float:
    if token in QUESTION_WORDS:
        return 0.0
    # Longer words carry more meaning; single characters are weak evidence.
    base = 0.3 if len(token) == 1 else min(2.0, 0.6 + 0.4 * len(token))
    return base * weights.get(token, 1.0) if weights else base


def coverage(
    query_groups: list[list[str]], tokens: set[str], weights: dict[str, float] | None = None
) -> float:
    """Share of the query's weighted terms (any synonym counts) present in `tokens`."""
    total = sum(_weight(g[0], weights) for g in query_groups)
    if not total:
        return 0.0
    hit = sum(_weight(g[0], weights) for g in query_groups if any(t in tokens for t in g))
    return hit / total


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, tokenize, embedder: Embedder | None, max_sentences: int = 4) -> None:  # type: ignore[no-untyped-def]
        self.tokenize = tokenize
        self.embedder = embedder
        self.max_sentences = max_sentences

    def answer(
        self,
        question: str,
        query_groups: list[list[str]],
        passages: list[Passage],
        weights: dict[str, float] | None = None,
        query_vector: np.ndarray | None = None,
    ) -> ExtractiveAnswer:
        """Pick answer sentences. `weights` gives each query term's importance (e.g. idf)."""
        candidates = _candidates(passages)
        if not candidates:
            return ExtractiveAnswer()
        lexical = np.array(
            [coverage(query_groups, set(self.tokenize(c.text)), weights) for c in candidates],
            dtype=np.float32,
        )
        passage_cov = [
            coverage(query_groups, set(self.tokenize(p.text)), weights) for p in passages
        ]
        dense = np.zeros(len(candidates), dtype=np.float32)
        passage_dense = [
            dense_relevance(p.cosine) if p.cosine is not None else 0.0 for p in passages
        ]
        embedded = False
        if self.embedder is not None:
            # Embedding sentences is the slow step: only the lexically most promising ones.
            shortlist = np.argsort(-(lexical + [0.08 / (1 + c.passage) for c in candidates]))
            shortlist = shortlist[:MAX_EMBEDDED_SENTENCES]
            try:
                qvec = query_vector
                if qvec is None:
                    qvec = self.embedder.embed_queries([question])[0]
                svecs = self.embedder.embed_passages([candidates[i].text for i in shortlist])
            except ModelCallError:  # embedder down, or the red line keeps these texts local
                pass
            else:
                embedded = True
                for i, cosine in zip(shortlist, svecs @ qvec, strict=True):
                    dense[i] = dense_relevance(float(cosine))
                    p = candidates[i].passage
                    passage_dense[p] = max(passage_dense[p], float(dense[i]))
        weight_dense = 0.5 if embedded else 0.0
        prior = np.array([0.08 / (1 + c.passage) for c in candidates], dtype=np.float32)
        scores = (1 - weight_dense) * lexical + weight_dense * dense + prior
        relevance = max(
            (
                (1 - weight_dense) * c + weight_dense * d
                for c, d in zip(passage_cov, passage_dense, strict=True)
            ),
            default=0.0,
        )
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        chosen: list[AnswerSentence] = []
        seen: set[str] = set()
        for i in order:
            if len(chosen) >= self.max_sentences or scores[i] < 0.75 * best:
                break
            candidate = candidates[int(i)]
            if candidate.text in seen:
                continue
            seen.add(candidate.text)
            chosen.append(
                AnswerSentence(candidate.text, candidate.passage, candidate.spans, float(scores[i]))
            )
        # Read in source order within a passage, passages in rank order.
        chosen.sort(key=lambda s: (s.passage, s.spans[-1][0]))
        return ExtractiveAnswer(chosen, relevance)


@dataclass
class _Candidate:
    text: str
    passage: int
    spans: list[tuple[int, int]]


def _candidates(passages: list[Passage]) -> list[_Candidate]:
    """Sentences of each passage. A list item keeps the line that introduced it
    ('一线城市（北京、上海）：' + '• 普通员工：每晚不超过500元'), or it would lose its subject."""
    out: list[_Candidate] = []
    for p_index, passage in enumerate(passages):
        intro: tuple[int, int] | None = None
        for s, e in split_sentences(passage.text):
            sentence = passage.text[s:e].strip()
            span = (passage.start + s, passage.start + e)
            if sentence.endswith(("：", ":")) and len(sentence) <= 60:
                intro = span
                intro_text = sentence
                continue
            if len(sentence) < MIN_SENTENCE_CHARS or sentence.startswith("|--"):
                continue
            if intro is not None and _LIST_ITEM.match(sentence):
                out.append(_Candidate(f"{intro_text}{sentence}", p_index, [intro, span]))
            else:
                intro = None
                out.append(_Candidate(sentence, p_index, [span]))
    return out
