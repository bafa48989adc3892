"""Ask: retrieve, answer, cite. With no chat model configured, the answer is extractive."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..access import FULL_ACCESS, AccessScope
from ..llm.errors import ModelCallError
from ..llm.extractive import ExtractiveAnswerer, Passage
from ..search.hybrid import SearchHit
from .platform import Platform

_CJK = re.compile(r"[\u4e00-\u9fff]")

NOT_FOUND = {
    "zh": "知识库中没有找到与这个问题相关的内容。可以换个说法，或确认相关文档已导入。",
    "en": "Nothing in the knowledge base answers this question. Try rephrasing it, or check "
    "that the relevant documents have been ingested.",
}
EXTRACTIVE_NOTE = {
    "zh": "摘录式回答：以下句子摘自原文，未经大模型改写。",
    "en": "Extractive answer: sentences quoted from the sources, not written by a model.",
}


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


@dataclass
class Citation:
    n: int
    chunk_id: int
    document_id: int
    title: str
    source: str
    location: str
    locator: dict[str, Any]
    snippet: str  # the cited sentences, verbatim
    highlights: list[tuple[int, int]]  # offsets of the cited sentences in the document text
    chunk_start: int
    chunk_end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "title": self.title,
            "source": self.source,
            "location": self.location,
            "locator": self.locator,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            "chunk_start": self.chunk_start,
            "chunk_end": self.chunk_end,
        }


@dataclass
class Answer:
    question: str
    text: str
    kind: str  # "extractive" | "not_found"
    found: bool
    language: str
    relevance: float
    trace_id: str
    citations: list[Citation] = field(default_factory=list)
    hits: list[SearchHit] = field(default_factory=list)

    @property
    def note(self) -> str:
        return EXTRACTIVE_NOTE[self.language] if self.kind == "extractive" else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "kind": self.kind,
            "found": self.found,
            "note": self.note,
            "relevance": round(self.relevance, 4),
            "trace_id": self.trace_id,
            "citations": [c.to_dict() for c in self.citations],
            "results": [h.to_dict() for h in self.hits],
        }


def _cosine(hit: SearchHit) -> float | None:
    dense = hit.channels.get("dense")
    return dense.score if dense is not None else None


def ask(
    platform: Platform,
    question: str,
    kbs: list[str] | None = None,
    *,
    scope: AccessScope = FULL_ACCESS,
) -> Answer:
    """Answer `question` with citations from what `scope` may read in the named knowledge
    bases (None = all of them)."""
    settings = platform.settings.answer
    language = language_of(question)
    trace_id = uuid.uuid4().hex
    found = platform.searcher.search(question, kbs, scope=scope, limit=settings.context_chunks)
    hits = found.hits
    # The searcher embedded the question; without a working embedder, answer lexically.
    query_vector = found.query_vector
    embedder = None if found.degraded else platform.embedder
    if embedder is not None and query_vector is None:  # no vectors yet: nothing was embedded
        try:
            query_vector = embedder.embed_queries([question])[0]
        except ModelCallError:
            embedder = None
    groups = platform.tokenizer.query_terms(question)
    with platform.db.engine.connect() as conn:
        weights = platform.searcher.lexical.idf(conn, [g[0] for g in groups])
    answerer = ExtractiveAnswerer(
        platform.tokenizer.tokenize, embedder, max_sentences=settings.max_sentences
    )
    result = answerer.answer(
        question,
        groups,
        [Passage(h.text, h.start, _cosine(h)) for h in hits],
        weights,
        query_vector,
    )
    if not hits or not result.sentences or result.relevance < settings.min_relevance:
        return Answer(
            question,
            NOT_FOUND[language],
            "not_found",
            False,
            language,
            result.relevance,
            trace_id,
            hits=hits,
        )
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for sentence in result.sentences:
        hit = hits[sentence.passage]
        if sentence.passage not in numbers:
            numbers[sentence.passage] = len(numbers) + 1
            citations.append(
                Citation(
                    n=numbers[sentence.passage],
                    chunk_id=hit.chunk_id,
                    document_id=hit.document_id,
                    title=hit.title,
                    source=hit.source,
                    location=hit.locator.label(language, hit.title),
                    locator=hit.locator.to_dict(),
                    snippet="",
                    highlights=[],
                    chunk_start=hit.start,
                    chunk_end=hit.end,
                )
            )
        citation = citations[numbers[sentence.passage] - 1]
        citation.highlights.extend(sentence.spans)
        citation.snippet = (citation.snippet + " " + sentence.text).strip()
        parts.append(f"{sentence.text}[{citation.n}]")
    joiner = "" if language == "zh" else " "
    return Answer(
        question,
        joiner.join(parts),
        "extractive",
        True,
        language,
        result.relevance,
        trace_id,
        citations,
        hits,
    )
