"""Reciprocal-rank fusion: score(d) = sum over channels of weight / (k + rank(d)).

RRF uses ranks, not raw scores, so BM25 scores (unbounded) and cosines (0–1) never have to be
put on one scale — the mistake of adding raw scores without normalisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(
    channels: Mapping[str, Sequence[int]],
    weights: Mapping[str, float] | None = None,
    k: int = 60,
) -> list[tuple[int, float]]:
    """Fuse ranked id lists (best first) into [(id, fused score)] best first."""
    scores: dict[int, float] = {}
    for name, ids in channels.items():
        weight = (weights or {}).get(name, 1.0)
        if weight <= 0:
            continue
        for rank, item in enumerate(ids, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
