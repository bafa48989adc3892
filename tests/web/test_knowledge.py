"""Knowledge admin in the browser: create a knowledge base, upload files and a folder, watch
each document's stages finish, see a corrupt file fail with its reason and retry it, relabel a
document, search the chunk browser with channel scores, edit the glossary; a member without
grants does not see the knowledge base."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import Served, login, shot, start_server, stop_server

KB = "制度库"
TRAVEL = (
    "# 差旅管理制度\n\n## 住宿标准\n\n一线城市普通员工住宿每晚不超过500元。\n\n"
    "## 报销时限\n\n差旅费用应在出差结束后30天内提交报销，逾期需部门负责人审批。\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process, served = start_server(
        tmp_path_factory.mktemp("knowledge"), server={"worker_poll_s": 0.5}
    )
    yield served
    stop_server(process)


def sample_files(tmp: Path) -> list[Path]:
    import docx

    travel = tmp / "差旅制度.md"
    travel.write_text(TRAVEL, encoding="utf-8")
    document = docx.Document()
    document.add_heading("报销流程", level=1)
    document.add_paragraph("员工提交报销单后，由财务部在五个工作日内完成审核并付款。")
    document.add_heading("发票要求", level=1)
    document.add_paragraph("发票抬头必须为公司全称，电子发票需打印并签字。")
    policy = tmp / "报销流程.docx"
    document.save(policy)
    broken = tmp / "损坏.pdf"
    broken.write_bytes(b"%PDF-1.7\n% this file was cut short\n1 0 obj << /Type /Catalog")
    return [travel, policy, broken]


def quiet(page: Any) -> None:
    """Drop the toasts before a screenshot."""
    page.evaluate("document.querySelectorAll('.q-notification').forEach(e => e.remove())")


def row(page: Any, name: str) -> Any:
    return page.locator(f'[data-testid="doc-row"][data-name="{name}"]')


def test_upload_progress_retry_relabel_and_chunk_browser(
    page: Any, served: Served, tmp_path: Path
) -> None:
    login(page, served, "root", "/ui/knowledge")
    page.get_by_test_id("kb-new").click()
    page.get_by_test_id("kb-name").fill(KB)
    page.get_by_test_id("kb-create").click()
    page.wait_for_url(re.compile(re.escape(quote(KB)) + "$"))
    page.get_by_test_id("kb-access").wait_for()

    files = sample_files(tmp_path)
    page.locator('[data-testid="file-upload"] input[type=file]').set_input_files(
        [str(p) for p in files]
    )
    row(page, "差旅制度.md").wait_for()
    quiet(page)
    shot(page, "knowledge-upload-progress")  # as the rows first appear, mid-way
    for name in ("差旅制度.md", "报销流程.docx"):
        done = row(page, name)
        done.and_(page.locator('[data-status="ready"]')).wait_for(timeout=60_000)
        for stage in ("parse", "chunk", "index", "embed"):
            assert done.locator(f'[data-stage="{stage}"]').get_attribute("data-state") == "done"
        assert done.locator('[data-stage="ocr"]').get_attribute("data-state") == "skipped"
    broken = row(page, "损坏.pdf")
    broken.and_(page.locator('[data-status="failed"]')).wait_for(timeout=60_000)
    reason = broken.get_by_test_id("doc-error").inner_text()
    assert reason.strip()
    assert broken.locator('[data-state="failed"]').count() == 1
    quiet(page)
    shot(page, "knowledge-documents")

    # Retry: the job is queued again and fails again (it is still corrupt).
    broken.get_by_test_id("retry").click()
    page.get_by_text("已重新排队").wait_for()
    broken.get_by_text("第 2 次尝试").wait_for(timeout=30_000)
    assert broken.get_attribute("data-status") == "failed"

    # A folder, through the browser's own directory input.
    folder = tmp_path / "部门资料"
    (folder / "人事").mkdir(parents=True)
    (folder / "人事" / "考勤.md").write_text("# 考勤\n\n每天九点前打卡。\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"junk")
    page.get_by_test_id("folder-input").set_input_files(str(folder))
    page.get_by_text("已加入处理队列：1 个文件").wait_for()
    row(page, "部门资料/人事/考勤.md").and_(page.locator('[data-status="ready"]')).wait_for(
        timeout=60_000
    )

    # Relabel a document: 内部 -> 机密.
    travel = row(page, "差旅制度.md")
    assert travel.get_by_test_id("doc-classification").inner_text() == "内部"
    travel.get_by_test_id("doc-edit").click()
    page.get_by_test_id("edit-classification").click()
    page.get_by_role("option", name="机密").click()
    page.get_by_test_id("edit-save").click()
    page.get_by_text("已保存").wait_for()
    page.wait_for_function(
        '() => [...document.querySelectorAll(\'[data-name="差旅制度.md"] '
        "[data-testid=doc-classification]')].some(e => e.innerText.trim() === '机密')"
    )

    # The chunk browser: channel scores per hit, and a chunk in its context.
    page.get_by_test_id("tab-chunks").click()
    page.get_by_test_id("chunk-query").fill("报销时限")
    page.get_by_test_id("chunk-search").click()
    hit = page.get_by_test_id("chunk-hit").first
    hit.wait_for()
    assert "差旅管理制度" in hit.inner_text()
    lexical = hit.locator('[data-channel="lexical"]').inner_text()
    assert re.search(r"词法: #1 · \d+\.\d{4}", lexical), lexical
    assert re.search(r"向量: #\d+ · ", hit.locator('[data-channel="dense"]').inner_text())
    assert re.search(r"融合: #1 · ", hit.locator('[data-channel="fused"]').inner_text())
    quiet(page)
    shot(page, "knowledge-chunks")
    hit.get_by_test_id("chunk-open").click()
    assert "30天内提交报销" in page.locator('[data-testid="chunk-context"] mark').inner_text()
    page.keyboard.press("Escape")

    # The list, and the glossary (administrators may edit it).
    page.goto(f"{served.url}/ui/knowledge")
    card = page.locator(f'[data-testid="kb-card"][data-kb="{KB}"]')
    assert "3 份文档" in card.inner_text()  # the corrupt file never became one
    shot(page, "knowledge-list")
    page.get_by_test_id("glossary").click()
    page.get_by_test_id("glossary-text").fill("报销 = 报账, 费用报销\n")
    page.get_by_test_id("glossary-save").click()
    page.get_by_text("术语表已保存").wait_for()
    with served.api("root") as api:
        assert api.get("/glossary").json()["groups"] == [["报销", "报账", "费用报销"]]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{served.url}/ui/knowledge/{quote(KB)}")
    row(page, "差旅制度.md").wait_for()
    shot(page, "knowledge-mobile")


def test_a_member_without_grants_does_not_see_it(page: Any, served: Served) -> None:
    with served.api("root") as api:
        api.post("/knowledge-bases", json={"name": "财务库"})
    login(page, served, "alice", "/ui/knowledge")
    page.get_by_test_id("kb-empty").wait_for()
    assert page.locator('[data-testid="kb-card"]').count() == 0
    page.goto(f"{served.url}/ui/knowledge/{quote('财务库')}")
    page.get_by_text("没有这个知识库，或你没有查看它的权限").wait_for()
