"""Lexical index: SQLite FTS5 over jieba-tokenised text, ranked by FTS5's `bm25()`.

The FTS table holds space-joined jieba tokens with rowid = chunks.id; FTS5's unicode61
tokenizer then splits on those spaces, so Chinese words are indexed as jieba cut them. The
knowledge-base filter is a join inside the query: chunks outside the allowed set never get
ranked at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, text


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
        kb_ids: Sequence[int],
        limit: int,
    ) -> list[tuple[int, float]]:
        """[(chunk_id, score)] best first; score = -bm25 (higher is better)."""
        if not groups or not kb_ids:
            return []
        kb_list = ",".join(str(int(k)) for k in kb_ids)
        rows = conn.execute(
            text(
                "SELECT chunk_fts.rowid, bm25(chunk_fts) AS rank FROM chunk_fts "
                "JOIN chunks AS c ON c.id = chunk_fts.rowid "
                f"WHERE chunk_fts MATCH :match AND c.kb_id IN ({kb_list}) "
                "ORDER BY rank LIMIT :limit"
            ),
            {"match": build_match(groups), "limit": limit},
        )
        return [(int(cid), -float(rank)) for cid, rank in rows]

    def idf(self, conn: Connection, terms: Sequence[str]) -> dict[str, float]:
        """BM25-style idf per term; a term absent from the index gets the highest idf."""
        if not terms:
            return {}
        total = conn.execute(text("SELECT count(*) FROM chunk_fts")).scalar_one()
        params = {f"t{i}": t for i, t in enumerate(terms)}
        placeholders = ",".join(f":{k}" for k in params)
        # fts5vocab stores terms as unicode61 folded them; our tokens are already lower case.
        df = dict(
            conn.execute(
                text(f"SELECT term, doc FROM chunk_fts_vocab WHERE term IN ({placeholders})"),
                params,
            ).all()
        )
        return {
            t: math.log((total - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5) + 1.0) for t in terms
        }
