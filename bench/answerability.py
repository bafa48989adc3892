"""Answerability: does `ask` answer questions the corpus covers and decline the rest?

Corpus: the first N passages of cmrc2018 (Chinese Wikipedia). Answerable: cmrc2018 dev
questions whose gold passage is in that corpus. Unanswerable: questions from other sources
(domainrag: a university web site; dureader: web search queries) asked of the same corpus.
The relevance threshold (`answer.min_relevance`) is chosen on the even-numbered half of the
questions and reported on the odd half, which it never saw.

    python bench/answerability.py [--passages 250] [--questions 160]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT.parent / "shared" / "bench-data"


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=250)
    parser.add_argument("--questions", type=int, default=160, help="per class")
    parser.add_argument("--keep", type=Path, help="reuse (or create) this ingested data dir")
    args = parser.parse_args()
    if not (DATA / "cmrc2018").exists():
        print(f"skipped: {DATA} not found (see ../shared/bench-data/README.md)")
        return

    from tokenbase.config import load_settings
    from tokenbase.ingest.sources import expand_sources
    from tokenbase.kb.ask import ask
    from tokenbase.kb.platform import Platform

    work = args.keep or Path(tempfile.mkdtemp(prefix="tb-answerability-"))
    reuse = args.keep is not None and (work / "data" / "tokenbase.db").exists()
    corpus = _read(DATA / "cmrc2018" / "corpus.jsonl")[: args.passages]
    docs = work / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for passage in corpus:
        (docs / f"{passage['doc_id']}.md").write_text(
            f"# {passage['title']}\n\n{passage['text']}\n", encoding="utf-8"
        )
    in_corpus = {p["doc_id"] for p in corpus}
    answerable = [
        q["question"]
        for q in _read(DATA / "cmrc2018" / "dev" / "queries.jsonl")
        if q["gold_doc_id"] in in_corpus
    ][: args.questions]
    others = _read(DATA / "domainrag" / "dev" / "queries.jsonl")
    others += _read(DATA / "dureader_search_demo" / "dev" / "queries.jsonl")
    unanswerable = [q["question"] for q in others[:: max(1, len(others) // args.questions)]]
    unanswerable = unanswerable[: args.questions]

    platform = Platform(load_settings(work / "data"))
    if not reuse:
        started = time.perf_counter()
        sources, _ = expand_sources([str(docs)])
        ingestor = platform.ingestor()
        ingestor.run(ingestor.enqueue(sources, "wiki"))
        print(f"ingested {len(corpus)} passages in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    scored: list[tuple[float, bool, int]] = []
    for label, questions in ((True, answerable), (False, unanswerable)):
        for i, question in enumerate(questions):
            scored.append((ask(platform, question, ["wiki"]).relevance, label, i))
    platform.close()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)

    elapsed = time.perf_counter() - started
    print(f"asked {len(scored)} questions in {elapsed:.1f} s ({elapsed / len(scored):.2f} s each)")

    def accuracy(threshold: float, rows: list[tuple[float, bool, int]]) -> tuple[float, float]:
        yes = [r for r in rows if r[1]]
        no = [r for r in rows if not r[1]]
        answered = sum(r[0] >= threshold for r in yes) / len(yes)
        declined = sum(r[0] < threshold for r in no) / len(no)
        return answered, declined

    tune = [r for r in scored if r[2] % 2 == 0]
    held = [r for r in scored if r[2] % 2 == 1]
    grid = [round(0.30 + 0.01 * i, 2) for i in range(50)]
    best = max(grid, key=lambda t: sum(accuracy(t, tune)))
    print(f"answerable {len(answerable)}, unanswerable {len(unanswerable)}")
    print("| threshold | answered (answerable) | declined (unanswerable) | split |")
    print("|---|---|---|---|")
    for threshold in sorted({best, 0.55, 0.58}):
        for name, rows in (("tuning half", tune), ("held-out half", held)):
            answered, declined = accuracy(threshold, rows)
            print(f"| {threshold:.2f} | {answered:.1%} | {declined:.1%} | {name} |")


if __name__ == "__main__":
    main()
