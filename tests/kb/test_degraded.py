"""A remote embedder that goes down degrades search and answers to lexical; nothing is lost."""

import hashlib
from pathlib import Path

import numpy as np

from tokenbase.config import load_settings
from tokenbase.ingest import jobs as jobstore
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.ask import ask
from tokenbase.kb.platform import Platform

from ..corpus import write_corpus
from ..llm.openai_server import ScriptedServer


def _vector(text: str) -> list[float]:
    seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    return np.random.default_rng(seed).normal(size=16).tolist()


def test_embedder_outage_keeps_documents_searchable_and_resumes(tmp_path: Path):
    folder = write_corpus(tmp_path / "docs")
    state = {"up": False}

    def embeddings(body):
        if not state["up"]:
            return 503, {"error": {"message": "model is loading"}}
        data = [{"index": i, "embedding": _vector(t)} for i, t in enumerate(body["input"])]
        return 200, {"data": data, "model": body["model"], "usage": {"prompt_tokens": 1}}

    with ScriptedServer() as server:
        server.routes["/v1/embeddings"] = embeddings
        settings = load_settings(
            tmp_path / "data",
            embedder={"provider": "openai", "base_url": server.base_url, "model": "bge-m3"},
        )
        platform = Platform(settings)

        def ingest(paths):
            sources, _ = expand_sources([str(p) for p in paths])
            ingestor = platform.ingestor()
            return ingestor.run(ingestor.enqueue(sources, "hr"))

        state["up"] = True
        assert len(ingest([folder / "差旅制度.md"]).done) == 1
        state["up"] = False
        summary = ingest([folder / "信息安全.txt", folder / "食堂.md"])
        assert not summary.failed and len(summary.pending_embed) == 2
        waiting = [j for j in jobstore.list_jobs(platform.db.engine) if j.status == "queued"]
        assert {j.stage for j in waiting} == {"embed"} and len(waiting) == 2
        assert "tokenbase resume" in waiting[0].message

        found = platform.searcher.search("源代码", ["hr"])
        assert found.hits and "源代码" in found.hits[0].text
        assert "model is loading" in found.degraded
        answer = ask(platform, "一线城市普通员工住宿标准是多少？", ["hr"])
        assert answer.found and "500元" in answer.text

        state["up"] = True
        summary = platform.ingestor().run()
        assert len(summary.done) == 2
        found = platform.searcher.search("源代码", ["hr"], limit=1)
        assert "dense" in found.hits[0].channels and found.degraded is None
        platform.close()
