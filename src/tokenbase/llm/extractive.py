"""The offline answerer: picks the best sentences of the best passages, each with its [n].

Used when no chat model is configured. It never writes a word that is not in a source: every
sentence of the answer is a verbatim sentence of a cited passage, so every citation is, by
construction, the chunk the sentence came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..ingest.chunker import split_sentences
from .embeddings import Embedder

MIN_SENTENCE_CHARS = 6
# e5 cosines cluster high: unrelated Chinese text sits near 0.75, a paraphrase near 0.9.
DENSE_FLOOR, DENSE_SPAN = 0.76, 0.14


@dataclass
class Passage:
    """A retrieved chunk offered to the answerer. `start` is its offset in the document."""

    text: str
    start: int
    tokens_weight: float = 0.0  # filled by the answerer


@dataclass
class AnswerSentence:
    text: str
    passage: int  # index into the passages list
    start: int  # offsets in the document text
    end: int
    score: float


@dataclass
class ExtractiveAnswer:
    sentences: list[AnswerSentence] = field(default_factory=list)
    relevance: float = 0.0  # 0–1: how well the best passage covers the question


def dense_relevance(cosine: float) -> float:
    """Map an e5 cosine to 0–1 (0 = unrelated, 1 = near paraphrase)."""
    return float(np.clip((cosine - DENSE_FLOOR) / DENSE_SPAN, 0.0, 1.0))


def _weight(token: str) -> float:
    # Longer words carry more meaning; single characters are weak evidence.
    return 0.3 if len(token) == 1 else min(2.0, 0.6 + 0.4 * len(token))


def coverage(query_groups: list[list[str]], tokens: set[str]) -> float:
    """Share of the query's weighted terms (any synonym counts) present in `tokens`."""
    total = sum(_weight(g[0]) for g in query_groups)
    if not total:
        return 0.0
    hit = sum(_weight(g[0]) for g in query_groups if any(t in tokens for t in g))
    return hit / total


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, tokenize, embedder: Embedder | None, max_sentences: int = 4) -> None:  # type: ignore[no-untyped-def]
        self.tokenize = tokenize
        self.embedder = embedder
        self.max_sentences = max_sentences

    def answer(
        self, question: str, query_groups: list[list[str]], passages: list[Passage]
    ) -> ExtractiveAnswer:
        candidates: list[tuple[int, int, int, str]] = []  # passage, start, end, text
        for p_index, passage in enumerate(passages):
            for s, e in split_sentences(passage.text):
                sentence = passage.text[s:e]
                if len(sentence.strip()) >= MIN_SENTENCE_CHARS and not sentence.startswith("|--"):
                    candidates.append((p_index, passage.start + s, passage.start + e, sentence))
        if not candidates:
            return ExtractiveAnswer()
        lexical = np.array(
            [coverage(query_groups, set(self.tokenize(c[3]))) for c in candidates], dtype=np.float32
        )
        passage_cov = [coverage(query_groups, set(self.tokenize(p.text))) for p in passages]
        dense = np.zeros(len(candidates), dtype=np.float32)
        passage_dense = [0.0] * len(passages)
        if self.embedder is not None:
            qvec = self.embedder.embed_queries([question])[0]
            svecs = self.embedder.embed_passages([c[3] for c in candidates])
            cos = svecs @ qvec
            dense = np.array([dense_relevance(float(c)) for c in cos], dtype=np.float32)
            for (p_index, *_), value in zip(candidates, dense, strict=True):
                passage_dense[p_index] = max(passage_dense[p_index], float(value))
        weight_dense = 0.5 if self.embedder is not None else 0.0
        prior = np.array([0.08 / (1 + c[0]) for c in candidates], dtype=np.float32)
        scores = (1 - weight_dense) * lexical + weight_dense * dense + prior
        relevance = max(
            (max(c, d) for c, d in zip(passage_cov, passage_dense, strict=True)), default=0.0
        )
        order = np.argsort(-scores)
        best = float(scores[order[0]])
        chosen: list[AnswerSentence] = []
        seen: set[str] = set()
        for i in order:
            if len(chosen) >= self.max_sentences or scores[i] < 0.6 * best:
                break
            p_index, start, end, sentence = candidates[int(i)]
            key = sentence.strip()
            if key in seen:
                continue
            seen.add(key)
            chosen.append(AnswerSentence(sentence.strip(), p_index, start, end, float(scores[i])))
        # Read in source order within a passage, passages in rank order.
        chosen.sort(key=lambda s: (s.passage, s.start))
        return ExtractiveAnswer(chosen, relevance)
