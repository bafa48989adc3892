"""Generative answers over real HTTP: the SSE stream carries only checked citations, and the
model call lands in the ledger attributed to the calling user (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select

from tokenbase.api import create_app
from tokenbase.db.schema import usage_events, users
from tokenbase.ingest.sources import expand_sources

from ..corpus import write_corpus
from ..llm.openai_server import ScriptedServer, Status, Stream, usage
from .conftest import admin_key
from .server import LiveServer
from .test_end_to_end import parse_sse

QUESTION = "一线城市普通员工出差住宿标准是多少？"


def test_sse_stream_shows_only_checked_citations_and_meters_the_call(api_platform, tmp_path):
    with ScriptedServer() as llm:
        platform = api_platform(
            llm={
                "providers": [
                    {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}
                ],
                "tiers": {"standard": ["cloud/m1"]},
                "max_retries": 0,
            },
            ledger={"prices": [{"model": "cloud/m1", "input": 2, "output": 8}]},
        )
        sources, _ = expand_sources([str(write_corpus(tmp_path / "docs"))])
        ingestor = platform.ingestor()
        assert not ingestor.run(ingestor.enqueue(sources, "hr")).failed
        key = admin_key(platform)
        hits = platform.searcher.search(QUESTION, ["hr"], limit=5).hits
        hotel = next(i for i, h in enumerate(hits) if "500元" in h.text) + 1
        reply = f"一线城市普通员工住宿每晚不超过500元[{hotel}]。经理不超过900元[{hotel}]。另见[8]。"
        llm.script(
            "m1", Stream([reply[i : i + 5] for i in range(0, len(reply), 5)], usage=usage(300, 40))
        )

        with LiveServer(create_app(platform, worker=False)) as server:
            with server.client(headers={"Authorization": f"Bearer {key}"}) as http:
                with http.stream(
                    "POST", "/ask/stream", json={"question": QUESTION, "kbs": ["hr"]}
                ) as r:
                    assert r.status_code == 200
                    events = parse_sse(r.read().decode())
                # A model outage before the first token: the same endpoint answers extractively.
                llm.script("m1", Status(503))
                fallback = http.post("/ask", json={"question": QUESTION, "kbs": ["hr"]}).json()

    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert deltas[0] == "一线城市普通员工住宿每晚不超过500元[1]。"
    assert all("[8]" not in d and f"[{hotel}]" not in d[20:] for d in deltas)
    done = events[-1][1]
    assert done["kind"] == "generative" and "".join(deltas).strip() == done["answer"]
    assert {(i["reason"]) for i in done["citation_issues"]} == {
        "number_not_in_source",
        "unknown_source",
    }
    assert fallback["kind"] == "extractive" and "500元" in fallback["answer"]
    assert "503" in fallback["fallback_reason"]

    with platform.db.engine.connect() as conn:
        root = conn.execute(select(users.c.id).where(users.c.username == "root")).scalar_one()
        rows = conn.execute(
            select(usage_events).where(usage_events.c.trace_id == done["trace_id"])
        ).all()
    chat = [r for r in rows if r.kind == "chat"]
    assert len(chat) == 1 and chat[0].user_id == root and chat[0].scenario == "kb.ask"
    assert str(chat[0].cost_cny.normalize()) == "0.00092"  # 300×2/1e6 + 40×8/1e6
