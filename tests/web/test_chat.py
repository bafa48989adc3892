"""The chat page in a real browser: the front desk routes a question and says why, the
answer streams in with `[n]` markers that open their source (the chunk highlighted in its
text; for a PDF the page with the quoted line marked), a thumbs-down with a correction becomes
a bad case, and a reloaded conversation keeps its sources. Voice: a (fake) speech recogniser
fills and, hands-free, sends the question and the answer is read aloud; without recognition
and without server transcription the microphone says why it is missing; a spoken sentence
becomes a task that is shown for confirmation before it is saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tokenbase.agents import AgentSpec, create_agent
from tokenbase.db.schema import knowledge_bases, users
from tokenbase.identity.grants import set_grant
from tokenbase.ingest.sources import expand_sources
from tokenbase.kb.platform import Platform

from ..agents.world import SALES, SALES_QUESTION
from ..conftest import CJK_FONT_CANDIDATES
from ..corpus import write_corpus
from ..ingest.parsers.makers import make_text_pdf
from .conftest import Served, login, shot, start_server, stop_server

PDF_QUESTION = "单笔金额超过五千元的报销申请需要谁审批？"
TASK = "提醒我明天下午三点给华东电力回电话"


def _font() -> Path | None:
    return next((Path(p) for p in CJK_FONT_CANDIDATES if Path(p).exists()), None)


def _ingest(platform: Platform, folder: Path, kb: str) -> None:
    sources, _ = expand_sources([str(folder)])
    ingestor = platform.ingestor()
    assert not ingestor.run(ingestor.enqueue(sources, kb)).failed


def _prepare(tmp: Path):  # type: ignore[no-untyped-def]
    def prepare(platform: Platform) -> None:
        hr = write_corpus(tmp / "hr")
        font = _font()
        if font is not None:
            make_text_pdf(font, dest=hr / "员工手册.pdf")
        _ingest(platform, hr, "hr")
        sales = tmp / "sales"
        sales.mkdir()
        for name, text in SALES.items():
            (sales / name).write_text(text, encoding="utf-8")
        _ingest(platform, sales, "sales")
        with platform.db.engine.begin() as conn:
            kbs = dict(conn.execute(select(knowledge_bases.c.name, knowledge_bases.c.id)).all())
            alice = conn.execute(select(users.c.id).where(users.c.username == "alice")).scalar()
            for kb in kbs.values():
                set_grant(conn, kb, "user", alice, "read")
            create_agent(
                conn,
                AgentSpec(
                    "hr",
                    display_name="人事助手",
                    description="人事制度、差旅报销、考勤和员工福利问答",
                    avatar="🧑‍💼",
                    kbs=["hr"],
                ),
            )
            create_agent(
                conn,
                AgentSpec(
                    "sales",
                    display_name="销售助手",
                    description="产品报价、交货周期和经销商返点政策",
                    avatar="💼",
                    kbs=["sales"],
                ),
            )

    return prepare


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("chat")
    process, served = start_server(tmp, prepare=_prepare(tmp))
    yield served
    stop_server(process)


def _ask(page: Any, question: str) -> None:
    page.get_by_test_id("question").fill(question)
    page.get_by_test_id("send").click()


def test_ask_open_sources_give_feedback_and_reload(page: Any, served: Served) -> None:
    login(page, served, "alice")
    _ask(page, SALES_QUESTION)
    page.get_by_test_id("route-choice").get_by_text("销售助手").wait_for()
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("thumbs-down").wait_for()  # done
    assert "3%" in answer.get_by_test_id("answer-text").inner_text()
    assert "摘录式回答" in answer.get_by_test_id("answer-kind").inner_text()
    shot(page, "chat-zh")

    answer.get_by_test_id("cite-1").click()
    dialog = page.get_by_test_id("source-dialog")
    dialog.get_by_test_id("source-title").get_by_text("经销商返点政策").wait_for()
    assert "3%返点" in dialog.get_by_test_id("source-chunk").inner_text()
    assert dialog.locator("mark.tb-quote").count() >= 1
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")

    answer.get_by_test_id("thumbs-down").click()
    feedback = page.get_by_test_id("feedback-dialog")
    feedback.get_by_test_id("correction").fill("超过50万元返点3%，超过100万元返点5%。")
    feedback.get_by_test_id("feedback-submit").click()
    page.get_by_text("感谢反馈").wait_for()
    with served.api("root") as api:
        cases = api.get("/badcases").json()
    assert cases[0]["correction"] == "超过50万元返点3%，超过100万元返点5%。"
    assert cases[0]["question"] == SALES_QUESTION

    # A follow-up in the same conversation, then a reload: the sources are still there.
    page.wait_for_url(re.compile(r"/ui/chat\?c=\d+"))
    _ask(page, "100万元以上呢？")
    page.get_by_test_id("answer").nth(1).get_by_test_id("thumbs-down").wait_for()
    page.reload()
    page.get_by_test_id("answer").nth(1).wait_for()
    assert page.get_by_test_id("user-message").all_inner_texts() == [
        SALES_QUESTION,
        "100万元以上呢？",
    ]
    page.get_by_test_id("answer").first.get_by_test_id("cite-1").click()
    page.get_by_test_id("source-dialog").get_by_text("经销商返点政策").first.wait_for()
    page.keyboard.press("Escape")

    # The PDF source: the page with the quoted line marked.
    if _font() is None:
        pytest.skip("no CJK font to make the PDF")
    page.get_by_test_id("new-chat").click()
    page.get_by_test_id("agent-select").click()
    page.get_by_role("option", name=re.compile("人事助手")).click()
    _ask(page, PDF_QUESTION)
    answer = page.get_by_test_id("answer").last
    answer.get_by_test_id("thumbs-down").wait_for()
    answer.locator("[data-testid^=cite-]").first.click()
    dialog = page.get_by_test_id("source-dialog")
    dialog.get_by_test_id("source-page").wait_for()
    assert "员工手册" in dialog.get_by_test_id("source-title").inner_text()
    assert "第 2 页" in dialog.get_by_test_id("source-page-label").inner_text()  # the quote's
    assert dialog.get_by_test_id("source-box").count() >= 1
    page.wait_for_function(
        "document.querySelector('[data-testid=source-page]').naturalWidth > 0"
    )
    shot(page, "chat-source")
