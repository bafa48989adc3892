"""How well the citation check separates supported from unsupported claims (rgb_zh, dev half).

A claim is the question turned into a statement with its answer ("<query>：<answer>"). Pairs:

- supported: the claim with a `positive` passage that contains the answer;
- unsupported, off-topic noise: the claim with a `negative` passage (zh_refine; up to 3 per item);
- unsupported, counterfactual: the claim with a `positive_wrong` passage (zh_fact: the same text
  edited to state a different answer) — the hard case.

Reports the acceptance rate of supported pairs and the rejection rate of each unsupported kind
for the lexical check alone and with the bundled embedder, over a small grid of
`answer.citation_min_coverage` values. Half the items (even ids) choose the threshold, the other
half (odd ids) report it, so the figure is not tuned on the data it reports.

    python bench/citation_support.py
"""

from __future__ import annotations

import argparse
import time

from common import machine_info, read_jsonl, require_data

from tokenbase.kb.citations import SupportChecker
from tokenbase.search.tokenizer import Tokenizer

GRID = (0.3, 0.4, 0.5, 0.6, 0.7)
KINDS = ("supported", "noise", "counterfactual")


def _answers(item: dict) -> list[str]:
    out: list[str] = []
    for answer in item["answer"] if isinstance(item["answer"], list) else [item["answer"]]:
        out.extend(answer if isinstance(answer, list) else [answer])
    return [str(a) for a in out if str(a).strip()]


def _claim(query: str, answer: str) -> str:
    return query.rstrip("？?。 ") + "：" + answer + "。"


def build_pairs(data) -> list[tuple[int, str, str, str, str]]:  # id, kind, question, claim, passage
    pairs = []
    for item in read_jsonl(data / "rgb_zh" / "dev" / "zh_refine.jsonl"):
        answers = _answers(item)
        if not answers:
            continue
        claim = _claim(item["query"], answers[0])
        for passage in item["positive"]:
            if answers[0] in passage:
                pairs.append((item["id"], "supported", item["query"], claim, passage))
        for passage in item["negative"][:3]:
            if not any(a in passage for a in answers):
                pairs.append((item["id"], "noise", item["query"], claim, passage))
    for item in read_jsonl(data / "rgb_zh" / "dev" / "zh_fact.jsonl"):
        answer, fake = str(item["answer"]), str(item["fakeanswer"])
        claim = _claim(item["query"], answer)
        for passage in item["positive"]:
            if answer in passage:
                pairs.append((10_000 + item["id"], "supported", item["query"], claim, passage))
        for passage in item["positive_wrong"]:
            if fake in passage and answer not in passage:
                pairs.append((10_000 + item["id"], "counterfactual", item["query"], claim, passage))
    return pairs


def rates(results: list[tuple[str, bool]]) -> dict[str, float]:
    out = {}
    for kind in ("supported", "noise", "counterfactual"):
        flags = [ok for k, ok in results if k == kind]
        if flags:
            accepted = sum(flags) / len(flags)
            out[kind] = accepted if kind == "supported" else 1 - accepted
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-embedder", action="store_true", help="lexical check only")
    parser.add_argument(
        "--no-question",
        dest="question",
        action="store_false",
        help="check without the question (no answer-novelty test)",
    )
    args = parser.parse_args()
    data = require_data("rgb_zh/dev/zh_refine.jsonl", "rgb_zh/dev/zh_fact.jsonl")
    pairs = build_pairs(data)
    tokenizer = Tokenizer()
    embedder = None
    if not args.no_embedder:
        from tokenbase.config import EmbedderSettings
        from tokenbase.llm.embeddings import create_embedder

        embedder = create_embedder(EmbedderSettings())
    print(machine_info())
    print(
        f"pairs: {len(pairs)} ("
        + ", ".join(
            f"{k} {sum(1 for p in pairs if p[1] == k)}"
            for k in ("supported", "noise", "counterfactual")
        )
        + ")"
    )
    for label, emb in (("lexical", None), ("lexical+embedder", embedder)):
        if label != "lexical" and emb is None:
            continue
        table = {}
        started = time.perf_counter()
        for threshold in GRID:
            checker = SupportChecker(tokenizer.tokenize, emb, min_coverage=threshold)
            halves: dict[int, list[tuple[str, bool]]] = {0: [], 1: []}
            for item_id, kind, question, claim, passage in pairs:
                verdict = checker.check(claim, passage, question if args.question else "")
                halves[item_id % 2].append((kind, verdict.supported))
            table[threshold] = {h: rates(r) for h, r in halves.items()}
        elapsed = time.perf_counter() - started

        # Choose on the even half: best balanced accuracy of supported vs all unsupported.
        def balanced(r: dict[str, float]) -> float:
            negatives = [r[k] for k in ("noise", "counterfactual") if k in r]
            return (r["supported"] + sum(negatives) / len(negatives)) / 2

        chosen = max(GRID, key=lambda t: balanced(table[t][0]))
        print(f"\n{label} ({elapsed:.1f} s for {len(GRID)} thresholds × {len(pairs)} pairs)")
        print("min_coverage | half | supported accepted | noise rejected | counterfactual rejected")
        for threshold in GRID:
            for half in (0, 1):
                r = table[threshold][half]
                print(
                    f"{threshold:>12} | {'tune' if half == 0 else 'test'} | "
                    f"{r.get('supported', 0):.3f} | {r.get('noise', 0):.3f} | "
                    f"{r.get('counterfactual', 0):.3f}"
                )
        r = table[chosen][1]
        print(
            f"chosen on the tune half: {chosen}; held-out: supported accepted "
            f"{r['supported']:.3f}, noise rejected {r['noise']:.3f}, "
            f"counterfactual rejected {r['counterfactual']:.3f}"
        )


if __name__ == "__main__":
    main()
