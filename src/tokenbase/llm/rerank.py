"""Rerankers: none by default; an HTTP `/rerank` API or a local cross-encoder when configured.

The HTTP form is the one TEI, Xinference and Jina share:
POST {base_url}/rerank {"model", "query", "documents": [...]} ->
{"results": [{"index": i, "relevance_score": s}, ...]}.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Protocol

import httpx

from ..config import RerankerSettings
from .errors import ModelCallError, ModelConfigError, describe_http_error
from .http import api_client


class Reranker(Protocol):
    name: str

    def score(self, query: str, texts: list[str]) -> list[float]:
        """One relevance score per text, higher is better."""
        ...


RerankerFactory = Callable[[RerankerSettings], Reranker | None]
_REGISTRY: dict[str, RerankerFactory] = {}


def register_reranker(provider: str) -> Callable[[RerankerFactory], RerankerFactory]:
    def decorator(factory: RerankerFactory) -> RerankerFactory:
        _REGISTRY[provider] = factory
        return factory

    return decorator


def create_reranker(settings: RerankerSettings) -> Reranker | None:
    factory = _REGISTRY.get(settings.provider)
    if factory is None:
        raise ModelConfigError(
            f"unknown reranker provider {settings.provider!r}; set reranker.provider to one of "
            f"{', '.join(sorted(_REGISTRY))}"
        )
    return factory(settings)


class HttpReranker:
    def __init__(self, settings: RerankerSettings) -> None:
        if not settings.base_url:
            raise ModelConfigError("the http reranker needs reranker.base_url")
        self._client = api_client(
            settings.base_url, settings.api_key_env, settings.timeout_s, "reranker"
        )
        self._model = settings.model
        self.name = f"http/{settings.model or 'rerank'}"
        self._local = threading.local()  # per thread: the metering wrapper reads it after a call

    @property
    def last_usage(self) -> dict | None:
        """The `usage` object of this thread's last response (Jina-style APIs send one)."""
        return getattr(self._local, "usage", None)

    def score(self, query: str, texts: list[str]) -> list[float]:
        body = {"query": query, "documents": texts, "return_documents": False}
        if self._model:
            body["model"] = self._model
        try:
            response = self._client.post("/rerank", json=body)
            response.raise_for_status()
            payload = response.json()
            results = payload["results"] if isinstance(payload, dict) else payload
            self._local.usage = payload.get("usage") if isinstance(payload, dict) else None
            scores = [0.0] * len(texts)
            for item in results:
                value = item.get("relevance_score", item.get("score"))
                scores[int(item["index"])] = float(value)
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            raise ModelCallError(
                f"rerank call to {self._client.base_url} failed: {describe_http_error(exc)}"
            ) from exc
        return scores


class CrossEncoderReranker:
    def __init__(self, settings: RerankerSettings) -> None:
        if not settings.model or not os.path.isdir(settings.model):
            raise ModelConfigError(
                "reranker.model must be a local cross-encoder directory (e.g. bge-reranker-base); "
                "TokenBase never downloads weights"
            )
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise ModelConfigError(
                "the cross-encoder reranker needs: pip install 'tokenbase[local-models]'"
            ) from exc
        self._model = CrossEncoder(settings.model, device="cpu", local_files_only=True)
        self.name = f"cross-encoder/{os.path.basename(os.path.normpath(settings.model))}"

    def score(self, query: str, texts: list[str]) -> list[float]:
        return [float(s) for s in self._model.predict([(query, t) for t in texts])]


register_reranker("none")(lambda settings: None)
register_reranker("http")(HttpReranker)
register_reranker("cross-encoder")(CrossEncoderReranker)
