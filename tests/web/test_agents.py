"""Agents (数字员工) and the template market in the browser: an administrator imports a
shipped template from its card, edits the agent (description, tools — a high-impact tool says
it waits for approval), exports it as a template file and imports that file under another
name; a member sees the agents without any editor controls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Served, login, shot, start_server, stop_server

OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Tickets", "version": "1"},
    "paths": {
        "/tickets": {
            "post": {
                "operationId": "createTicket",
                "summary": "在外部工单系统创建工单",
                "requestBody": {
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
            }
        }
    },
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("agents")
    spec = tmp / "tickets.json"
    spec.write_text(json.dumps(OPENAPI, ensure_ascii=False), encoding="utf-8")
    tool = {
        "name": "create_ticket",
        "openapi": str(spec),
        "operation": "createTicket",
        "base_url": "http://127.0.0.1:9",
    }
    process, served = start_server(tmp, agents={"http_tools": [tool]})
    yield served
    stop_server(process)


def _quiet(page: Any) -> None:
    """Dismiss the notifications before a screenshot."""
    page.evaluate("document.querySelectorAll('.q-notification').forEach(n => n.remove())")


def _agents(served: Served) -> dict[str, dict[str, Any]]:
    with served.api("root") as api:
        return {a["name"]: a for a in api.get("/agents").json()}


def test_import_edit_export_and_reimport_a_template(
    page: Any, served: Served, tmp_path: Path
) -> None:
    login(page, served, "root", "/ui/agents")
    page.get_by_test_id("tab-market").click()
    card = page.locator('[data-testid=template-card][data-key="hr-policy"]')
    card.get_by_text("人事制度助手").wait_for()
    shot(page, "agents-templates")
    page.get_by_test_id("template-import-hr-policy").click()
    page.locator('[data-testid=agent-card][data-name="hr-policy"]').wait_for()
    assert "hr-policy" in _agents(served)
    _quiet(page)
    shot(page, "agents")

    page.locator('[data-testid=agent-edit][data-name="hr-policy"]').click()
    description = page.get_by_test_id("agent-description")
    description.fill("人事制度问答：考勤、休假、差旅报销，以及员工工单。")
    page.get_by_test_id("agent-tools").click()
    page.get_by_role("option", name="create_ticket").click()
    page.get_by_text("编辑数字员工：hr-policy").click()  # closes the options
    page.get_by_role("option").first.wait_for(state="hidden")
    page.get_by_test_id("agent-high-impact").get_by_text("审批").wait_for()
    _quiet(page)
    shot(page, "agents-editor")
    page.get_by_test_id("agent-save").click()
    card = page.locator('[data-testid=agent-card][data-name="hr-policy"]')
    card.get_by_text("员工工单").wait_for()
    agent = _agents(served)["hr-policy"]
    assert agent["description"] == "人事制度问答：考勤、休假、差旅报销，以及员工工单。"
    assert agent["tools"] == ["kb_search", "create_ticket"]
    assert agent["prompt_ref"] == "hr-policy.answer:production"

    page.locator('[data-testid=agent-export][data-name="hr-policy"]').click()
    with page.expect_download() as download:
        page.get_by_test_id("export-plain").click()
    saved = tmp_path / "hr-policy.agent.json"
    download.value.save_as(saved)
    template = json.loads(saved.read_text(encoding="utf-8"))
    assert download.value.suggested_filename == "hr-policy.agent.json"
    assert template["format"] == "tokenbase.agent-template"
    assert template["agent"]["tools"] == ["kb_search", "create_ticket"]
    assert template["prompt"]["name"] == "hr-policy.answer"

    page.get_by_test_id("tab-market").click()
    upload = page.locator("[data-testid=template-upload] input[type=file]")
    upload.set_input_files(str(saved))
    name = page.get_by_test_id("template-file-name")
    page.wait_for_function(
        "document.querySelector('[data-testid=template-file-name]').value === 'hr-policy'"
    )
    name.fill("hr-beijing")
    page.get_by_test_id("template-file-import").click()
    page.locator('[data-testid=agent-card][data-name="hr-beijing"]').wait_for()
    assert _agents(served)["hr-beijing"]["kbs"] == ["hr-policy"]


def test_a_member_sees_agents_but_no_editor(page: Any, served: Served) -> None:
    with served.api("root") as api:
        if "hr-policy" not in {a["name"] for a in api.get("/agents").json()}:
            api.post("/agent-templates/import", json={"template": "hr-policy"}).raise_for_status()
    login(page, served, "alice", "/ui/agents")
    card = page.locator('[data-testid=agent-card][data-name="hr-policy"]')
    card.get_by_text("人事制度助手").wait_for()
    card.get_by_text("hr-policy", exact=True).first.wait_for()
    for testid in ("agent-new", "agent-edit", "agent-export", "tab-market"):
        assert page.get_by_test_id(testid).count() == 0
