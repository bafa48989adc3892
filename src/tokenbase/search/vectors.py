"""Dense vector index: derived from the chunk_vectors table, never the only copy.

Vectors live in SQLite (float32 blobs). This index mirrors them in memory and catches up from
a watermark (`chunk_vectors.seq`) before every search, so vectors written by a background
embedding job become searchable without a restart. Below `ann_min_vectors` the search is exact
(one matrix product); above it a usearch HNSW index is used, persisted beside the database and
reloaded at start when its watermark is still valid.

Rows of deleted chunks may linger here until the next rebuild; callers join hits back to the
chunks table, so a stale row can never surface, and the index rebuilds itself when more than a
fifth of it is stale.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, text

_LOAD_BATCH = 20000
STALE_CHECK_INTERVAL_S = 60.0


class VectorIndex:
    def __init__(self, engine: Engine, path: Path, *, model: str, ann_min_vectors: int) -> None:
        self._engine = engine
        self._path = path
        self._meta_path = path.with_suffix(".json")
        self.model = model
        self.ann_min_vectors = ann_min_vectors
        self._lock = threading.Lock()
        self._watermark = 0
        self._keys = np.zeros(0, dtype=np.int64)
        self._kbs = np.zeros(0, dtype=np.int32)
        self._kb_of: dict[int, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._ann = None  # usearch Index once large enough
        self._loaded_ann = False
        self._checked_at = 0.0
        self._deletions_seen: str | None = None

    # -- catching up -------------------------------------------------------------------------
    def sync(self) -> None:
        """Load vectors added since the watermark; rebuild if too many rows went stale.

        Runs before every search, so it costs one primary-key lookup when nothing changed;
        the staleness count (a table scan) runs only after vectors arrived, after chunks were
        deleted (a counter in the `state` table), or once a minute.
        """
        with self._lock:
            if not self._loaded_ann:
                self._loaded_ann = True
                self._try_load_ann()
            with self._engine.connect() as conn:
                top = conn.execute(
                    text("SELECT coalesce(max(seq), 0) FROM chunk_vectors")
                ).scalar_one()
                deletions = conn.execute(
                    text("SELECT value FROM state WHERE key = 'chunk_deletions'")
                ).scalar()
                if top < self._watermark:  # database was reset or vectors rewritten
                    self._reset()
                grew = top > self._watermark
                if grew:
                    self._load_since(conn)
                    self._watermark = max(self._watermark, int(top))
                now = time.monotonic()
                deleted = deletions != self._deletions_seen
                if not (grew or deleted or now - self._checked_at > STALE_CHECK_INTERVAL_S):
                    return
                self._checked_at, self._deletions_seen = now, deletions
                live = conn.execute(
                    text("SELECT count(*) FROM chunk_vectors WHERE model = :m"), {"m": self.model}
                ).scalar_one()
            if len(self._keys) and live < 0.8 * len(self._keys):
                self._reset()
                with self._engine.connect() as conn:
                    self._load_since(conn)

    def _reset(self) -> None:
        self._watermark = 0
        self._keys = np.zeros(0, dtype=np.int64)
        self._kbs = np.zeros(0, dtype=np.int32)
        self._kb_of = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._ann = None

    def _load_since(self, conn) -> None:  # type: ignore[no-untyped-def]
        while True:
            rows = conn.execute(
                text(
                    "SELECT v.seq, v.chunk_id, c.kb_id, v.vector FROM chunk_vectors v "
                    "JOIN chunks c ON c.id = v.chunk_id "
                    "WHERE v.seq > :w AND v.model = :m ORDER BY v.seq LIMIT :n"
                ),
                {"w": self._watermark, "m": self.model, "n": _LOAD_BATCH},
            ).all()
            if not rows:
                return
            keys = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
            kbs = np.fromiter((r[2] for r in rows), dtype=np.int32, count=len(rows))
            matrix = np.vstack([np.frombuffer(r[3], dtype=np.float32) for r in rows])
            self._append(keys, kbs, matrix)
            self._watermark = int(rows[-1][0])

    def _append(self, keys: np.ndarray, kbs: np.ndarray, matrix: np.ndarray) -> None:
        self._keys = np.concatenate([self._keys, keys])
        self._kbs = np.concatenate([self._kbs, kbs])
        self._kb_of.update(zip(keys.tolist(), kbs.tolist(), strict=True))
        if self._ann is not None:
            self._ann.add(keys, matrix)
            return
        self._matrix = matrix if self._matrix.size == 0 else np.vstack([self._matrix, matrix])
        if len(self._keys) >= self.ann_min_vectors:
            self._build_ann()

    # -- ANN file ----------------------------------------------------------------------------
    def _build_ann(self) -> None:
        from usearch.index import Index

        ann = Index(ndim=self._matrix.shape[1], metric="cos", dtype="f16", connectivity=16)
        ann.add(self._keys, self._matrix, threads=2)
        self._ann = ann
        self._matrix = np.zeros((0, 0), dtype=np.float32)  # usearch holds the vectors now

    def save(self) -> None:
        """Persist the ANN index and its watermark (no-op in exact mode)."""
        with self._lock:
            if self._ann is None:
                return
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._ann.save(str(self._path))
            np.save(self._path.with_suffix(".kbs.npy"), np.stack([self._keys, self._kbs]))
            self._meta_path.write_text(
                json.dumps({"watermark": self._watermark, "model": self.model})
            )

    def _try_load_ann(self) -> None:
        if not (self._path.exists() and self._meta_path.exists()):
            return
        try:
            from usearch.index import Index

            meta = json.loads(self._meta_path.read_text())
            if meta.get("model") != self.model:
                return
            keys_kbs = np.load(self._path.with_suffix(".kbs.npy"))
            ann = Index.restore(str(self._path))
        except (OSError, ValueError, RuntimeError):
            return  # a damaged derived file is simply rebuilt from the database
        if ann is None or len(ann) != keys_kbs.shape[1]:
            return
        self._ann = ann
        self._keys = keys_kbs[0].astype(np.int64)
        self._kbs = keys_kbs[1].astype(np.int32)
        self._kb_of = dict(zip(self._keys.tolist(), self._kbs.tolist(), strict=True))
        self._watermark = int(meta["watermark"])

    # -- search ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._keys)

    @property
    def mode(self) -> str:
        return "ann" if self._ann is not None else "exact"

    def search(
        self, query: np.ndarray, kb_ids: Sequence[int], limit: int
    ) -> list[tuple[int, float]]:
        """[(chunk_id, cosine)] best first, restricted to `kb_ids`."""
        if not len(self._keys) or not kb_ids:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        allowed = np.isin(self._kbs, np.asarray(kb_ids, dtype=np.int32))
        n_allowed = int(allowed.sum())
        if n_allowed == 0:
            return []
        if self._ann is None:
            scores = self._matrix @ query
            scores = np.where(allowed, scores, -np.inf)
            top = np.argpartition(-scores, min(limit, len(scores) - 1))[:limit]
            top = top[np.argsort(-scores[top])]
            return [(int(self._keys[i]), float(scores[i])) for i in top if scores[i] > -np.inf]
        kb_set = set(int(k) for k in kb_ids)
        # Oversample in proportion to how much of the index the caller may see.
        share = n_allowed / len(self._keys)
        want = min(len(self._keys), int(limit / max(share, 1e-3) * 2) + limit)
        matches = self._ann.search(query, want)
        hits = []
        for key, distance in zip(matches.keys.tolist(), matches.distances.tolist(), strict=True):
            if self._kb_of.get(int(key)) in kb_set:
                hits.append((int(key), 1.0 - float(distance)))
                if len(hits) == limit:
                    break
        return hits
