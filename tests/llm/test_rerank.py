import pytest

from tokenbase.config import RerankerSettings
from tokenbase.llm.errors import ModelCallError
from tokenbase.llm.rerank import create_reranker

from .openai_server import ScriptedServer


def test_none_is_default():
    assert create_reranker(RerankerSettings()) is None


def test_http_reranker_maps_scores_back_by_index():
    def rerank(body):
        results = [
            {"index": i, "relevance_score": 1.0 if "住宿" in doc else 0.1}
            for i, doc in enumerate(body["documents"])
        ]
        return 200, {"results": sorted(results, key=lambda r: -r["relevance_score"])}

    with ScriptedServer() as server:
        server.routes["/v1/rerank"] = rerank
        reranker = create_reranker(
            RerankerSettings(provider="http", base_url=server.base_url, model="bge-reranker")
        )
        scores = reranker.score("住宿标准", ["年会安排", "住宿每晚500元"])
        assert server.requests[0][1]["query"] == "住宿标准"
        assert server.requests[0][1]["model"] == "bge-reranker"
    assert scores == [0.1, 1.0]


def test_http_reranker_error_is_translated():
    with ScriptedServer() as server:
        server.routes["/v1/rerank"] = lambda body: (503, {"error": "overloaded"})
        reranker = create_reranker(RerankerSettings(provider="http", base_url=server.base_url))
        with pytest.raises(ModelCallError, match="rerank call"):
            reranker.score("q", ["a"])
