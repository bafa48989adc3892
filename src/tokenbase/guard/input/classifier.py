"""A small injection classifier: hashed n-gram features + logistic regression, numpy only.

Features (on the normalised text, see `normalize.py`): character 1-, 2- and 3-grams (for
Chinese these are the words and word pairs; for Latin script they catch spelling tricks),
plus word 1- and 2-grams of Latin-script tokens, hashed into `dim` buckets (feature hashing,
no vocabulary to ship). Each window's counts are divided by sqrt(number of n-grams), so long
and short windows score on one scale.

A text longer than `window_chars` is cut into windows of whole sentences (single segments
and neighbouring pairs) and the highest window probability counts: one injected sentence
inside a 2,000-character chunk is not diluted by the rest. Character hashing is vectorised
(numpy over code points), so scoring 2,000 characters takes well under a millisecond.

The weights ship as `data/injection_classifier.npz`, rebuilt deterministically by
`scripts/train_injection_classifier.py` from data written for this project (see that script
for what it is trained on and why).

Errors::

    ClassifierError   the weights file is missing or malformed
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

DEFAULT_DIM = 1 << 18
WEIGHTS_FILE = "injection_classifier.npz"
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xBF58476D1CE4E5B9)
_M3 = np.uint64(0x94D049BB133111EB)
_WORD = re.compile(r"[a-z][a-z0-9']*")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.(\s|$)")


class ClassifierError(Exception):
    """The classifier weights cannot be loaded; the message names the file."""


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(30))
    h = h * _M2
    h = h ^ (h >> np.uint64(27))
    h = h * _M3
    return h ^ (h >> np.uint64(31))


def ngram_hashes(text: str, dim: int = DEFAULT_DIM) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, position) of every feature of `text` (already normalised): char 1-3 grams and
    Latin word 1-2 grams. Positions are character offsets, for windowing."""
    if not text:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(cps)
    buckets, positions = [], []
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for order in (1, 2, 3):
            if n < order:
                break
            h = h[: n - order + 1] * _M1 + cps[order - 1 :] + np.uint64(order)
            buckets.append(_mix(h) % np.uint64(dim))
            positions.append(np.arange(n - order + 1, dtype=np.int64))
    words = [(m.group(0), m.start()) for m in _WORD.finditer(text)]
    if words:
        wh = [zlib.crc32(b"w1|" + w.encode()) for w, _ in words]
        wh += [
            zlib.crc32(b"w2|" + a[0].encode() + b" " + b[0].encode())
            for a, b in zip(words, words[1:], strict=False)
        ]
        wp = [p for _, p in words] + [p for _, p in words[:-1]]
        with np.errstate(over="ignore"):
            buckets.append(_mix(np.array(wh, dtype=np.uint64)) % np.uint64(dim))
        positions.append(np.array(wp, dtype=np.int64))
    return np.concatenate(buckets).astype(np.int64), np.concatenate(positions)


def window_starts(text: str, max_chars: int) -> np.ndarray:
    """Start offsets of segments: one per sentence, a sentence longer than `max_chars` cut
    every `max_chars` characters."""
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    out: list[int] = []
    for start, stop in zip(bounds, bounds[1:], strict=False):
        if stop > start:
            out.extend(range(start, stop, max_chars))
    return np.array(sorted(set(out)) or [0], dtype=np.int64)


@dataclass(frozen=True)
class ClassifierScore:
    probability: float  # highest window probability
    span: tuple[int, int]  # that window, in normalised-text offsets


class InjectionClassifier:
    """Loads the bundled weights (or `path`) once; `score(text)` is thread-safe."""

    def __init__(self, path: Path | None = None) -> None:
        try:
            if path is None:
                ref = resources.files("tokenbase.guard.input") / "data" / WEIGHTS_FILE
                with resources.as_file(ref) as real:
                    data = dict(np.load(real))
            else:
                data = dict(np.load(path))
        except (OSError, ValueError) as exc:
            raise ClassifierError(
                f"cannot load injection classifier weights {path or WEIGHTS_FILE}: {exc}; "
                "rebuild them with `python scripts/train_injection_classifier.py`"
            ) from exc
        try:
            self.weights = data["weights"].astype(np.float32)
            self.bias = float(data["bias"])
            self.window_chars = int(data["window_chars"])
            self.version = str(data.get("version", ""))
        except KeyError as exc:
            raise ClassifierError(f"weights file lacks {exc}") from exc
        self.dim = len(self.weights)

    def logits(self, text: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Logits of every window of normalised `text`, with window (start, end) offsets.

        A text up to `window_chars` is one window. A longer one is cut into sentences (a long
        sentence every `window_chars` characters); the windows are each sentence and each pair
        of neighbouring sentences, so one injected sentence is not diluted by the rest.
        """
        n = len(text)
        buckets, positions = ngram_hashes(text, self.dim)
        if n <= self.window_chars:
            starts = np.zeros(1, np.int64)
        else:
            starts = window_starts(text, self.window_chars)
        ends = np.append(starts[1:], n)
        if len(buckets) == 0:
            return np.full(1, self.bias), starts[:1], np.array([n])
        segment = np.searchsorted(starts, positions, side="right") - 1
        sums = np.bincount(segment, weights=self.weights[buckets], minlength=len(starts))
        counts = np.bincount(segment, minlength=len(starts)).astype(np.float64)
        if len(starts) > 1:  # neighbouring pairs
            sums = np.concatenate([sums, sums[:-1] + sums[1:]])
            counts = np.concatenate([counts, counts[:-1] + counts[1:]])
            ends = np.concatenate([ends, ends[1:]])
            starts = np.concatenate([starts, starts[:-1]])
        return self.bias + sums / np.sqrt(np.maximum(counts, 1)), starts, ends

    def score(self, text: str) -> ClassifierScore:
        """Probability that normalised `text` contains an injection (highest window)."""
        logits, starts, ends = self.logits(text)
        best = int(np.argmax(logits))
        prob = float(1.0 / (1.0 + np.exp(-logits[best])))
        return ClassifierScore(prob, (int(starts[best]), int(ends[best])))


def features(texts: list[str], dim: int = DEFAULT_DIM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR (indptr, indices, values) of whole-text features, for training."""
    indptr, indices, values = [0], [], []
    for text in texts:
        buckets, _ = ngram_hashes(text, dim)
        uniq, counts = np.unique(buckets, return_counts=True)
        scale = 1.0 / np.sqrt(max(len(buckets), 1))
        indices.append(uniq)
        values.append(counts.astype(np.float32) * scale)
        indptr.append(indptr[-1] + len(uniq))
    return (
        np.array(indptr, dtype=np.int64),
        np.concatenate(indices) if indices else np.zeros(0, np.int64),
        np.concatenate(values) if values else np.zeros(0, np.float32),
    )
