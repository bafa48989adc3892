"""PII detection quality and latency on Chinese data.

- multipriv_pii_zh: per-type precision and recall (NAME, ADDRESS, ID_CARD, PHONE, EMAIL).
- cluener2020: recall (and precision) of person names and addresses in news/Weibo text.
- resume_ner: recall (and precision) of person names in résumés.
- Latency of `detect` (all detectors) and of `PiiMasker.mask` per 2,000 characters.

A span counts as found when a prediction of the same type has exactly its offsets ("exact")
or overlaps it ("overlap"). The detectors' cues were tuned on the records whose
sha256("pii-bench|<id>") starts with an even byte; `--split report` (the default) scores the
others. Run from the project root:

    python bench/pii_quality.py [--split report|tune|all] [--texts 300]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from common import (
    OUT,
    machine_info,
    markdown_table,
    percentile,
    print_machine,
    read_jsonl,
    require_data,
    write_json,
)

MULTIPRIV = "multipriv_pii_zh/dev/records.jsonl"
CLUENER = "cluener2020/dev/dev.jsonl"
RESUME = ("resume_ner/dev/dev.jsonl", "resume_ner/dev/test.jsonl")
MULTIPRIV_TYPES = {
    "PHONE": "mobile",
    "ID_CARD": "id_card",
    "EMAIL": "email",
    "NAME": "name",
    "ADDRESS": "address",
}
# CLUENER "address" is mostly gazetteer names (伦敦, 台湾); these markers pick postal ones.
POSTAL_MARKERS = set("路街号区县镇村巷弄室栋楼")


def in_split(record_id: str, split: str) -> bool:
    tune = hashlib.sha256(f"pii-bench|{record_id}".encode()).digest()[0] % 2 == 0
    return split == "all" or (split == "tune") == tune


class Score:
    """Exact and overlap matches of gold spans of one type against predictions."""

    def __init__(self) -> None:
        self.gold = self.exact = self.overlap = self.pred = self.pred_ok = 0

    def add(
        self, gold: list[tuple[int, int]], pred: list[tuple[int, int]], count_pred: bool = True
    ) -> None:
        self.gold += len(gold)
        if count_pred:
            self.pred += len(pred)
        pred_set = set(pred)
        for g in gold:
            if g in pred_set:
                self.exact += 1
            if any(p[0] < g[1] and p[1] > g[0] for p in pred):
                self.overlap += 1
        gold_set = set(gold)
        if count_pred:
            self.pred_ok += sum(1 for p in pred if p in gold_set)

    def row(self, name: str) -> list[Any]:
        def ratio(a: int, b: int) -> float:
            return a / b if b else float("nan")

        return [
            name,
            self.gold,
            ratio(self.exact, self.gold),
            ratio(self.overlap, self.gold),
            self.pred,
            ratio(self.pred_ok, self.pred),
        ]

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(["gold", "recall_exact", "recall_overlap", "predicted", "precision"],
                        self.row("")[1:], strict=True))  # fmt: skip


HEADERS = ["type", "gold spans", "recall (exact)", "recall (overlap)", "predicted", "precision"]


def multipriv(data: Path, split: str) -> tuple[dict[str, Score], Counter[str], Score]:
    from tokenbase.guard.pii import detect

    scores = {t: Score() for t in MULTIPRIV_TYPES.values()}
    strict_id = Score()  # checksum-valid IDs only (confidence >= 0.9)
    other: Counter[str] = Counter()
    for record in read_jsonl(data / MULTIPRIV):
        if not in_split(record["id"], split):
            continue
        spans = detect(record["text"])
        for label, pii_type in MULTIPRIV_TYPES.items():
            gold = [(s["start"], s["end"]) for s in record["spans"] if s["type"] == label]
            pred = [(s.start, s.end) for s in spans if s.type == pii_type]
            scores[pii_type].add(gold, pred)
            if pii_type == "id_card":
                strict = [
                    (s.start, s.end) for s in spans if s.type == pii_type and s.confidence >= 0.9
                ]
                strict_id.add(gold, strict)
        other.update(s.type for s in spans if s.type not in MULTIPRIV_TYPES.values())
    return scores, other, strict_id


def ner(path_list: list[Path], split: str, wanted: dict[str, str]) -> dict[str, Score]:
    """Score name/address detection against NER gold of the types in `wanted`
    (gold type -> our type); "address_postal" keeps addresses with a postal marker."""
    from tokenbase.guard.pii import detect

    scores: dict[str, Score] = {}
    for path in path_list:
        for record in read_jsonl(path):
            if not in_split(record["id"], split):
                continue
            spans = detect(record["text"], types=sorted(set(wanted.values())))
            for gold_type, pii_type in wanted.items():
                gold_all = [e for e in record["entities"] if e["type"] == gold_type]
                pred = [(s.start, s.end) for s in spans if s.type == pii_type]
                scores.setdefault(pii_type, Score()).add(
                    [(e["start"], e["end"]) for e in gold_all], pred
                )
                if pii_type == "address":  # recall only: predictions count on the row above
                    postal = [e for e in gold_all if POSTAL_MARKERS & set(e["text"])]
                    scores.setdefault("address (postal subset)", Score()).add(
                        [(e["start"], e["end"]) for e in postal], pred, count_pred=False
                    )
    return scores


def build_texts(texts: list[str], count: int, size: int = 2000) -> list[str]:
    """`count` texts of exactly `size` characters, made by joining consecutive records."""
    out: list[str] = []
    i = 0
    while len(out) < count:
        parts: list[str] = []
        while sum(map(len, parts)) < size:
            parts.append(texts[i % len(texts)])
            i += 1
        out.append("".join(parts)[:size])
    return out


def latency(data: Path, count: int) -> dict[str, dict[str, float]]:
    from tokenbase.config import PiiSettings
    from tokenbase.db import open_database
    from tokenbase.guard.pii import PiiMasker, detect

    corpora = {
        "multipriv (PII-dense)": [r["text"] for r in read_jsonl(data / MULTIPRIV)],
        "cluener (news)": [r["text"] for r in read_jsonl(data / CLUENER)],
    }
    results: dict[str, dict[str, float]] = {}
    tmp = Path(tempfile.mkdtemp(prefix="pii_bench_", dir=OUT))
    engine = open_database(f"sqlite:///{tmp / 'pii.db'}").engine
    memory = PiiMasker(None, PiiSettings(), tmp)
    stored = PiiMasker(engine, PiiSettings(), tmp)
    for name, texts in corpora.items():
        batch = build_texts(texts, count)
        for text in batch[:20]:
            detect(text)  # warm-up
        runs = {"detect": [], "mask (memory map)": [], "mask (SQLite map)": []}
        for i, text in enumerate(batch):
            start = time.perf_counter()
            detect(text)
            runs["detect"].append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            memory.mask(text, f"m{i}")
            runs["mask (memory map)"].append((time.perf_counter() - start) * 1000)
            if i < count // 3:  # each call writes rows: a third of the texts is plenty
                start = time.perf_counter()
                stored.mask(text, f"s{i}")
                runs["mask (SQLite map)"].append((time.perf_counter() - start) * 1000)
        spans = statistics.mean(len(detect(t)) for t in batch[:50])
        for label, values in runs.items():
            results[f"{name} · {label}"] = {
                "median_ms": statistics.median(values),
                "p95_ms": percentile(values, 95),
                "n": len(values),
                "spans_per_text": spans,
            }
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=["report", "tune", "all"], default="report")
    parser.add_argument("--texts", type=int, default=300, help="2,000-char texts per corpus")
    args = parser.parse_args()
    data = require_data(MULTIPRIV, CLUENER, *RESUME)
    info = machine_info()
    print_machine(info)
    print(f"split: {args.split}")

    scores, other, strict_id = multipriv(data, args.split)
    print("\n## multipriv_pii_zh\n")
    print(markdown_table(HEADERS, [s.row(t) for t, s in scores.items()]
                         + [strict_id.row("id_card, checksum-valid only")]))  # fmt: skip
    print(f"\nother types predicted (unannotated in this set): {dict(other)}")

    cluener = ner([data / CLUENER], args.split, {"name": "name", "address": "address"})
    print("\n## cluener2020 (dev file)\n")
    print(markdown_table(HEADERS, [s.row(t) for t, s in cluener.items()]))
    resume = ner([data / p for p in RESUME], args.split, {"NAME": "name"})
    print("\n## resume_ner (dev + test files)\n")
    print(markdown_table(HEADERS, [s.row(t) for t, s in resume.items()]))

    timing = latency(data, args.texts)
    print("\n## latency per 2,000 characters\n")
    rows = [
        [k, v["median_ms"], v["p95_ms"], v["n"], v["spans_per_text"]] for k, v in timing.items()
    ]
    print(markdown_table(["corpus · step", "median ms", "p95 ms", "texts", "spans/text"], rows))

    write_json(
        OUT / f"pii_quality_{args.split}.json",
        {
            "machine": info,
            "split": args.split,
            "multipriv": {t: s.as_dict() for t, s in scores.items()},
            "multipriv_id_checksum_valid": strict_id.as_dict(),
            "multipriv_other_types": dict(other),
            "cluener": {t: s.as_dict() for t, s in cluener.items()},
            "resume_ner": {t: s.as_dict() for t, s in resume.items()},
            "latency": timing,
        },
    )


if __name__ == "__main__":
    sys.exit(main())
