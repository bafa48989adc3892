"""The front desk routes by description and knowledge, explains itself, and lets the user
choose; it only looks at agents and chunks the user may use."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tokenbase.agents import AgentNotFound
from tokenbase.agents.routing import route
from tokenbase.api import create_app
from tokenbase.cli import app
from tokenbase.db.schema import usage_events

from ..llm.openai_server import Reply, ScriptedServer, Status
from .test_cli_agents import runner
from .world import HR_QUESTION, SALES_QUESTION, World, build


@pytest.fixture
def world(api_platform, tmp_path) -> World:
    return build(api_platform(), tmp_path)


def test_routes_each_question_to_its_domain_and_explains(world: World) -> None:
    questions = {
        HR_QUESTION: "hr",
        "出差回来多久之内要交报销单？": "hr",
        SALES_QUESTION: "sales",
        "63安培的小型断路器多少钱一个？": "sales",
    }
    for question, expected in questions.items():
        decision = route(world.platform, question, world.root, exclude={"desk"})
        assert decision.agent.name == expected, decision.reason
        assert [s.agent for s in decision.scores][0] == expected
        assert len(decision.scores) == 2 and decision.scores[0].score >= decision.scores[1].score
        assert expected in decision.reason
    chosen = route(world.platform, HR_QUESTION, world.root, override="sales")
    assert chosen.agent.name == "sales" and chosen.overridden
    assert chosen.to_dict()["reason"] == "chosen by the user: sales"


def test_routing_respects_who_may_use_what(world: World) -> None:
    from tokenbase.agents.registry import Access, update_agent

    with world.platform.db.engine.begin() as conn:
        update_agent(conn, "sales", allowed=Access(all=False, users=[world.bob]))
    decision = route(world.platform, SALES_QUESTION, world.alice)
    assert "sales" not in {s.agent for s in decision.scores}
    with pytest.raises(AgentNotFound):
        route(world.platform, SALES_QUESTION, world.alice, override="sales")
    # bob cannot read hr: the hr agent's knowledge sample is empty for him.
    hr = next(s for s in route(world.platform, HR_QUESTION, world.bob).scores if s.agent == "hr")
    assert hr.content == 0.0


def test_route_from_the_cli(world: World) -> None:
    settings = world.platform.settings
    args = ["agent", "route", SALES_QUESTION, "--as", "bob", "--json"]
    env = {"COLUMNS": "200", "TOKENBASE_DATABASE_URL": str(settings.database_url)}
    r = runner.invoke(app, [*args, "--data-dir", str(settings.data_dir)], env=env)
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["scores"] and shown["decided_by"] == "embedding"


# -- the model tie-breaker ---------------------------------------------------------------------


def _with_model(api_platform, tmp_path, llm: ScriptedServer, **agents) -> World:
    platform = api_platform(
        llm={
            "providers": [
                {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}
            ],
            "tiers": {"standard": ["cloud/m1"], "router": ["cloud/m1"]},
            "max_retries": 0,
            "json_max_reasks": 0,
        },
        agents={"route_model_tier": "router", **agents},
    )
    return build(platform, tmp_path)


def _pick(agent: str, reason: str) -> Reply:
    return Reply(json.dumps({"agent": agent, "reason": reason}, ensure_ascii=False))


def test_the_model_breaks_a_near_tie_and_says_why(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        # margin 1: every agent is in the tie, so the model is asked.
        world = _with_model(api_platform, tmp_path, llm, route_tie_margin=1.0)
        llm.script("m1", _pick("sales", "问题涉及经销商返点，属于销售政策"))
        decision = route(world.platform, HR_QUESTION, world.alice, exclude={"desk"})
        requests = llm.chat_requests("m1")
    assert decision.agent.name == "sales" and decision.decided_by == "model"
    assert decision.scores[0].agent == "hr"  # the embeddings preferred hr; the model won
    assert decision.tied == ["hr", "sales"]
    assert decision.model_reason == "问题涉及经销商返点，属于销售政策"
    assert decision.model == "cloud/m1" and not decision.model_error
    assert "the model chose sales: 问题涉及经销商返点" in decision.reason
    shown = decision.to_dict()
    assert shown["decided_by"] == "model" and shown["model_reason"] == decision.model_reason
    # One call, through the library's "agent.route" prompt: each candidate's name, display
    # name and description, then the question.
    assert len(requests) == 1
    sent = "\n".join(m["content"] for m in requests[0]["messages"])
    assert "- hr（人事助手）：人事制度、差旅报销、考勤和员工福利问答" in sent
    assert "- sales（销售助手）：产品报价、交货周期和经销商返点政策" in sent
    assert HR_QUESTION in sent and "desk" not in sent
    assert requests[0]["temperature"] == 0.0
    # Metered and attributed to the user, their department and scenario agent.route.
    with world.platform.db.engine.connect() as conn:
        rows = conn.execute(select(usage_events).where(usage_events.c.kind == "chat")).all()
    assert [(r.scenario, r.user_id, r.prompt_name, r.trace_id) for r in rows] == [
        ("agent.route", world.alice, "agent.route@1", decision.trace_id)
    ]
    assert not rows[0].agent


def test_an_answer_outside_the_candidates_keeps_the_embedding_choice(
    api_platform, tmp_path
) -> None:
    with ScriptedServer() as llm:
        world = _with_model(api_platform, tmp_path, llm, route_tie_margin=1.0)
        llm.script("m1", _pick("desk", "前台什么都能问"))  # excluded: not a candidate
        decision = route(world.platform, SALES_QUESTION, world.root, exclude={"desk"})
        assert len(llm.chat_requests("m1")) == 1
    assert decision.agent.name == "sales" and decision.decided_by == "embedding"
    assert decision.model_error and not decision.model_reason
    assert "tie-breaker failed" in decision.reason and "best score kept" in decision.reason


def test_a_model_error_keeps_the_embedding_choice(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        world = _with_model(api_platform, tmp_path, llm, route_tie_margin=1.0)
        llm.script("m1", Status(500, "upstream down"))
        decision = route(world.platform, HR_QUESTION, world.root, exclude={"desk"})
    assert decision.agent.name == "hr" and decision.decided_by == "embedding"
    assert "upstream down" in decision.model_error
    assert decision.to_dict()["model_error"] == decision.model_error


def test_no_tie_no_override_no_tier_means_no_model_call(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        world = _with_model(api_platform, tmp_path, llm, route_tie_margin=0.0)
        decision = route(world.platform, HR_QUESTION, world.root, exclude={"desk"})
        assert decision.agent.name == "hr" and decision.decided_by == "embedding"
        assert decision.tied == ["hr"] and "near-tie" not in decision.reason
        world.platform.settings.agents.route_tie_margin = 1.0
        chosen = route(world.platform, HR_QUESTION, world.root, override="sales")
        assert chosen.decided_by == "user" and not chosen.trace_id
        world.platform.settings.agents.route_model_tier = ""  # embeddings only
        untied = route(world.platform, HR_QUESTION, world.root, exclude={"desk"})
        assert untied.agent.name == "hr" and untied.tied == ["hr", "sales"]
        assert "no tie-breaker model (agents.route_model_tier)" in untied.reason
        assert llm.chat_requests() == []


def test_route_api_and_cli_show_who_decided(api_platform, tmp_path) -> None:
    with ScriptedServer() as llm:
        world = _with_model(api_platform, tmp_path, llm, route_tie_margin=1.0)
        llm.script("m1", _pick("sales", "模型认为是销售问题"))
        with TestClient(create_app(world.platform, worker=False)) as http:
            r = http.post(
                "/agents/route",
                json={"question": HR_QUESTION},
                headers={"Authorization": f"Bearer {world.keys['root']}"},
            )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["agent"] == "sales" and body["decided_by"] == "model"
        assert body["model_reason"] == "模型认为是销售问题"
        assert body["tied"][0] == body["scores"][0]["agent"]
        settings = world.platform.settings
        llm.script("m1", Status(500))
        env = {
            "COLUMNS": "200",
            "TOKENBASE_DATABASE_URL": str(settings.database_url),
            "TOKENBASE_AGENTS__ROUTE_MODEL_TIER": "router",
            "TOKENBASE_AGENTS__ROUTE_TIE_MARGIN": "1",
            "TOKENBASE_LLM__PROVIDERS": json.dumps(
                [{"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}]
            ),
            "TOKENBASE_LLM__TIERS": json.dumps({"router": ["cloud/m1"]}),
            "TOKENBASE_LLM__DEFAULT_TIER": "router",
            "TOKENBASE_LLM__MAX_RETRIES": "0",
        }
        args = ["agent", "route", SALES_QUESTION, "--as", "bob"]
        r = runner.invoke(app, [*args, "--data-dir", str(settings.data_dir)], env=env)
    assert r.exit_code == 0, r.output
    assert "(decided by embedding)" in r.output and "tie-breaker failed" in r.output
