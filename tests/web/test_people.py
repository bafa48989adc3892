"""People and access in the browser: a department, a user with a one-time password shown
once, a read grant on a knowledge base, an API key shown once that works over the API until
it is revoked; and the page on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Served, login, shot, start_server, stop_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process, served = start_server(tmp_path_factory.mktemp("people"))
    with served.api("root") as api:
        api.post("/knowledge-bases", json={"name": "研发库", "description": "研发规范"})
    yield served
    stop_server(process)


def pick(page: Any, testid: str, option: str) -> None:
    """Choose an option of a Quasar select."""
    page.get_by_test_id(testid).click()
    page.get_by_role("option", name=option, exact=True).click()


def quiet(page: Any) -> None:
    page.evaluate("document.querySelectorAll('.q-notification').forEach(e => e.remove())")


def test_department_user_grant_and_api_key(page: Any, served: Served) -> None:
    login(page, served, "root", "/ui/people")

    # A department, then a user in it: the one-time password is shown once.
    page.get_by_test_id("dept-add-root").click()
    page.get_by_test_id("dept-name").fill("研发部")
    page.get_by_test_id("dept-save").click()
    page.get_by_test_id("dept-tree").get_by_text("研发部").wait_for()
    page.get_by_test_id("user-add").click()
    page.get_by_test_id("user-username").fill("dave")
    page.get_by_test_id("user-display-name").fill("戴维")
    pick(page, "user-department", "研发部")
    page.get_by_test_id("user-create").click()
    otp = page.get_by_test_id("otp").inner_text().strip()
    assert len(otp) >= 8
    page.get_by_test_id("otp-done").click()
    page.get_by_test_id("otp").wait_for(state="detached")
    dave = page.locator('[data-testid="user-row"][data-username="dave"]')
    assert "研发部" in dave.inner_text()
    assert "研发部（1 人）" in page.get_by_test_id("dept-tree").inner_text()
    reply = httpx.post(f"{served.url}/auth/login", json={"username": "dave", "password": otp})
    assert reply.status_code == 200 and reply.json()["must_change_password"]
    quiet(page)
    shot(page, "people")

    # A read grant on a knowledge base.
    page.get_by_test_id("tab-grants").click()
    page.get_by_test_id("grant-kb").wait_for()
    pick(page, "grant-who", "dave（戴维）")
    page.get_by_test_id("grant-add").click()
    page.locator('[data-testid="grant-row"][data-principal="dave"]').wait_for()
    with served.api("root") as api:
        grants = api.get("/knowledge-bases/研发库/grants").json()
    assert {(g["principal_name"], g["level"]) for g in grants} >= {("dave", "read")}
    quiet(page)
    shot(page, "people-grants")

    # An API key, shown once: it works until it is revoked.
    page.get_by_test_id("tab-keys").click()
    page.get_by_test_id("key-add").click()
    page.get_by_test_id("key-name").fill("夜间同步")
    page.get_by_test_id("key-create").click()
    key = page.get_by_test_id("new-key").inner_text().strip()
    assert key.startswith("tb_")
    page.get_by_test_id("new-key-done").click()
    page.get_by_test_id("new-key").wait_for(state="detached")
    assert key not in page.content()  # gone from the page once closed
    bearer = {"Authorization": f"Bearer {key}"}
    listed = httpx.get(f"{served.url}/knowledge-bases", headers=bearer)
    assert listed.status_code == 200 and [kb["name"] for kb in listed.json()] == ["研发库"]
    row = page.locator('[data-testid="key-row"][data-name="夜间同步"]')
    row.get_by_test_id("key-revoke").click()
    page.get_by_test_id("key-revoke-confirm").click()
    row.get_by_test_id("key-revoked").wait_for()
    page.locator(".q-dialog").wait_for(state="detached")
    quiet(page)
    shot(page, "people-keys")
    assert httpx.get(f"{served.url}/knowledge-bases", headers=bearer).status_code == 401

    # On a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{served.url}/ui/people")
    page.locator('[data-testid="user-row"][data-username="dave"]').wait_for()
    shot(page, "people-mobile")
