"""The hybrid searcher: BM25 (jieba + FTS5) and dense vectors, fused by RRF, then reranked.

Each channel applies the caller's access scope (knowledge bases and classification ceiling)
inside its own query, and the final load re-applies it in SQL. Dense search uses
whatever vectors exist: a document is lexically searchable as soon as it is chunked, and joins
the dense channel as its embeddings arrive.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sqlalchemy import Engine, bindparam, text

from ..access import FULL_ACCESS, AccessScope
from ..config import Settings
from ..db.schema import CLASSIFICATIONS
from ..guard.redline import taint
from ..ingest.document import Locator
from ..llm.embeddings import Embedder
from ..llm.errors import ModelCallError
from ..llm.rerank import Reranker
from .fusion import reciprocal_rank_fusion
from .lexical import lexical_index_for
from .tokenizer import Tokenizer
from .vectors import VectorIndex

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "lexical", "dense"]


@dataclass
class ChannelScore:
    rank: int
    score: float


@dataclass
class SearchHit:
    chunk_id: int
    document_id: int
    kb: str
    title: str
    source: str
    media_type: str
    classification: int
    locator: Locator
    text: str
    start: int
    end: int
    score: float
    channels: dict[str, ChannelScore] = field(default_factory=dict)
    usage: str = "internal"  # where the document's text may be used (red line 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "kb": self.kb,
            "title": self.title,
            "source": self.source,
            "media_type": self.media_type,
            "classification": CLASSIFICATIONS[self.classification],
            "usage": self.usage,
            "locator": self.locator.to_dict(),
            "location": self.locator.label(title=self.title),
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 6),
            "channels": {
                name: {"rank": c.rank, "score": round(c.score, 6)}
                for name, c in self.channels.items()
            },
            "text": self.text,
        }


@dataclass
class SearchResult:
    hits: list[SearchHit]
    degraded: str | None = None  # why the search ran without its dense channel
    query_vector: np.ndarray | None = None  # the embedded query, reused by the answerer


class Searcher:
    """Thread-safe: one instance serves concurrent requests."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        tokenizer: Tokenizer,
        embedder: Embedder | None,
        reranker: Reranker | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.tokenizer = tokenizer
        self.embedder = embedder
        self.reranker = reranker
        self.lexical = lexical_index_for(engine)
        self._executor: ThreadPoolExecutor | None = None
        # Repeated questions (FAQ traffic, retries, a user refining filters) skip the model.
        self._cached_vectors: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        self.vectors = (
            VectorIndex(
                engine,
                settings.ann_path,
                model=embedder.name,
                ann_min_vectors=settings.search.ann_min_vectors,
                exact_filter_max=settings.search.exact_filter_max,
            )
            if embedder is not None
            else None
        )

    def _embed_query(self, query: str) -> np.ndarray:
        vector = self.embedder.embed_queries([query])[0]
        with self._cache_lock:
            self._cached_vectors[query] = vector
            while len(self._cached_vectors) > self.settings.search.query_cache_size:
                self._cached_vectors.pop(next(iter(self._cached_vectors)))
        return vector

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-query")
        return self._executor

    def kb_ids(self, names: list[str] | None, scope: AccessScope = FULL_ACCESS) -> dict[int, str]:
        """Map knowledge-base names to ids within `scope`; None means all the scope allows.

        A name outside the scope raises the same KeyError as one that does not exist, so a
        caller cannot learn which knowledge bases they are not allowed to see."""
        with self.engine.connect() as conn:
            rows = {
                name: kb_id
                for name, kb_id in conn.execute(text("SELECT name, id FROM knowledge_bases"))
                if scope.allows_kb(kb_id)
            }
        if names is None:
            return {i: n for n, i in rows.items()}
        missing = [n for n in names if n not in rows]
        if missing:
            raise KeyError(", ".join(missing))
        return {rows[n]: n for n in names}

    def search(
        self,
        query: str,
        kbs: list[str] | None = None,
        *,
        scope: AccessScope = FULL_ACCESS,
        limit: int = 10,
        mode: Mode = "hybrid",
        query_vector: np.ndarray | None = None,
    ) -> SearchResult:
        """Top `limit` chunks for `query` that `scope` may read, in the named knowledge bases
        (None = every one the scope allows).

        Pass `query_vector` when the caller already embedded the query (it is reused)."""
        kb_map = self.kb_ids(kbs, scope)
        scope = scope.narrowed(set(kb_map))
        result = SearchResult([], query_vector=query_vector)
        if scope.empty:
            return result
        n = self.settings.search.candidates
        channels: dict[str, list[tuple[int, float]]] = {}
        pending = None
        dense = mode in ("hybrid", "dense") and self.vectors is not None
        if dense:
            self.vectors.sync()
            dense = len(self.vectors) > 0
        if dense and query_vector is None:
            query_vector = self._cached_vectors.get(query)
        if dense and query_vector is None:
            # Embed the query on a thread while FTS5 runs: both release the GIL.
            # The copied context carries the caller's ledger attribution to the thread.
            pending = self._pool().submit(contextvars.copy_context().run, self._embed_query, query)
        if mode in ("hybrid", "lexical"):
            groups = self.tokenizer.query_terms(query)
            with self.engine.connect() as conn:
                channels["lexical"] = self.lexical.search(conn, groups, scope, n)
        if dense:
            try:
                qvec = query_vector if pending is None else pending.result()
                result.query_vector = qvec
                channels["dense"] = self.vectors.search(qvec, scope, n)
            except ModelCallError as exc:  # a down embedder degrades search to lexical
                log.warning("dense channel skipped: %s", exc)
                result.degraded = str(exc)
        fused = reciprocal_rank_fusion(
            {name: [cid for cid, _ in hits] for name, hits in channels.items()},
            weights={
                "lexical": self.settings.search.lexical_weight,
                "dense": self.settings.search.dense_weight,
            },
            k=self.settings.search.rrf_k,
        )
        per_channel = {
            name: {cid: ChannelScore(rank, score) for rank, (cid, score) in enumerate(hits, 1)}
            for name, hits in channels.items()
        }
        pool = fused[: max(limit, self.settings.reranker.top_n if self.reranker else limit)]
        hits = self._load(pool, per_channel, kb_map, scope)
        if self.reranker is not None and hits and self._may_rerank(hits):
            scores = self.reranker.score(query, [h.text for h in hits])
            for rank, (hit, score) in enumerate(
                sorted(zip(hits, scores, strict=True), key=lambda p: -p[1]), 1
            ):
                hit.channels["rerank"] = ChannelScore(rank, score)
                hit.score = score
            hits.sort(key=lambda h: -h.score)
        result.hits = hits[:limit]
        # Red line: whoever receives these texts has read their classification (the gateway
        # keeps classified context away from public models).
        taint(max((h.classification for h in result.hits), default=0))
        return result

    def _may_rerank(self, hits: list[SearchHit]) -> bool:
        """A public rerank API may not see classified chunks: such queries keep fused order."""
        if self.settings.reranker.deployment != "public":
            return True
        red = self.settings.guard.redline
        if any(h.classification >= red.min_level for h in hits):
            log.info("rerank skipped: classified chunks may not go to a public rerank API")
            return False
        return True

    def _load(
        self,
        fused: list[tuple[int, float]],
        per_channel: dict[str, dict[int, ChannelScore]],
        kb_map: dict[int, str],
        scope: AccessScope,
    ) -> list[SearchHit]:
        if not fused:
            return []
        ids = [cid for cid, _ in fused]
        # The scope again, in SQL: the authority over any label the vector index cached.
        stmt = text(
            "SELECT c.id, c.document_id, c.kb_id, c.text, c.locator, c.start_offset, "
            "c.end_offset, c.classification, d.title, d.source, d.media_type, d.usage "
            "FROM chunks c JOIN documents d ON d.id = c.document_id "
            f"WHERE c.id IN :ids AND {scope.sql('c')}"
        ).bindparams(bindparam("ids", expanding=True))
        with self.engine.connect() as conn:
            rows = {r[0]: r for r in conn.execute(stmt, {"ids": ids})}
        hits = []
        for cid, score in fused:
            row = rows.get(cid)
            if row is None or row[2] not in kb_map:  # stale vector row, or outside the scope
                continue
            locator = row[4] if isinstance(row[4], dict) else _json(row[4])
            hits.append(
                SearchHit(
                    chunk_id=cid,
                    document_id=row[1],
                    kb=kb_map[row[2]],
                    title=row[8],
                    source=row[9],
                    media_type=row[10],
                    classification=row[7],
                    locator=Locator.from_dict(locator),
                    text=row[3],
                    start=row[5],
                    end=row[6],
                    score=score,
                    usage=row[11],
                    channels={
                        name: ranks[cid] for name, ranks in per_channel.items() if cid in ranks
                    },
                )
            )
        return hits


def _json(value: Any) -> dict:
    import json

    return json.loads(value) if value else {}
