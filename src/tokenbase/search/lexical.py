"""Lexical index: SQLite FTS5 over jieba-tokenised text, ranked by FTS5's `bm25()`.

The FTS table holds space-joined jieba tokens with rowid = chunks.id; FTS5's unicode61
tokenizer then splits on those spaces, so Chinese words are indexed as jieba cut them. The
access filter (knowledge bases and classification ceiling) is a join inside the query: chunks
outside the caller's scope never get ranked at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text

from ..access import AccessScope

POSTINGS_BUDGET = 20_000  # rows FTS5 may score for one query before common tokens are dropped
MIN_TOKENS = 2


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def build_match(groups: Sequence[Sequence[str]]) -> str:
    """FTS5 MATCH expression: any token of any group (synonyms are alternatives)."""
    tokens = list(dict.fromkeys(t for group in groups for t in group))
    return " OR ".join(_quote(t) for t in tokens)


class SqliteLexicalIndex:
    name = "sqlite-fts5"

    def add(self, conn: Connection, rows: Iterable[tuple[int, str]]) -> None:
        """Index (chunk_id, tokenised text) rows."""
        payload = [{"id": cid, "tokens": tokens} for cid, tokens in rows]
        if payload:
            conn.execute(
                text("INSERT INTO chunk_fts(rowid, tokens) VALUES (:id, :tokens)"), payload
            )

    def delete_document(self, conn: Connection, document_id: int) -> None:
        conn.execute(
            text(
                "DELETE FROM chunk_fts WHERE rowid IN "
                "(SELECT id FROM chunks WHERE document_id = :doc)"
            ),
            {"doc": document_id},
        )

    def search(
        self,
        conn: Connection,
        groups: Sequence[Sequence[str]],
        scope: AccessScope,
        limit: int,
    ) -> list[tuple[int, float]]:
        """[(chunk_id, score)] best first within `scope`; score = -bm25 (higher is better)."""
        if not groups or scope.empty:
            return []
        tokens = self._affordable(conn, list(dict.fromkeys(t for g in groups for t in g)))
        if not tokens:
            return []
        rows = conn.execute(
            text(
                "SELECT chunk_fts.rowid, bm25(chunk_fts) AS rank FROM chunk_fts "
                "JOIN chunks AS c ON c.id = chunk_fts.rowid "
                f"WHERE chunk_fts MATCH :match AND {scope.sql('c')} "
                "ORDER BY rank LIMIT :limit"
            ),
            {"match": build_match([tokens]), "limit": limit},
        )
        return [(int(cid), -float(rank)) for cid, rank in rows]

    def document_frequencies(self, conn: Connection, tokens: Sequence[str]) -> dict[str, int]:
        """Chunks containing each token (one index lookup per token)."""
        stmt = text("SELECT doc FROM chunk_fts_vocab WHERE term = :t")
        return {t: int(conn.execute(stmt, {"t": t}).scalar() or 0) for t in tokens}

    def _affordable(self, conn: Connection, tokens: list[str]) -> list[str]:
        """Drop the most common tokens once the postings to score exceed a budget.

        FTS5 scores every row matching any OR'd token, so one token present in most chunks
        (a frequent word at 100k chunks) costs more than all the others while adding almost
        nothing to BM25 (its idf is near zero). The rarest `MIN_TOKENS` always stay.
        """
        df = self.document_frequencies(conn, tokens)
        kept, postings = [], 0
        for token in sorted((t for t in tokens if df[t] > 0), key=lambda t: df[t]):
            if len(kept) >= MIN_TOKENS and postings + df[token] > POSTINGS_BUDGET:
                break
            kept.append(token)
            postings += df[token]
        return kept

    def idf(self, conn: Connection, terms: Sequence[str]) -> dict[str, float]:
        """BM25-style idf per term; a term absent from the index gets the highest idf."""
        if not terms:
            return {}
        total = conn.execute(text("SELECT count(*) FROM chunks")).scalar_one()
        df = self.document_frequencies(conn, terms)
        return {t: math.log((total - df[t] + 0.5) / (df[t] + 0.5) + 1.0) for t in terms}
