"""Dense vector index: derived from the chunk_vectors table, never the only copy.

Vectors live in the database (float32 blobs in `chunk_vectors`, SQLite or PostgreSQL alike).
This index mirrors them in memory and catches up from a watermark (`chunk_vectors.seq`) before
every search, so vectors written by a background embedding job become searchable without a
restart. Below `ann_min_vectors` the search is exact (one matrix product); above it a usearch
HNSW index is used, persisted in the data directory under a name derived from the database URL
(`vectors-<hash>.usearch`, so two databases never share a file) and reloaded at start when its
watermark is still valid.

On PostgreSQL, `seq` values can commit out of order: two workers take seq 10 and 11, the one
holding 11 commits first, and a catch-up then moves the watermark past 10 before 10 is
visible. So every seq the catch-up skipped below the new watermark is remembered as a gap and
looked up again on later syncs (a primary-key lookup, keys already loaded are skipped) until it
shows up or `GAP_TTL_S` has passed: far longer than the single-INSERT transaction that writes a
batch of vectors. A gap that never fills is a rolled-back insert or a vector deleted before it
was loaded.

Each row carries its chunk's knowledge base and classification, so a caller's access scope is
a mask applied *before* ranking. HNSW cannot take that mask inside its graph walk, so a
narrowly-permitted caller gets an exact search over just the rows they may read (fetched back
from usearch), and a broader one gets an oversampled ANN search that falls back to exact when
too few allowed rows come back. Recall therefore does not collapse as permissions narrow.

Rows of deleted chunks may linger here until the next rebuild, and labels copied here may lag a
reclassification by one `sync`; callers join hits back to the chunks table with the same scope
filter, so neither can surface, and the index rebuilds itself when more than a fifth is stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, bindparam, text

from ..access import AccessScope
from ..db.engine import url_without_password

_LOAD_BATCH = 20000
STALE_CHECK_INTERVAL_S = 60.0
MAX_OVERSAMPLE = 4096
GAP_TTL_S = 600.0  # how long a skipped seq is looked up again (see the module docstring)
MAX_GAPS = 10_000  # the most recent skipped seqs kept; out-of-order commits are near the top
_GAP_LOOKUP_BATCH = 1000


def _usearch_index():  # type: ignore[no-untyped-def]
    """usearch's Index class. onnxruntime (OCR) is imported first when installed: importing it
    after usearch's extension segfaults (usearch 2.26 with onnxruntime 1.32), which would kill
    any process that searched in ANN mode and then OCR'd a page."""
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401

    from usearch.index import Index

    return Index


def ann_path_for(base: Path, url: str) -> Path:
    """The ANN file for the database at `url`: `base` with a short hash of the URL (without
    its password) in the name, e.g. vectors.usearch -> vectors-3f9a0c1d2e.usearch."""
    digest = hashlib.sha256(url_without_password(url).encode()).hexdigest()[:10]
    return base.with_name(f"{base.stem}-{digest}{base.suffix}")


class VectorIndex:
    def __init__(
        self,
        engine: Engine,
        path: Path,
        *,
        model: str,
        ann_min_vectors: int,
        exact_filter_max: int = 5000,
    ) -> None:
        self._engine = engine
        self._path = ann_path_for(path, engine.url.render_as_string(hide_password=False))
        self._meta_path = self._path.with_suffix(".json")
        self.model = model
        self.ann_min_vectors = ann_min_vectors
        self.exact_filter_max = exact_filter_max  # allowed rows searched exactly in ANN mode
        self._lock = threading.Lock()
        self._watermark = 0
        self._keys = np.zeros(0, dtype=np.int64)
        self._kbs = np.zeros(0, dtype=np.int32)
        self._levels = np.zeros(0, dtype=np.int8)  # chunk classification per row
        self._row_of: dict[int, int] = {}
        self._gaps: dict[int, float] = {}  # seq skipped below the watermark -> when first seen
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._ann = None  # usearch Index once large enough
        self._loaded_ann = False
        self._checked_at = 0.0
        self._deletions_seen: str | None = None
        self._labels_seen: str | None = None

    @property
    def path(self) -> Path:
        """Where the ANN index is saved (derived from the database URL)."""
        return self._path

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
                marks = dict(
                    conn.execute(
                        text(
                            "SELECT key, value FROM state "
                            "WHERE key IN ('chunk_deletions', 'chunk_labels')"
                        )
                    ).all()
                )
                deletions = marks.get("chunk_deletions")
                if top < self._watermark:  # database was reset or vectors rewritten
                    self._reset()
                grew = top > self._watermark
                if self._gaps:
                    grew = self._fill_gaps(conn) or grew
                if top > self._watermark:
                    self._load_since(conn, int(top))
                if marks.get("chunk_labels") != self._labels_seen:
                    self._labels_seen = marks.get("chunk_labels")
                    self._refresh_labels(conn)
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
                    top = conn.execute(
                        text("SELECT coalesce(max(seq), 0) FROM chunk_vectors")
                    ).scalar_one()
                    self._load_since(conn, int(top))

    def _refresh_labels(self, conn) -> None:  # type: ignore[no-untyped-def]
        """Re-read knowledge base and classification of every row (after a relabel)."""
        if not len(self._keys):
            return
        for chunk_id, kb_id, level in conn.execute(
            text("SELECT id, kb_id, classification FROM chunks")
        ):
            row = self._row_of.get(int(chunk_id))
            if row is not None:
                self._kbs[row] = kb_id
                self._levels[row] = level

    def _reset(self) -> None:
        self._watermark = 0
        self._keys = np.zeros(0, dtype=np.int64)
        self._kbs = np.zeros(0, dtype=np.int32)
        self._levels = np.zeros(0, dtype=np.int8)
        self._row_of = {}
        self._gaps = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._ann = None

    def _load_since(self, conn, top: int) -> None:  # type: ignore[no-untyped-def]
        """Load rows with watermark < seq <= top, then move the watermark to `top`; seqs in
        that range not seen (not committed yet, rolled back, deleted) become gaps."""
        start, seen = self._watermark, set()
        while True:
            rows = conn.execute(
                text(
                    "SELECT v.seq, v.chunk_id, c.kb_id, c.classification, v.vector "
                    "FROM chunk_vectors v "
                    "JOIN chunks c ON c.id = v.chunk_id "
                    "WHERE v.seq > :w AND v.seq <= :top AND v.model = :m "
                    "ORDER BY v.seq LIMIT :n"
                ),
                {"w": self._watermark, "top": top, "m": self.model, "n": _LOAD_BATCH},
            ).all()
            if not rows:
                break
            seen.update(int(r[0]) for r in rows)
            self._add_rows(rows)
            self._watermark = int(rows[-1][0])
        self._watermark = max(self._watermark, top)
        now = time.monotonic()
        low = max(start, top - MAX_GAPS)
        self._gaps.update((seq, now) for seq in range(low + 1, top + 1) if seq not in seen)
        if len(self._gaps) > MAX_GAPS:
            for seq in sorted(self._gaps)[: len(self._gaps) - MAX_GAPS]:
                del self._gaps[seq]

    def _fill_gaps(self, conn) -> bool:  # type: ignore[no-untyped-def]
        """Look the gaps up again; load the rows that committed since. True if any did."""
        now = time.monotonic()
        self._gaps = {seq: t for seq, t in self._gaps.items() if now - t < GAP_TTL_S}
        stmt = text(
            "SELECT v.seq, v.chunk_id, c.kb_id, c.classification, v.vector "
            "FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id "
            "WHERE v.seq IN :seqs AND v.model = :m ORDER BY v.seq"
        ).bindparams(bindparam("seqs", expanding=True))
        seqs, found = sorted(self._gaps), False
        for i in range(0, len(seqs), _GAP_LOOKUP_BATCH):
            rows = conn.execute(
                stmt, {"seqs": seqs[i : i + _GAP_LOOKUP_BATCH], "m": self.model}
            ).all()
            for row in rows:
                del self._gaps[int(row[0])]
            rows = [r for r in rows if int(r[1]) not in self._row_of]
            if rows:
                self._add_rows(rows)
                found = True
        return found

    def _add_rows(self, rows) -> None:  # type: ignore[no-untyped-def]
        keys = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
        kbs = np.fromiter((r[2] for r in rows), dtype=np.int32, count=len(rows))
        levels = np.fromiter((r[3] for r in rows), dtype=np.int8, count=len(rows))
        matrix = np.vstack([np.frombuffer(r[4], dtype=np.float32) for r in rows])
        self._append(keys, kbs, levels, matrix)

    def _append(
        self, keys: np.ndarray, kbs: np.ndarray, levels: np.ndarray, matrix: np.ndarray
    ) -> None:
        start = len(self._keys)
        self._keys = np.concatenate([self._keys, keys])
        self._kbs = np.concatenate([self._kbs, kbs])
        self._levels = np.concatenate([self._levels, levels])
        self._row_of.update(zip(keys.tolist(), range(start, start + len(keys)), strict=True))
        if self._ann is not None:
            self._ann.add(keys, matrix)
            return
        self._matrix = matrix if self._matrix.size == 0 else np.vstack([self._matrix, matrix])
        if len(self._keys) >= self.ann_min_vectors:
            self._build_ann()

    # -- ANN file ----------------------------------------------------------------------------
    def _build_ann(self) -> None:
        Index = _usearch_index()
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
            # Each file is written beside its final name and renamed, so a reader (another
            # process on the same data directory) never loads half a file.
            tmp = self._path.with_name(f"{self._path.name}.{os.getpid()}.tmp")
            self._ann.save(str(tmp))
            os.replace(tmp, self._path)
            labels = self._path.with_suffix(".kbs.npy")
            with open(f"{labels}.{os.getpid()}.tmp", "wb") as fh:
                np.save(
                    fh,
                    np.stack(
                        [self._keys, self._kbs.astype(np.int64), self._levels.astype(np.int64)]
                    ),
                )
            os.replace(f"{labels}.{os.getpid()}.tmp", labels)
            meta = {"watermark": self._watermark, "model": self.model, "gaps": sorted(self._gaps)}
            tmp_meta = self._meta_path.with_name(f"{self._meta_path.name}.{os.getpid()}.tmp")
            tmp_meta.write_text(json.dumps(meta))
            os.replace(tmp_meta, self._meta_path)

    def _try_load_ann(self) -> None:
        if not (self._path.exists() and self._meta_path.exists()):
            return
        try:
            Index = _usearch_index()
            meta = json.loads(self._meta_path.read_text())
            if meta.get("model") != self.model:
                return
            keys_kbs = np.load(self._path.with_suffix(".kbs.npy"))
            ann = Index.restore(str(self._path))
        except (OSError, ValueError, RuntimeError):
            return  # a damaged derived file is simply rebuilt from the database
        if ann is None or keys_kbs.shape[0] != 3 or len(ann) != keys_kbs.shape[1]:
            return
        self._ann = ann
        self._keys = keys_kbs[0].astype(np.int64)
        self._kbs = keys_kbs[1].astype(np.int32)
        self._levels = keys_kbs[2].astype(np.int8)
        self._row_of = {int(k): i for i, k in enumerate(self._keys.tolist())}
        self._watermark = int(meta["watermark"])
        now = time.monotonic()
        self._gaps = {int(seq): now for seq in meta.get("gaps", [])}
        self._labels_seen = None  # labels may have changed while the file sat on disk

    # -- search ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._keys)

    @property
    def mode(self) -> str:
        return "ann" if self._ann is not None else "exact"

    def allowed_mask(self, scope: AccessScope) -> np.ndarray:
        mask = self._levels <= scope.clearance
        if scope.kb_ids is not None:
            mask &= np.isin(self._kbs, np.fromiter(scope.kb_ids, dtype=np.int32))
        return mask

    def search(self, query: np.ndarray, scope: AccessScope, limit: int) -> list[tuple[int, float]]:
        """[(chunk_id, cosine)] best first among the rows `scope` may read."""
        with self._lock:
            return self._search(query, scope, limit)

    def _search(self, query: np.ndarray, scope: AccessScope, limit: int) -> list[tuple[int, float]]:
        if not len(self._keys) or scope.empty:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        allowed = self.allowed_mask(scope)
        n_allowed = int(allowed.sum())
        if n_allowed == 0:
            return []
        if self._ann is None:
            rows = np.flatnonzero(allowed)
            return self._top(rows, (self._matrix @ query)[rows], limit)
        if n_allowed <= self.exact_filter_max:
            return self._exact_from_ann(np.flatnonzero(allowed), query, limit)
        # Oversample in proportion to how much of the index the caller may see.
        share = n_allowed / len(self._keys)
        want = min(len(self._keys), MAX_OVERSAMPLE, int(limit / share * 2) + limit)
        matches = self._ann.search(query, want)
        hits = []
        for key, distance in zip(matches.keys.tolist(), matches.distances.tolist(), strict=True):
            row = self._row_of.get(int(key))
            if row is not None and allowed[row]:
                hits.append((int(key), 1.0 - float(distance)))
                if len(hits) == limit:
                    return hits
        if len(hits) < min(limit, n_allowed):  # the graph walk ran out of allowed rows
            return self._exact_from_ann(np.flatnonzero(allowed), query, limit)
        return hits

    def _exact_from_ann(
        self, rows: np.ndarray, query: np.ndarray, limit: int
    ) -> list[tuple[int, float]]:
        """Brute force over `rows`, with their vectors read back from usearch."""
        matrix = np.asarray(self._ann.get(self._keys[rows], dtype=np.float32))
        return self._top(rows, matrix @ query, limit)

    def _top(self, rows: np.ndarray, scores: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The best `limit` of `rows`, given their scores."""
        k = min(limit, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(self._keys[rows[i]]), float(scores[i])) for i in top]
