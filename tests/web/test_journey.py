"""Issue 7's "done when", in one browser journey, in Chinese, against a served instance:
a new member creates a knowledge base, uploads the sample documents and watches them finish,
asks a question, opens every source of the answer, and sees what the answer cost their
department; an administrator approves the member's pending action."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tokenbase.agents import AgentSpec, create_agent
from tokenbase.identity.departments import create_department
from tokenbase.identity.users import update_user
from tokenbase.kb.platform import Platform

from ..agents.test_tools import BLOCK
from ..corpus import write_corpus
from ..llm.openai_server import ScriptedServer, Stream, usage
from .conftest import Served, login, shot, start_server, stop_server

KB = "差旅资料"
QUESTION = "出差住宿每晚的标准是多少？费用多久内要报销？"


@dataclass
class CiteBoth:
    """A streamed answer citing the sources that hold 500元 and 30天, by the numbers the
    request gave them (the test does not predict the numbering)."""

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        text = "\n\n".join(str(m.get("content") or "") for m in body["messages"])
        number = {
            needle: next(m.group(1) for m in BLOCK.finditer(text) if needle in m.group(2))
            for needle in ("500元", "30天内")
        }
        reply = (
            f"一线城市普通员工住宿每晚不超过500元[{number['500元']}]。"
            f"差旅费用应在出差结束后30天内提交报销[{number['30天内']}]。"
        )
        Stream([reply], usage=usage(200_000, 50_000)).send(h, body)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    def prepare(platform: Platform) -> None:
        with platform.db.engine.begin() as conn:
            sales = create_department(conn, "销售部")
            update_user(conn, 2, department_id=sales.id)  # alice
            create_agent(
                conn,
                AgentSpec(
                    "assistant",
                    display_name="公司助手",
                    description="公司制度与资料问答",
                    avatar="🤖",
                ),
            )

    with ScriptedServer() as llm:
        llm.default["m1"] = CiteBoth()
        process, served = start_server(
            tmp_path_factory.mktemp("journey"),
            prepare=prepare,
            llm={
                "providers": [
                    {"name": "cloud", "base_url": llm.base_url, "models": ["m1"], "timeout_s": 10}
                ],
                "tiers": {"standard": ["cloud/m1"]},
                "max_retries": 0,
            },
            ledger={"prices": [{"model": "cloud/m1", "input": 2, "output": 8}]},
        )
        yield served
        stop_server(process)


def test_a_new_member_in_the_browser_alone(
    browser: Any, page: Any, served: Served, tmp_path: Path
) -> None:
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))

    # Create a knowledge base and upload the sample documents.
    login(page, served, "alice", "/ui/knowledge")
    page.get_by_test_id("kb-new").click()
    page.get_by_test_id("kb-name").fill(KB)
    page.get_by_test_id("kb-create").click()
    page.get_by_test_id("kb-access").wait_for()
    files = sorted(write_corpus(tmp_path / "docs").iterdir())
    page.locator('[data-testid="file-upload"] input[type=file]').set_input_files(
        [str(p) for p in files]
    )
    for path in files:
        row = page.locator(f'[data-testid="doc-row"][data-name="{path.name}"]')
        row.and_(page.locator('[data-status="ready"]')).wait_for(timeout=90_000)
    shot(page, "journey-knowledge")

    # Ask, and open every source of the answer.
    page.get_by_test_id("logout").wait_for()
    page.goto(f"{served.url}/ui/chat")
    page.get_by_test_id("question").fill(QUESTION)
    page.get_by_test_id("send").click()
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("thumbs-down").wait_for(timeout=60_000)
    assert "500元" in answer.get_by_test_id("answer-text").inner_text()
    assert "生成式回答" in answer.get_by_test_id("answer-kind").inner_text()
    for n in (1, 2):
        answer.get_by_test_id(f"cite-{n}").click()
        dialog = page.get_by_test_id("source-dialog")
        dialog.get_by_test_id("source-title").get_by_text("差旅管理制度").wait_for()
        quoted = dialog.locator("mark.tb-quote").all_inner_texts()
        assert any(("500元" in q) if n == 1 else ("30天内" in q) for q in quoted), quoted
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached")
    shot(page, "journey-chat")

    # What it cost the department: the two model calls' price, ¥0.80 (2 + 8 per million).
    page.goto(f"{served.url}/ui/ledger")
    assert "销售部" in page.get_by_test_id("ledger-scope").inner_text()
    page.wait_for_function(
        "document.querySelector('[data-testid=ledger-total-cost]').innerText === '¥0.80'"
    )
    shot(page, "journey-ledger")

    # A pending action, approved by an administrator in their own browser.
    with served.api("alice") as api:
        reply = api.post(
            "/approvals",
            json={"kind": "send_external", "summary": "把差旅制度发给外部审计", "payload": {}},
        )
        approval = reply.json()["id"]
    admin = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
    try:
        admin_page = admin.new_page()
        admin_page.set_default_timeout(20_000)
        login(admin_page, served, "root", "/ui/governance")
        card = admin_page.locator(f"[data-approval='{approval}']")
        card.get_by_test_id("approval-reason").fill("已核对")
        card.get_by_test_id("approve").click()
        admin_page.get_by_text(f"已批准 #{approval}").wait_for()
    finally:
        admin.close()
    with served.api("root") as api:
        decided = {a["id"]: a for a in api.get("/approvals", params={"status": "approved"}).json()}
    assert decided[approval]["reason"] == "已核对"
    assert hosts == {served.url.split("/")[2]}  # everything served locally
    assert re.search(r"[\u4e00-\u9fff]", page.content())  # and in Chinese
