"""Agent templates: export -> import between two installations, the shipped templates, bad
files, name collisions, prompt reuse vs new versions, and the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import json

import pytest
from sqlalchemy import func, select

from tokenbase.agents import (
    AgentExists,
    AgentSpec,
    AgentTurn,
    InvalidAgent,
    create_agent,
    get_agent,
)
from tokenbase.agents.registry import update_agent
from tokenbase.agents.templates import (
    FORMAT,
    InvalidTemplate,
    check_template,
    export_agent,
    import_template,
    list_builtin_templates,
    load_builtin_template,
)
from tokenbase.api import create_app
from tokenbase.db.schema import documents, knowledge_bases, prompts
from tokenbase.guard.audit import Actor
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from ..api.conftest import _SyncAsgiClient
from ..llm.openai_server import ScriptedServer, Stream
from .world import HR_QUESTION, build

SHIPPED = {
    # key: (question, a phrase the extractive answer quotes, the cited document's title)
    "hr-policy": ("入职满10年的员工每年有几天年假？", "年假10天", "考勤与休假制度"),
    "sales-proposal": ("HCC-32交流接触器单价多少？", "HCC-32的单价为168元", "产品价格表"),
    "customer-service": ("断路器的保修期是多久？", "保修24个月", "售后服务政策"),
    "electrical-consultant": (
        "7.5kW电机应该选哪个型号的接触器？",
        "推荐选用HCC-18交流接触器",
        "交流接触器选型",
    ),
    "material-librarian": (
        "有没有汽车制造行业的客户案例可以用在投标方案里？",
        "汽车零部件",
        "客户案例素材",
    ),
}


def _admin(platform, username: str = "root") -> int:  # type: ignore[no-untyped-def]
    with platform.db.engine.begin() as conn:
        return create_user(conn, username, password=None, role="admin", clearance=3).id


def _count(platform, table) -> int:  # type: ignore[no-untyped-def]
    with platform.db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_export_import_round_trip(api_platform, tmp_path) -> None:
    source = api_platform()
    world = build(source, tmp_path)
    library = source.prompts
    base = library.get("kb.answer.zh")
    variables = [v.to_dict() for v in base.variables]
    rules = [{"role": "system", "content": "你是人事助手小H。只依据编号资料回答，句末标注编号。"}]
    library.create("hr-assistant", rules + [base.body[1]], variables=variables, message="初版")
    rules2 = [{"role": "system", "content": "你是人事助手小H。先给结论，句末标注资料编号。"}]
    library.commit(
        "hr-assistant", rules2 + [base.body[1]], params={"temperature": 0.1}, message="先给结论"
    )
    library.set_label("hr-assistant", "production", 1, actor=Actor(world.root, "root"))
    library.set_label("hr-assistant", "staging", 2, actor=Actor(world.root, "root"))
    with source.db.engine.begin() as conn:
        update_agent(
            conn,
            "hr",
            prompt_ref="hr-assistant:production",
            tier="cloud",
            tools=["kb_search", "crm_lookup"],  # crm_lookup: an HTTP tool only `source` has
            scenario="hr.qa",
            allowed={"all": False, "users": [world.alice]},
        )
    data = json.loads(json.dumps(export_agent(source, "hr", include_knowledge=True)))
    assert data["format"] == FORMAT and data["version"] == 1
    assert "allowed" not in data["agent"] and "id" not in data["agent"]
    assert [v["message"] for v in data["prompt"]["versions"]] == ["初版", "先给结论"]
    assert data["prompt"]["labels"] == {"production": 1, "staging": 2}
    [kb] = data["knowledge"]
    with source.db.engine.connect() as conn:
        hr_docs = conn.execute(
            select(func.count())
            .select_from(documents)
            .join(knowledge_bases)
            .where(knowledge_bases.c.name == "hr")
        ).scalar_one()
    assert kb["name"] == "hr" and len(kb["documents"]) == hr_docs
    assert all("content" in d for d in kb["documents"])  # the originals, from `blobs`

    target = api_platform()
    root = _admin(target)
    result = import_template(target, data, created_by=root)
    agent = result.agent
    assert (agent.display_name, agent.description, agent.avatar) == (
        "人事助手",
        "人事制度、差旅报销、考勤和员工福利问答",
        "🧑‍💼",
    )
    assert (agent.kbs, agent.tier, agent.scenario, agent.prompt_ref) == (
        ["hr"],
        "cloud",
        "hr.qa",
        "hr-assistant:production",
    )
    assert agent.allowed.all and agent.created_by == root  # access is local
    assert agent.tools == ["kb_search"] and result.dropped_tools == ["crm_lookup"]
    assert any("crm_lookup" in w for w in result.warnings)
    assert result.prompt_action == "created" and result.knowledge_bases == ["hr"]
    assert result.documents == hr_docs and not result.failed
    imported = target.prompts
    assert imported.prompt("hr-assistant").labels == {"latest": 2, "production": 1, "staging": 2}
    versions = imported.versions("hr-assistant")
    assert [(v.version, v.message) for v in versions] == [(2, "先给结论"), (1, "初版")]
    assert versions[0].body == library.version("hr-assistant", 2).body
    assert versions[0].params == {"temperature": 0.1} and versions[1].author_name == "root"

    answer = AgentTurn(target, agent, root, HR_QUESTION).run()
    assert answer.kind == "extractive" and answer.found and "500元" in answer.text
    cited = {c.document_id for c in answer.citations}
    with target.db.engine.connect() as conn:
        titles = set(
            conn.execute(select(documents.c.title).where(documents.c.id.in_(cited))).scalars()
        )
    assert titles and titles <= {h.title for h in answer.hits}


def test_every_shipped_template_imports_and_answers(api_platform) -> None:
    platform = api_platform()
    root = _admin(platform)
    shipped = list_builtin_templates()
    assert [t.key for t in shipped] == sorted(SHIPPED)
    for info in shipped:
        assert info.avatar and info.display_name and info.description and info.documents >= 2
        result = import_template(platform, load_builtin_template(info.key), created_by=root)
        assert not result.warnings and not result.failed, result.warnings
        assert result.documents == info.documents and result.prompt_action == "created"
        agent = result.agent
        assert agent.tools == info.tools and "kb_search" in agent.tools
        version = platform.prompts.resolve(agent.prompt_ref)
        assert "production" in version.labels
        assert {v.name for v in version.variables} == {"sources", "question"}
        question, phrase, title = SHIPPED[info.key]
        answer = AgentTurn(platform, agent, root, question).run()
        assert answer.found and answer.citations, info.key
        assert phrase in answer.text, (info.key, answer.text)
        assert any(title in c.title for c in answer.citations), info.key
        assert all(h.kb in agent.kbs for h in answer.hits)


def test_an_imported_prompt_drives_the_model(api_platform) -> None:
    with ScriptedServer() as llm:
        provider = {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 5}
        llm_settings = {"providers": [provider], "tiers": {"standard": ["cloud/m1"]}}
        platform = api_platform(llm={**llm_settings, "max_retries": 0})
        root = _admin(platform)
        template = load_builtin_template("electrical-consultant")
        agent = import_template(platform, template, created_by=root).agent
        question, _, _ = SHIPPED["electrical-consultant"]
        hits = platform.searcher.search(question, agent.kbs, limit=5).hits
        n = next(i for i, h in enumerate(hits) if "HCC-18" in h.text) + 1
        llm.script("m1", Stream([f"控制7.5kW的380V三相电动机，推荐选用HCC-18交流接触器[{n}]。"]))
        answer = AgentTurn(platform, agent, root, question).run()
        [request] = llm.chat_requests("m1")
    assert answer.kind == "generative" and "HCC-18" in answer.text and answer.citations
    system = template["prompt"]["versions"][0]["body"][0]["content"]
    assert request["messages"][0] == {"role": "system", "content": system}
    assert question in request["messages"][-1]["content"]
    assert "HCC-18" in request["messages"][-1]["content"]  # the sources were rendered in


def test_bad_templates_say_what_is_wrong(api_platform) -> None:
    good = load_builtin_template("hr-policy")

    def broken(change) -> dict:  # type: ignore[no-untyped-def]
        data = copy.deepcopy(good)
        change(data)
        return data

    cases = [
        ([], "JSON object"),
        ({**good, "format": "something-else"}, "not an agent template"),
        ({**good, "version": 2}, "version 2 is not supported"),
        (broken(lambda d: d.pop("agent")), "`agent` object with a `name`"),
        (broken(lambda d: d["agent"].update(tools="kb_search")), "agent.tools"),
        (broken(lambda d: d["agent"].update(prompt_ref="other")), "does not name"),
        (broken(lambda d: d["prompt"]["versions"][0].update(body=[])), "prompt.versions[0]"),
        (broken(lambda d: d["prompt"].update(labels={"production": 7})), "prompt.labels"),
        (
            broken(lambda d: d["knowledge"][0]["documents"][0].update(filename="x.exe")),
            "not a supported file type",
        ),
        (broken(lambda d: d["knowledge"][0]["documents"][0].pop("text")), "`text` (markdown)"),
    ]
    for data, message in cases:
        with pytest.raises(InvalidTemplate) as caught:
            check_template(data)
        assert message in str(caught.value), (message, caught.value)

    platform = api_platform()
    with pytest.raises(InvalidTemplate) as caught:  # its knowledge base exists nowhere
        import_template(platform, good, knowledge=False)
    assert "hr-policy" in str(caught.value) and "tokenbase ingest" in str(caught.value)
    bad64 = broken(lambda d: d["knowledge"][0]["documents"][0].update(text=None, content="%%"))
    with pytest.raises(InvalidTemplate, match="base64"):
        import_template(platform, bad64)
    for name in ("Not A Slug", "auto"):
        with pytest.raises(InvalidAgent, match="--name"):
            import_template(platform, good, name=name)
    with platform.db.engine.begin() as conn:
        create_agent(conn, AgentSpec("ghost", prompt_ref="gone:production"))
    with pytest.raises(InvalidTemplate, match="names no prompt"):
        export_agent(platform, "ghost")
    # Nothing was half-created by the failed imports.
    assert _count(platform, knowledge_bases) == 0
    assert "hr-policy.answer" not in {p.name for p in platform.prompts.list()}


def test_name_collision_and_prompt_reuse_or_new_versions(api_platform) -> None:
    platform = api_platform()
    root = _admin(platform)
    template = load_builtin_template("customer-service")
    first = import_template(platform, template, created_by=root)
    with pytest.raises(AgentExists, match="--name"):
        import_template(platform, template, created_by=root)

    # The same prompt again: reused, the knowledge base left as it is.
    again = import_template(platform, template, name="cs-night", created_by=root)
    assert again.prompt_action == "reused" and again.agent.prompt_ref == first.agent.prompt_ref
    assert again.knowledge_bases == [] and again.documents == 0
    assert any("customer-service exists" in w for w in again.warnings)

    # A different prompt under the same name: new versions on top, history and labels kept.
    changed = copy.deepcopy(template)
    version = changed["prompt"]["versions"][0]
    version["body"][0]["content"] += "夜间值班时，提醒客户人工客服的工作时间。"
    version["message"] = "夜班版本"
    third = import_template(platform, changed, name="cs-evening", created_by=root)
    assert third.prompt_action == "new_versions"
    assert third.agent.prompt_ref == "customer-service.answer@2"
    library = platform.prompts
    header = library.prompt("customer-service.answer")
    assert header.labels == {"latest": 2, "production": 1}
    assert (
        library.version("customer-service.answer", 1).body
        == template["prompt"]["versions"][0]["body"]
    )
    assert library.version("customer-service.answer", 2).message.startswith("夜班版本 (imported")
    assert library.resolve(third.agent.prompt_ref).body == version["body"]
    with platform.db.engine.connect() as conn:
        assert get_agent(conn, first.agent.name).prompt_ref == "customer-service.answer"
        assert conn.execute(select(func.count()).select_from(prompts)).scalar_one() >= 1


def test_api_templates_import_and_export(api_platform) -> None:
    platform = api_platform()
    app = create_app(platform, worker=False)
    with platform.db.engine.begin() as conn:
        root = create_user(conn, "root", password=None, role="admin", clearance=3)
        alice = create_user(conn, "alice", password=None)
        admin_key = create_key(conn, root.id, "tests", ["admin"])[1]
        read_key = create_key(conn, alice.id, "tests", ["read"])[1]

    def client(key: str) -> _SyncAsgiClient:
        import httpx

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        return _SyncAsgiClient(transport, headers={"Authorization": f"Bearer {key}"})

    admin, user = client(admin_key), client(read_key)
    try:
        listed = user.get("/agent-templates")
        assert listed.status_code == 200
        assert [t["key"] for t in listed.json()] == sorted(SHIPPED)

        refused = user.post("/agent-templates/import", json={"template": "hr-policy"})
        assert refused.status_code == 403 and set(refused.json()["error"]) == {
            "code",
            "message",
            "details",
        }
        assert user.get("/agents/hr-policy/export").status_code == 403

        r = admin.post("/agent-templates/import", json={"template": "hr-policy"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["agent"]["name"] == "hr-policy" and body["agent"]["allowed"]["all"]
        assert body["documents"] == 3 and body["prompt_action"] == "created"

        r = admin.get("/agents/hr-policy/export", params={"knowledge": "true"})
        assert r.status_code == 200
        assert r.headers["content-disposition"].startswith("attachment;")
        exported = r.json()
        assert exported["format"] == FORMAT and len(exported["knowledge"][0]["documents"]) == 3

        r = admin.post("/agent-templates/import", params={"name": "hr-2"}, json=exported)
        assert r.status_code == 201 and r.json()["prompt_action"] == "reused"
        r = admin.post("/agent-templates/import", json=exported)
        assert r.status_code == 409 and r.json()["error"]["code"] == "agent_exists"
        r = admin.post("/agent-templates/import", json={**exported, "version": 9})
        error = r.json()["error"]
        assert r.status_code == 422 and error["code"] == "invalid_agent_template"
        assert "version 9" in error["message"]
        r = admin.post("/agent-templates/import", json={"template": "nope"})
        assert r.status_code == 422 and "hr-policy" in r.json()["error"]["message"]
        r = admin.get("/agents/nope/export")
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_agent"
        r = admin.get("/agents/hr-policy/export")
        assert "knowledge" not in r.json()
    finally:
        admin.close()
        user.close()
