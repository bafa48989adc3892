"""Lexical index on PostgreSQL: a tsvector per chunk, a GIN index, BM25 computed in SQL.

Table `chunk_lexemes(chunk_id, tokens tsvector, length)` (migration 0001): `tokens` holds the
chunk's index tokens exactly as FTS5's unicode61 tokenizer splits the space-joined jieba
tokens (`lexical.fts5_tokenize`; the tsvector is built from those lexemes and their positions,
never by `to_tsvector`, whose parser would split '3.5' or 'e5-small' differently), `length` is
the token count. The query is a tsquery built from quoted lexemes, never parsed from user text.

Ranking is FTS5's BM25 (k1 = 1.2, b = 0.75, idf = log((N - n + 0.5) / (n + 0.5)) floored at
1e-6), so both backends rank alike:

- tf: the number of positions of the term in the chunk's tsvector (tsvector keeps at most 256
  positions per lexeme, so tf saturates at 256; BM25 has long flattened out by then);
- n (df): chunks whose tsvector contains the term, counted through the GIN index;
- N and the average length: over the whole table.

N, the average length and non-zero dfs are cached per index object and re-read when the
largest chunk id or the chunk-deletion counter changes, or after `STATS_TTL_S`. A cached
figure only shifts scores a little; which chunks match always comes from the GIN query, and a
df of 0 is never cached, so a new term is found as soon as its chunk commits.

`ranking = "ts_rank_cd"` ranks by PostgreSQL's cover density instead (kept for the comparison
in bench/RESULTS.md; BM25 is better there).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text

from ..access import AccessScope
from .lexical import (
    BM25_B,
    BM25_K1,
    affordable,
    bm25_idf,
    fts5_tokenize,
    piece_frequencies,
    query_tokens,
)

MAX_POSITION = 16383  # tsvector positions run 1..16383
MAX_LEXEME_BYTES = 2046  # tsvector refuses longer lexemes
STATS_TTL_S = 30.0

_SCORE = f"""
WITH q(term, idf) AS (SELECT * FROM unnest(CAST(:terms AS text[]), CAST(:idfs AS float8[])))
SELECT l.chunk_id, (
    SELECT sum(q.idf * (m.tf * {BM25_K1 + 1}) /
               (m.tf + {BM25_K1} * ({1 - BM25_B} + {BM25_B} * l.length / CAST(:avgdl AS float8))))
    FROM (SELECT u.lexeme, CAST(array_length(u.positions, 1) AS float8) AS tf
          FROM unnest(ts_filter(setweight(l.tokens, 'A', CAST(:terms AS text[])), '{{a}}')) AS u
         ) AS m
    JOIN q ON q.term = m.lexeme
) AS score
FROM chunk_lexemes AS l JOIN chunks AS c ON c.id = l.chunk_id
WHERE l.tokens @@ CAST(:query AS tsquery) AND SCOPE_FILTER
ORDER BY score DESC, l.chunk_id LIMIT :limit
"""

_COVER_DENSITY = """
SELECT l.chunk_id, ts_rank_cd(l.tokens, CAST(:query AS tsquery)) AS score
FROM chunk_lexemes AS l JOIN chunks AS c ON c.id = l.chunk_id
WHERE l.tokens @@ CAST(:query AS tsquery) AND SCOPE_FILTER
ORDER BY score DESC, l.chunk_id LIMIT :limit
"""


def quote_lexeme(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery input: single-quoted, quotes doubled, backslashes escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(tokens: Sequence[str]) -> str:
    """tsvector input for a token sequence: each distinct lexeme with its 1-based positions."""
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens, 1):
        if len(token.encode()) <= MAX_LEXEME_BYTES:
            positions.setdefault(token, []).append(min(i, MAX_POSITION))
    return " ".join(
        f"{quote_lexeme(lexeme)}:{','.join(map(str, sorted(set(ps))))}"
        for lexeme, ps in positions.items()
    )


def tsquery_literal(tokens: Sequence[str]) -> str:
    """tsquery input matching any of `tokens` (already index tokens: nothing is re-parsed)."""
    return " | ".join(quote_lexeme(t) for t in tokens)


class PostgresLexicalIndex:
    name = "postgresql-tsvector-bm25"

    def __init__(self, ranking: str = "bm25") -> None:
        if ranking not in ("bm25", "ts_rank_cd"):
            raise ValueError(f"unknown ranking {ranking!r}: use 'bm25' or 'ts_rank_cd'")
        self.ranking = ranking
        self._lock = threading.Lock()
        self._generation: tuple | None = None
        self._read_at = 0.0
        self._totals = (0, 0.0)  # N, average length
        self._df: dict[str, int] = {}

    # -- writing -----------------------------------------------------------------------------
    def add(self, conn: Connection, rows: Iterable[tuple[int, str]]) -> None:
        """Index (chunk_id, space-joined jieba tokens) rows."""
        rows = list(rows)
        if not rows:
            return
        tokenised = fts5_tokenize([tokens for _, tokens in rows])
        conn.execute(
            text(
                "INSERT INTO chunk_lexemes (chunk_id, tokens, length) "
                "VALUES (:id, CAST(:tokens AS tsvector), :length)"
            ),
            [
                {"id": cid, "tokens": tsvector_literal(tokens), "length": len(tokens)}
                for (cid, _), tokens in zip(rows, tokenised, strict=True)
            ],
        )

    def delete_document(self, conn: Connection, document_id: int) -> None:
        conn.execute(
            text(
                "DELETE FROM chunk_lexemes WHERE chunk_id IN "
                "(SELECT id FROM chunks WHERE document_id = :doc)"
            ),
            {"doc": document_id},
        )

    # -- searching ---------------------------------------------------------------------------
    def search(
        self,
        conn: Connection,
        groups: Sequence[Sequence[str]],
        scope: AccessScope,
        limit: int,
    ) -> list[tuple[int, float]]:
        """[(chunk_id, BM25 score)] best first within `scope` (higher is better)."""
        if not groups or scope.empty:
            return []
        tokens = [t for t in query_tokens(groups) if len(t.encode()) <= MAX_LEXEME_BYTES]
        if not tokens:
            return []
        total, avgdl, df = self._stats(conn, tokens)
        tokens = affordable(df)
        if not tokens:
            return []
        params = {"query": tsquery_literal(tokens), "limit": limit}
        if self.ranking == "ts_rank_cd":
            sql = _COVER_DENSITY.replace("SCOPE_FILTER", scope.sql("c"))
        else:
            sql = _SCORE.replace("SCOPE_FILTER", scope.sql("c"))
            params.update(
                terms=tokens,
                idfs=[bm25_idf(total, df[t]) for t in tokens],
                avgdl=avgdl or 1.0,
            )
        return [(int(cid), float(score)) for cid, score in conn.execute(text(sql), params)]

    def document_frequencies(self, conn: Connection, tokens: Sequence[str]) -> dict[str, int]:
        """Chunks containing each token (GIN lookups; cached while the index is unchanged)."""
        return piece_frequencies(tokens, lambda pieces: self._stats(conn, pieces)[2])

    def idf(self, conn: Connection, terms: Sequence[str]) -> dict[str, float]:
        """BM25-style idf per term; a term absent from the index gets the highest idf."""
        if not terms:
            return {}
        total = conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()
        df = self.document_frequencies(conn, terms)
        return {t: math.log((total - df[t] + 0.5) / (df[t] + 0.5) + 1.0) for t in terms}

    # -- statistics --------------------------------------------------------------------------
    def _stats(self, conn: Connection, tokens: Sequence[str]) -> tuple[int, float, dict[str, int]]:
        """(N, average length, {token: df}) with the cache refreshed when the index changed."""
        generation = tuple(
            conn.execute(
                text(
                    "SELECT (SELECT max(chunk_id) FROM chunk_lexemes), "
                    "(SELECT value FROM state WHERE key = 'chunk_deletions')"
                )
            ).one()
        )
        with self._lock:
            now = time.monotonic()
            if generation != self._generation or now - self._read_at > STATS_TTL_S:
                row = conn.execute(
                    text("SELECT count(*), coalesce(avg(length), 0) FROM chunk_lexemes")
                ).one()
                self._generation, self._read_at = generation, now
                self._totals = (int(row[0]), float(row[1]))
                self._df = {}
            missing = [t for t in dict.fromkeys(tokens) if t not in self._df]
            total, avgdl = self._totals
            known = {t: self._df[t] for t in tokens if t in self._df}
        if missing:
            counted = dict(
                conn.execute(
                    text(
                        "SELECT t, (SELECT count(*) FROM chunk_lexemes "
                        "WHERE tokens @@ CAST(q AS tsquery)) "
                        "FROM unnest(CAST(:tokens AS text[]), CAST(:queries AS text[])) AS x(t, q)"
                    ),
                    {"tokens": missing, "queries": [quote_lexeme(t) for t in missing]},
                ).all()
            )
            with self._lock:
                if generation == self._generation:
                    self._df.update({t: int(n) for t, n in counted.items() if n})
            known.update({t: int(n) for t, n in counted.items()})
        return total, avgdl, known
