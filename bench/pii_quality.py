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
import gc
import hashlib
import random
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


def synthetic_values(rng: random.Random, pii_type: str) -> str:
    """A valid value of `pii_type` in one of its usual spellings (checksums computed)."""
    from tokenbase.guard.pii.detectors import (
        id_check_char,
        luhn_ok,
        org_code_check_char,
        uscc_check_char,
    )

    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    if pii_type == "mobile":
        number = f"1{rng.choice('3456789')}{digits(9)}"
        return rng.choice([number, f"+86 {number}", f"{number[:3]}-{number[3:7]}-{number[7:]}",
                           f"{number[:3]} {number[3:7]} {number[7:]}", f"86{number}"])  # fmt: skip
    if pii_type == "landline":
        area = rng.choice(["010", "021", "020", "022", "0571", "0755", "028", "0731", "0532"])
        local = rng.choice("2345678") + digits(7 if len(area) == 3 else rng.choice((6, 7)))
        return rng.choice([f"{area}-{local}", f"({area}){local}", f"{area}-{local}转{digits(3)}",
                           f"{area} {local}"])  # fmt: skip
    if pii_type == "id_card":
        region = rng.choice(["110105", "310104", "330106", "440305", "510104", "620102", "230103"])
        born = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first17 = region + born + digits(3)
        return first17 + id_check_char(first17)
    if pii_type == "bank_card":
        brand = rng.choice(["62", "62", "4", "5" + rng.choice("12345")])
        length = rng.randint(16, 19) if brand == "62" else 16  # Visa / Mastercard: 16 digits
        body = brand + digits(length - 1 - len(brand))
        card = next(body + d for d in "0123456789" if luhn_ok(body + d))
        return (
            " ".join(card[i : i + 4] for i in range(0, len(card), 4))
            if rng.random() < 0.3
            else card
        )
    if pii_type == "uscc":
        chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            org = "".join(rng.choice(chars) for _ in range(8))
            head = rng.choice(["91", "92", "93", "12", "51", "52"]) + rng.choice(
                ["110105", "330106", "440300", "510100"]
            )
            first17 = head + org + org_code_check_char(org)
            if first17[-1] in chars:
                return first17 + uscc_check_char(first17)
    if pii_type == "email":
        user = "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789._") for _ in range(rng.randint(3, 12))
        )
        user = user.strip("._") or "user"
        return f"{user}@{rng.choice(['163.com', 'qq.com', 'corp.example.cn', 'mail.sina.com.cn'])}"
    if pii_type == "ip":
        if rng.random() < 0.2:
            import ipaddress

            return str(ipaddress.IPv6Address(rng.getrandbits(128)))
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    if pii_type == "passport":
        return rng.choice(["E", "G"]) + digits(8)
    if pii_type == "plate":
        province = rng.choice("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤")
        letter = rng.choice("ABCDEFGHJKLMN")
        if rng.random() < 0.3:
            return province + letter + rng.choice("DF") + digits(5)
        return province + letter + rng.choice("ABCDEFGHJK0123456789") + digits(4)
    raise ValueError(pii_type)


STRUCTURED = [
    "mobile",
    "landline",
    "id_card",
    "bank_card",
    "uscc",
    "email",
    "ip",
    "passport",
    "plate",
]


def synthetic(data: Path, per_type: int) -> tuple[dict[str, Score], dict[str, float]]:
    """Recall of generated valid values placed in real sentences (no cue words), and how
    often each structured type fires on cluener/resume text, which has no such values."""
    from tokenbase.guard.pii import detect

    rng = random.Random(20261124)
    sentences = [r["text"] for r in read_jsonl(data / CLUENER)]
    scores: dict[str, Score] = {}
    for pii_type in STRUCTURED:
        score = scores.setdefault(pii_type, Score())
        for _ in range(per_type):
            value = synthetic_values(rng, pii_type)
            left, right = rng.choice(sentences), rng.choice(sentences)
            cut_l, cut_r = rng.randint(0, len(left)), rng.randint(0, len(right))
            joiner = rng.choice(["", "，", "：", " ", "（"])
            if cut_l and left[cut_l - 1].isascii() and not left[cut_l - 1].isspace():
                joiner = "，"  # a value glued to "2018" or "abc" is a different string
            closer = rng.choice(["", "。", "，", " ", "）"])
            if cut_r < len(right) and right[cut_r].isascii() and not right[cut_r].isspace():
                closer = "。"
            prefix = left[:cut_l] + joiner
            text = prefix + value + closer + right[cut_r:]
            spans = detect(text, types=[pii_type])
            score.add([(len(prefix), len(prefix) + len(value))], [(s.start, s.end) for s in spans])
    plain = [r["text"] for r in read_jsonl(data / CLUENER)]
    plain += [r["text"] for p in RESUME for r in read_jsonl(data / p)]
    fired: Counter[str] = Counter()
    for text in plain:
        fired.update(s.type for s in detect(text, types=STRUCTURED))
    per_1000 = {t: 1000 * fired[t] / len(plain) for t in STRUCTURED}
    return scores, per_1000


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
        steps = {
            "detect": (lambda i, t: detect(t), count),
            "mask (memory map)": (lambda i, t: memory.mask(t, f"m{i}"), count),
            # each call writes rows: a third of the texts is plenty
            "mask (SQLite map)": (lambda i, t: stored.mask(t, f"s{i}"), count // 3),
        }
        runs: dict[str, list[float]] = {}
        for label, (step, n) in steps.items():  # one step at a time: no cross-talk in caches
            gc.collect()
            values = runs.setdefault(label, [])
            for i, text in enumerate(batch[:n]):
                start = time.perf_counter()
                step(i, text)
                values.append((time.perf_counter() - start) * 1000)
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
    parser.add_argument("--synthetic", type=int, default=1000, help="generated values per type")
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

    generated, fired = synthetic(data, args.synthetic)
    print("\n## structured types: generated valid values in real sentences (no cue words)\n")
    print(markdown_table(HEADERS + ["fires per 1,000 plain sentences"],
                         [s.row(t) + [fired[t]] for t, s in generated.items()]))  # fmt: skip

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
            "synthetic_structured": {t: s.as_dict() for t, s in generated.items()},
            "structured_fires_per_1000_plain_sentences": fired,
            "cluener": {t: s.as_dict() for t, s in cluener.items()},
            "resume_ner": {t: s.as_dict() for t, s in resume.items()},
            "latency": timing,
        },
    )


if __name__ == "__main__":
    sys.exit(main())
