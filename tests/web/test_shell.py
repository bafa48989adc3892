"""The frame: sign in (and the forced password change), navigation by role, the language
switch, sign out, and that every asset comes from the server itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import Served, login, shot, start_server, stop_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    process, served = start_server(tmp_path_factory.mktemp("shell"))
    yield served
    stop_server(process)


def test_sign_in_navigation_language_and_sign_out(page: Any, served: Served) -> None:
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.goto(f"{served.url}/ui/knowledge")
    page.wait_for_url(re.compile(r"/ui/login\?next="))  # not signed in: to the form
    page.get_by_test_id("username").fill("alice")
    page.get_by_test_id("password").fill("wrong-password")
    page.get_by_test_id("sign-in").click()
    page.get_by_text("用户名或密码错误").wait_for()
    login(page, served, "alice")
    nav = page.locator("[data-nav]")
    assert "对话" in nav.all_inner_texts()
    assert "人员与权限" not in nav.all_inner_texts()  # administrators' pages are not offered
    shot(page, "chat-zh")
    page.get_by_test_id("lang-switch").click()
    page.get_by_text("Chat", exact=True).first.wait_for()
    assert "Knowledge" in page.locator("[data-nav]").all_inner_texts()
    page.get_by_test_id("lang-switch").click()
    page.get_by_text("对话", exact=True).first.wait_for()
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/ui/login"))
    assert hosts == {served.url.split("/")[2]}  # no CDN, no font service: all local


def test_a_members_view_of_an_admin_page(page: Any, served: Served) -> None:
    login(page, served, "bob", "/ui/people")
    page.get_by_text("只有管理员可以查看此页面").wait_for()


def test_the_one_time_password_must_be_changed_first(page: Any, served: Served) -> None:
    with served.api("root") as api:
        created = api.post("/users", json={"username": "carol"}).json()
    page.goto(f"{served.url}/ui/login")
    page.get_by_test_id("username").fill("carol")
    page.get_by_test_id("password").fill(created["one_time_password"])
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/ui/password$"))
    page.get_by_test_id("current").fill(created["one_time_password"])
    page.get_by_test_id("new").fill("carol-new-password")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(r"/ui/chat$"))


def test_a_member_manages_their_own_api_keys(page: Any, served: Served) -> None:
    login(page, served, "alice", "/ui/account")
    assert "alice" in page.get_by_test_id("account-who").inner_text()
    page.get_by_test_id("key-add").click()
    page.get_by_test_id("key-name").fill("笔记本")
    page.get_by_test_id("key-create").click()
    secret = page.get_by_test_id("new-key").inner_text().strip()
    assert secret.startswith("tb_")
    with httpx.Client(base_url=served.url) as client:
        me = client.get("/auth/me", headers={"authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["username"] == "alice"
