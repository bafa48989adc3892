"""Hybrid search behaviour on a small Chinese corpus, including a reranker over real HTTP."""

from pathlib import Path

from tokenbase.config import load_settings
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus
from ..llm.openai_server import ScriptedServer


def _ingest(platform: Platform, folder: Path) -> None:
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    ingestor.run(ingestor.enqueue(sources, "hr"))


def test_chinese_keyword_search_finds_unspaced_text(platform: Platform, tmp_path: Path):
    _ingest(platform, write_corpus(tmp_path / "docs"))
    # No spaces anywhere in the indexed text or the query: jieba does the splitting.
    hits = platform.searcher.search("磁盘加密", ["hr"], mode="lexical").hits
    assert hits and "磁盘加密" in hits[0].text


def test_dense_channel_finds_paraphrases_lexical_misses(platform: Platform, tmp_path: Path):
    _ingest(platform, write_corpus(tmp_path / "docs"))
    query = "中午吃饭公司给多少钱"  # no shared keyword with "午餐…补贴15元"
    hybrid = platform.searcher.search(query, ["hr"], limit=1).hits
    assert "补贴15元" in hybrid[0].text
    assert "dense" in hybrid[0].channels


def test_reranker_reorders_fused_candidates(tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")

    def rerank(body):
        results = [
            {"index": i, "relevance_score": 0.99 if "食堂" in doc or "午餐" in doc else 0.01}
            for i, doc in enumerate(body["documents"])
        ]
        return 200, {"results": results}

    with ScriptedServer() as server:
        server.routes["/v1/rerank"] = rerank
        platform = Platform(
            load_settings(
                tmp_path / "data", reranker={"provider": "http", "base_url": server.base_url}
            )
        )
        _ingest(platform, folder)
        hits = platform.searcher.search("员工", ["hr"], limit=3).hits
        platform.close()
        assert server.requests, "the reranker was never called"
    assert "午餐" in hits[0].text
    assert hits[0].channels["rerank"].rank == 1
    assert hits[0].score == 0.99
