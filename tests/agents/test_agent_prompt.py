"""An agent answers with its own library prompt and tier, and its conversation so far reaches
the model — under the red line: turns drawn from classified sources keep it in-house."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tokenbase.agents import AgentSpec, create_agent, get_agent
from tokenbase.agents.runner import AgentTurn
from tokenbase.config import load_settings
from tokenbase.kb.platform import Platform

from ..llm.openai_server import ScriptedServer, Stream
from .world import HR_QUESTION, build

RULES = "你是人事助手小H。只依据编号资料回答人事问题，每句句末标注资料编号。"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


def _platform(tmp_path, server: ScriptedServer, tiers: dict[str, list[str]]) -> Platform:  # type: ignore[no-untyped-def]
    """A public model `pub` and a private one `priv` on the scripted server."""
    providers = [
        {"name": "cloud", "base_url": server.base_url, "models": ["pub"]},
        {
            "name": "inhouse",
            "base_url": server.base_url,
            "deployment": "private",
            "models": ["priv"],
        },
    ]
    llm = {"providers": providers, "tiers": tiers, "default_tier": "standard", "max_retries": 0}
    return Platform(load_settings(tmp_path / "data", llm=llm))


def _chats(server: ScriptedServer) -> list[dict]:
    return [b for p, b, _ in server.requests if p == "/v1/chat/completions"]


def test_agent_prompt_tier_and_history_reach_the_model(tmp_path, server):
    # The default tier is in-house; the agent asks for the cloud tier.
    platform = _platform(tmp_path, server, {"standard": ["inhouse/priv"], "cloud": ["cloud/pub"]})
    world = build(platform, tmp_path)
    library = platform.prompts
    base = library.get("kb.answer.zh")
    library.create(
        "hr-assistant",
        [{"role": "system", "content": RULES}, base.body[1]],
        variables=[v.to_dict() for v in base.variables],
        message="人事助手的提示词",
    )
    with platform.db.engine.begin() as conn:
        create_agent(
            conn,
            AgentSpec("hr2", kbs=["hr"], prompt_ref="hr-assistant", tier="cloud"),
            world.root,
        )
        agent = get_agent(conn, "hr2")

    server.script("pub", Stream(["一线城市普通员工住宿每晚不超过500元[1]。"]))
    first = AgentTurn(platform, agent, world.alice, HR_QUESTION)
    answer = first.run()
    assert answer.kind == "generative"
    [request] = _chats(server)
    assert request["model"] == "pub"  # the agent's tier
    assert request["messages"][0] == {"role": "system", "content": RULES}
    assert len(request["messages"]) == 2  # a first turn has no history

    server.script("pub", Stream(["经理每晚不超过650元[1]。"]))
    follow_up = AgentTurn(
        platform, agent, world.alice, "那经理呢？", conversation_id=first.conversation_id
    )
    follow_up.run()
    second = _chats(server)[1]
    roles = [m["role"] for m in second["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert second["messages"][1]["content"] == HR_QUESTION
    assert "500元" in second["messages"][2]["content"]
    assert "那经理呢？" in second["messages"][3]["content"]


def test_history_from_classified_sources_stays_in_house(tmp_path, server):
    platform = _platform(tmp_path, server, {"standard": ["cloud/pub", "inhouse/priv"]})
    world = build(platform, tmp_path)
    with platform.db.engine.connect() as conn:
        agent = get_agent(conn, "hr")
    from tokenbase.agents.conversations import Turn

    # A conversation whose earlier answer came from a 机密 source (level 2).
    history = [Turn("总监年度奖金上限是多少？", "基本年薪的40%。", level=2)]
    server.script("priv", Stream(["一线城市普通员工住宿每晚不超过500元[1]。"]))
    AgentTurn(platform, agent, world.alice, HR_QUESTION, history=history, store=False).run()
    assert [b["model"] for b in _chats(server)] == ["priv"]  # the public model was skipped
