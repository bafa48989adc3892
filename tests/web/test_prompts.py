"""The prompt library in the browser: create a prompt, commit a second version, see the
changed line in the diff, move the `staging` label; a member who tries to move `production`
sees the API's refusal; an administrator sees the per-version statistics (the built-in
kb.answer prompts exist on a fresh instance)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from tokenbase.db.schema import users
from tokenbase.kb.platform import Platform
from tokenbase.ledger.attribution import Attribution
from tokenbase.ledger.calls import CallRecord

from .conftest import Served, login, shot, start_server, stop_server

NAME = "faq.answer"


def _usage(platform: Platform) -> None:
    """This month's metered calls of the built-in answer prompts, for the statistics."""
    with platform.db.engine.connect() as conn:
        ids = dict(conn.execute(select(users.c.username, users.c.id)).all())
    for n, (ref, user) in enumerate(
        [("kb.answer.zh@1", "alice")] * 5 + [("kb.answer.zh@1", "bob"), ("kb.answer.en@1", "bob")]
    ):
        call = CallRecord(
            kind="chat",
            provider="deepseek",
            model="deepseek-chat",
            deployment="public",
            started_at=datetime.now(UTC),
            request_id=f"req-{n}",
            prompt_tokens=1200,
            completion_tokens=300,
            prompt_name=ref,
        )
        platform.ledger.record(call, Attribution(user_id=ids[user], trace_id=f"t{n}"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process, served = start_server(tmp_path_factory.mktemp("prompts"), prepare=_usage)
    yield served
    stop_server(process)


def _quiet(page: Any) -> None:
    """Dismiss the notifications before a screenshot."""
    page.evaluate("document.querySelectorAll('.q-notification').forEach(n => n.remove())")


def _prompt(served: Served) -> dict[str, Any]:
    with served.api("root") as api:
        return api.get(f"/prompts/{NAME}").json()


def _choose(page: Any, testid: str, option: str) -> None:
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option).click()


def test_create_commit_diff_label_and_statistics(page: Any, served: Served) -> None:
    login(page, served, "root", "/ui/prompts")
    page.locator('[data-testid=prompt-item][data-name="kb.answer.zh"]').wait_for()

    page.get_by_test_id("new-prompt").click()
    page.get_by_test_id("prompt-name").fill(NAME)
    page.get_by_test_id("prompt-description").fill("常见问题回答")
    page.get_by_test_id("message-0").fill("你是客服助手。\n回答要简洁。\n不要编造。")
    page.get_by_test_id("param-temperature").fill("0.2")
    page.get_by_test_id("prompt-message").fill("first draft")
    page.get_by_test_id("prompt-save").click()
    page.locator(f'[data-testid=prompt-item][data-name="{NAME}"]').wait_for()
    assert _prompt(served)["versions"][0]["params"] == {"temperature": 0.2}

    page.get_by_test_id("commit-version").click()
    page.get_by_test_id("message-0").fill("你是客服助手。\n回答要简洁，并引用来源。\n不要编造。")
    page.get_by_test_id("prompt-message").fill("cite sources")
    page.get_by_test_id("prompt-save").click()
    page.locator("[data-testid=version][data-version='2']").wait_for()
    prompt = _prompt(served)
    assert prompt["latest"] == 2
    assert prompt["versions"][0]["message"] == "cite sources"
    assert prompt["versions"][0]["variables"] == prompt["versions"][1]["variables"]

    page.get_by_test_id("open-diff").click()
    diff = page.get_by_test_id("diff")
    diff.locator("tr.diff-del").get_by_text("回答要简洁。").wait_for()
    diff.locator("tr.diff-add").get_by_text("回答要简洁，并引用来源。").wait_for()
    assert diff.locator("tr.diff-add").count() == 1
    page.get_by_test_id("diff-mode").get_by_text("左右对照").click()
    page.get_by_test_id("diff").locator("ins").get_by_text("，并引用来源").wait_for()
    _quiet(page)
    shot(page, "prompts-diff")
    page.keyboard.press("Escape")

    _choose(page, "label-version", "v1 · first draft")
    page.get_by_test_id("label-move").click()  # `staging` is the preset label
    page.locator("[data-testid=prompt-detail] [data-label=staging]").get_by_text(
        "staging → v1"
    ).wait_for()
    assert _prompt(served)["labels"]["staging"] == 1
    _quiet(page)
    shot(page, "prompts")

    page.get_by_test_id("tab-stats").click()
    stats = page.get_by_test_id("stats-versions")
    stats.get_by_text("kb.answer.zh@1").wait_for()
    stats.get_by_text(f"{NAME}@2").wait_for()
    page.get_by_test_id("stats-contributors").get_by_text("system").wait_for()
    row = stats.locator("tr", has_text="kb.answer.zh@1")
    assert row.locator("td").nth(3).inner_text() == "6"  # calls
    assert row.locator("td").nth(4).inner_text() == "2"  # users
    page.get_by_test_id("prompt-chart").wait_for()
    shot(page, "prompts-stats")


def test_a_member_cannot_move_production(page: Any, served: Served) -> None:
    with served.api("root") as api:
        if api.get(f"/prompts/{NAME}").status_code == 404:
            body = [
                {"role": "system", "content": "你是客服助手。"},
                {"role": "user", "content": "{{q}}"},
            ]
            api.post(
                "/prompts",
                json={"name": NAME, "body": body, "variables": [{"name": "q"}]},
            ).raise_for_status()
    before = _prompt(served)["labels"].get("production")
    login(page, served, "alice", f"/ui/prompts?name={NAME}")
    page.get_by_test_id("prompt-detail").get_by_text(NAME).first.wait_for()
    assert page.get_by_test_id("tab-stats").count() == 0
    _choose(page, "label-name", "production")
    page.get_by_test_id("label-move").click()
    error = page.get_by_test_id("label-error")
    error.get_by_text("无权移动该标签").wait_for()
    assert "needs an administrator" in error.inner_text()
    assert _prompt(served)["labels"].get("production") == before


def test_the_library_on_a_phone(browser: Any, served: Served) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        login(page, served, "alice", "/ui/prompts?name=kb.answer.zh")
        page.get_by_test_id("prompt-detail").get_by_text("kb.answer.zh").first.wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1  # nothing wider than the screen
        shot(page, "prompts-mobile")
    finally:
        context.close()


# -- the diff and the editor's variables, without a browser ---------------------------------


def test_the_diff_marks_changed_lines_and_escapes_html() -> None:
    from tokenbase.web.pages.prompts_diff import (
        changed_lines,
        side_by_side_html,
        unified_html,
        version_text,
    )

    old = version_text({"body": [{"role": "system", "content": "a\n<b>x</b>\nc"}]})
    new = version_text(
        {"body": [{"role": "system", "content": "a\n<b>y</b>\nc"}], "params": {"temperature": 0.2}}
    )
    assert changed_lines(old, new) == (1, 3)  # the line, and the params section added
    unified = unified_html(old, new)
    assert '<tr class="diff-del">' in unified and "&lt;b&gt;x&lt;/b&gt;" in unified
    assert "<b>" not in unified  # prompt text never becomes markup
    split = side_by_side_html(old, new)
    assert "<del>x</del>" in split and "<ins>y</ins>" in split
    assert unified_html(old, old) == ""


def test_variables_follow_the_placeholders() -> None:
    from tokenbase.web.pages.prompts_editor import declare, placeholders

    names = placeholders(["{{ question }} and \\{{literal}}", "{{sources}} {{question}}"])
    assert names == ["question", "sources"]
    known = [{"name": "sources", "type": "str", "required": True, "description": "blocks"}]
    assert declare(names, known) == [
        {"name": "question", "type": "str"},
        {"name": "sources", "type": "str", "description": "blocks"},
    ]
