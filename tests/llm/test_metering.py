"""Embedding and rerank calls are metered on the same path as chat."""

from __future__ import annotations

import numpy as np
import pytest

from tokenbase.config import EmbedderSettings, RerankerSettings
from tokenbase.ledger.attribution import attributed
from tokenbase.llm.embeddings import create_embedder
from tokenbase.llm.errors import ModelCallError
from tokenbase.llm.metering import MeteredEmbedder, MeteredReranker
from tokenbase.llm.rerank import create_reranker

from .recording_meter import RecordingMeter


class FakeEmbedder:
    """A deterministic stand-in for the bundled model (the bundled one is tested elsewhere)."""

    name = "fake/e5"
    dim = 3

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 3), dtype=np.float32)

    embed_passages = embed_queries


def test_local_embedder_calls_are_recorded_with_estimated_tokens():
    meter = RecordingMeter()
    embedder = MeteredEmbedder(FakeEmbedder(), meter, "local", "fake/e5", "private")
    with attributed(scenario="ingest", department_id=2):
        out = embedder.embed_passages(["出差住宿标准", "hello world"])
    assert out.shape == (2, 3) and embedder.name == "fake/e5" and embedder.dim == 3
    [event] = meter.events
    call = event.call
    assert (call.kind, call.provider, call.deployment, call.status) == (
        "embedding",
        "local",
        "private",
        "ok",
    )
    assert call.estimated and call.prompt_tokens >= 8
    assert event.attribution.scenario == "ingest"
    assert meter.reservations == []  # recorded, not reserved


def test_openai_embedder_usage_is_read_from_the_response(server):
    def embeddings(body):  # type: ignore[no-untyped-def]
        data = [{"index": i, "embedding": [1.0, 0.0]} for i, _ in enumerate(body["input"])]
        return 200, {"data": data, "usage": {"prompt_tokens": 42, "total_tokens": 42}}

    server.routes["/v1/embeddings"] = embeddings
    inner = create_embedder(
        EmbedderSettings(provider="openai", base_url=server.base_url, model="bge-m3")
    )
    meter = RecordingMeter()
    MeteredEmbedder(inner, meter, "dashscope", "bge-m3", "public").embed_queries(["q"])
    call = meter.calls[0]
    assert (call.prompt_tokens, call.estimated, call.deployment) == (42, False, "public")


def test_a_failed_embedding_call_is_recorded(server):
    server.routes["/v1/embeddings"] = lambda body: (500, {"error": {"message": "down"}})
    inner = create_embedder(
        EmbedderSettings(provider="openai", base_url=server.base_url, model="m")
    )
    meter = RecordingMeter()
    with pytest.raises(ModelCallError):
        MeteredEmbedder(inner, meter, "x", "m", "private").embed_queries(["q"])
    assert (meter.calls[0].status, meter.calls[0].prompt_tokens) == ("error", 0)


def test_rerank_calls_are_recorded(server):
    def rerank(body):  # type: ignore[no-untyped-def]
        results = [
            {"index": i, "relevance_score": 1.0 / (i + 1)} for i in range(len(body["documents"]))
        ]
        return 200, {"results": results}

    server.routes["/v1/rerank"] = rerank
    inner = create_reranker(
        RerankerSettings(provider="http", base_url=server.base_url, model="bge")
    )
    meter = RecordingMeter()
    scores = MeteredReranker(inner, meter, "rerank", "bge", "private").score("住宿", ["a b", "c"])
    assert scores == [1.0, 0.5]
    call = meter.calls[0]
    assert call.kind == "rerank" and call.estimated and call.prompt_tokens >= 4
