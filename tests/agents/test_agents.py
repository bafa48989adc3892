"""Agents answer in their own domains, within each user's own access, and remember the
conversation (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tokenbase.agents import (
    Access,
    AgentNotFound,
    AgentSpec,
    AgentTurn,
    ConversationNotFound,
    InvalidAgent,
    create_agent,
    get_agent,
)
from tokenbase.agents.conversations import get_conversation, list_conversations, messages
from tokenbase.agents.registry import update_agent, usable_agents
from tokenbase.db.schema import usage_events

from ..llm.openai_server import Reply, ScriptedServer, Stream, usage
from .world import HR_QUESTION, SALES_QUESTION, World, build


@pytest.fixture
def world(api_platform, tmp_path) -> World:
    return build(api_platform(), tmp_path)


def _agent(world: World, name: str):
    with world.platform.db.engine.connect() as conn:
        return get_agent(conn, name)


def _ask(world: World, agent: str, user: int, question: str, **kw):
    turn = AgentTurn(world.platform, _agent(world, agent), user, question, **kw)
    return turn, turn.run()


def _titles(answer) -> set[str]:
    return {c.title for c in answer.citations} | {h.title for h in answer.hits}


def test_two_agents_answer_in_their_own_domains(world: World) -> None:
    _, hr = _ask(world, "hr", world.root, HR_QUESTION)
    _, sales = _ask(world, "sales", world.root, SALES_QUESTION)
    assert hr.kind == "extractive" and "500元" in hr.text
    assert sales.kind == "extractive" and "3%" in sales.text
    assert all(h.kb == "hr" for h in hr.hits) and all(h.kb == "sales" for h in sales.hits)
    # Out of its domain, an agent finds nothing rather than reaching into another's sources.
    _, off = _ask(world, "hr", world.root, SALES_QUESTION)
    assert not off.found and not any(h.kb == "sales" for h in off.hits)


def test_users_never_read_through_an_agent_what_they_cannot_read(world: World) -> None:
    _, alice_hr = _ask(world, "desk", world.alice, HR_QUESTION)
    _, bob_hr = _ask(world, "desk", world.bob, HR_QUESTION)
    _, alice_sales = _ask(world, "desk", world.alice, SALES_QUESTION)
    _, bob_sales = _ask(world, "desk", world.bob, SALES_QUESTION)
    assert alice_hr.found and "500元" in alice_hr.text
    assert bob_sales.found and "3%" in bob_sales.text
    assert not bob_hr.found and not alice_sales.found
    assert all(h.kb == "hr" for h in alice_hr.hits + alice_sales.hits)
    assert all(h.kb == "sales" for h in bob_hr.hits + bob_sales.hits)
    # The "hr" agent gives bob nothing: agent ∩ user is empty.
    _, bob_via_hr = _ask(world, "hr", world.bob, HR_QUESTION)
    assert not bob_via_hr.found and not bob_via_hr.hits


def test_who_may_use_an_agent(world: World) -> None:
    with world.platform.db.engine.begin() as conn:
        update_agent(conn, "sales", allowed=Access(all=False, users=[world.bob]))
        assert [a.name for a in usable_agents(conn, world.bob)] == ["desk", "hr", "sales"]
        assert [a.name for a in usable_agents(conn, world.alice)] == ["desk", "hr"]
        with pytest.raises(InvalidAgent):
            create_agent(conn, AgentSpec("Bad Name"))
        with pytest.raises(InvalidAgent):
            create_agent(conn, AgentSpec("x", kbs=["nope"]))
    with pytest.raises(AgentNotFound):
        _ask(world, "sales", world.alice, SALES_QUESTION)


def test_conversation_memory_follow_up_and_summary(world: World) -> None:
    turn, first = _ask(world, "hr", world.alice, "一线城市普通员工住宿每晚不超过多少钱？")
    assert "500元" in first.text
    conversation = turn.conversation_id
    follow_up = "那更高的级别呢？"
    _, follow = _ask(world, "hr", world.alice, follow_up, conversation_id=conversation)
    assert follow.found and "650元" in follow.text and follow.question == follow_up
    _, alone = _ask(world, "hr", world.alice, follow_up)  # a new conversation: no context
    assert not alone.found
    with world.platform.db.engine.connect() as conn:
        stored = messages(conn, conversation)
        assert [m["role"] for m in stored] == ["user", "assistant"] * 2
        assert stored[1]["citations"][0]["url_path"].startswith("/documents/")
        assert len(list_conversations(conn, _agent(world, "hr").id, world.alice)) == 2
        with pytest.raises(ConversationNotFound):  # bob cannot see alice's conversation
            get_conversation(conn, conversation, world.bob)
    with pytest.raises(ConversationNotFound):
        _ask(world, "desk", world.alice, "还有呢？", conversation_id=conversation)


def test_summary_kicks_in_past_the_window(api_platform, tmp_path) -> None:
    world = build(api_platform(agents={"history_turns": 1}), tmp_path)
    turn, _ = _ask(world, "hr", world.alice, HR_QUESTION)
    _ask(world, "hr", world.alice, "报销时限是多久？", conversation_id=turn.conversation_id)
    with world.platform.db.engine.connect() as conn:
        conversation = get_conversation(conn, turn.conversation_id, world.alice)
    assert conversation.summarised_turns == 1
    assert conversation.summary.startswith(f"Q: {HR_QUESTION} → ")
    assert "500元" in conversation.summary


def test_generative_turn_is_attributed_to_the_agent_and_summarised_by_the_model(
    api_platform, tmp_path
) -> None:
    with ScriptedServer() as llm:
        platform = api_platform(
            llm={
                "providers": [
                    {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}
                ],
                "tiers": {"standard": ["cloud/m1"]},
                "max_retries": 0,
            },
            agents={"history_turns": 1},
        )
        world = build(platform, tmp_path)
        hits = platform.searcher.search(HR_QUESTION, ["hr"], limit=5).hits
        hotel = next(i for i, h in enumerate(hits) if "500元" in h.text) + 1
        llm.script("m1", Stream([f"普通员工住宿每晚不超过500元[{hotel}]。"], usage=usage(200, 20)))
        turn, answer = _ask(world, "hr", world.alice, HR_QUESTION)
        assert answer.kind == "generative" and "500元" in answer.text
        llm.script("m1", Stream([f"经理不超过650元[{hotel}]。"], usage=usage(200, 20)))
        llm.script("m1", Reply("员工问了住宿标准：500元。", usage=usage(50, 10)))
        _ask(world, "hr", world.alice, "经理呢？", conversation_id=turn.conversation_id)
    with platform.db.engine.connect() as conn:
        conversation = get_conversation(conn, turn.conversation_id, world.alice)
        rows = conn.execute(select(usage_events).where(usage_events.c.kind == "chat")).all()
    assert conversation.summary == "员工问了住宿标准：500元。"
    assert len(rows) == 3
    assert {(r.agent, r.scenario, r.user_id) for r in rows} == {("hr", "agent.hr", world.alice)}
    assert {r.prompt_name for r in rows} >= {"agent.summary"}
