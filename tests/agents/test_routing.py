"""The front desk routes by description and knowledge, explains itself, and lets the user
choose; it only looks at agents and chunks the user may use."""

from __future__ import annotations

import json

import pytest

from tokenbase.agents import AgentNotFound
from tokenbase.agents.routing import route
from tokenbase.cli import app

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
    assert json.loads(r.output)["scores"]
