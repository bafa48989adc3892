"""Rebuild src/tokenbase/guard/input/data/injection_classifier.npz, deterministically.

    python scripts/train_injection_classifier.py [--out PATH] [--epochs N]

Trains logistic regression (L2, full-batch Adam, numpy only — no scikit-learn needed) on the
hashed n-gram features of `tokenbase.guard.input.classifier` over the project's own templated
data (`scripts/injection_training_data.py`; why not the public sets: see that module). Same
code + same data = same bytes: no random initialisation, no shuffling.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_training_data import GROUP_WEIGHTS, generate  # noqa: E402

from tokenbase.guard.input.classifier import DEFAULT_DIM, WEIGHTS_FILE, features  # noqa: E402
from tokenbase.guard.input.normalize import normalise  # noqa: E402

OUT = ROOT / "src" / "tokenbase" / "guard" / "input" / "data" / WEIGHTS_FILE
WINDOW_CHARS = 320


def train(
    indptr: np.ndarray,
    indices: np.ndarray,
    values: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    dim: int,
    epochs: int,
    l2: float = 1e-4,
    lr: float = 0.05,
) -> tuple[np.ndarray, float]:
    rows = np.repeat(np.arange(len(y)), np.diff(indptr))
    w = np.zeros(dim, dtype=np.float64)
    b = 0.0
    m_w, v_w = np.zeros(dim), np.zeros(dim)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, epochs + 1):
        z = np.bincount(rows, weights=w[indices] * values, minlength=len(y)) + b
        p = 1.0 / (1.0 + np.exp(-z))
        r = (p - y) * weight
        g_w = np.bincount(indices, weights=r[rows] * values, minlength=dim) + l2 * w
        g_b = float(r.sum())
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        w -= lr * (m_w / (1 - beta1**step)) / (np.sqrt(v_w / (1 - beta2**step)) + eps)
        b -= lr * (m_b / (1 - beta1**step)) / (np.sqrt(v_b / (1 - beta2**step)) + eps)
        if step % 50 == 0 or step == epochs:
            loss = -np.sum(weight * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12)))
            acc = float(((p > 0.5) == (y == 1)).mean())
            print(f"  step {step}: loss {loss:.4f}, train accuracy {acc:.4f}")
    return w, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()

    seen: dict[str, tuple[int, str]] = {}
    for text, label, group in generate():
        seen.setdefault(normalise(text).text, (label, group))
    items = sorted((t, label, group) for t, (label, group) in seen.items())
    norm_texts = [t for t, _, _ in items]
    y = np.array([label for _, label, _ in items], dtype=np.float64)
    groups = [group for _, _, group in items]
    sizes = {g: groups.count(g) for g in GROUP_WEIGHTS}
    weight = np.array([GROUP_WEIGHTS[g] / sizes[g] for g in groups])
    print(f"{len(items)} unique texts: " + ", ".join(f"{g} {n}" for g, n in sizes.items()))
    indptr, indices, values = features(norm_texts, DEFAULT_DIM)
    w, b = train(indptr, indices, values.astype(np.float64), y, weight, DEFAULT_DIM, args.epochs)
    digest = hashlib.sha256(
        "\n".join(f"{label}\t{g}\t{t}" for t, label, g in items).encode()
    ).hexdigest()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        weights=w.astype(np.float16),
        bias=np.float64(b),
        window_chars=np.int64(WINDOW_CHARS),
        version=np.str_(f"templated-{digest[:12]}"),
    )
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB), data {digest[:12]}")


if __name__ == "__main__":
    main()
