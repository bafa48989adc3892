"""Governance endpoints on every backend: the audit log records logins, user, key, grant and
budget changes and exports, and its verify endpoint catches tampering; approvals gate an
action behind a person with the right role; feedback becomes bad cases that export as JSONL.
Admin-only where it should be, one error shape throughout."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tokenbase.guard import approvals
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from .test_errors import assert_error

MONTH = datetime.now(UTC).strftime("%Y-%m")
RUNS: Counter[int] = Counter()


@pytest.fixture
def api(make_app):  # type: ignore[no-untyped-def]
    app, platform, key, client = make_app()
    with platform.db.engine.begin() as conn:
        mia = create_user(conn, "mia", password="mia-password-1")
        leo = create_user(conn, "leo", password=None)
        boss = create_user(conn, "boss", password=None, role="admin", clearance=3)
        keys = {
            "mia_read": create_key(conn, mia.id, "r", ["read"])[1],
            "mia_write": create_key(conn, mia.id, "w", ["write"])[1],
            "leo_write": create_key(conn, leo.id, "w", ["write"])[1],
            "boss": create_key(conn, boss.id, "a", ["admin"])[1],
            "boss_write": create_key(conn, boss.id, "bw", ["write"])[1],
        }
    clients = {"admin": client(headers={"Authorization": f"Bearer {key}"}), "anon": client()}
    for name, secret in keys.items():
        clients[name] = client(headers={"Authorization": f"Bearer {secret}"})
    clients["session"] = client()
    RUNS.clear()
    approvals.register_executor("send_external", lambda a, _: RUNS.update([a.id]) or {"ok": 1})
    yield platform, clients, {"mia": mia.id, "leo": leo.id}
    approvals.unregister_executor("send_external")
    for c in clients.values():
        c.close()


def _actions(admin, **params) -> list[str]:  # type: ignore[no-untyped-def]
    response = admin.get("/audit", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [e["action"] for e in reversed(response.json())]


def test_changes_are_audited_and_tampering_is_caught(api) -> None:  # type: ignore[no-untyped-def]
    platform, c, ids = api
    admin = c["admin"]
    assert admin.post("/knowledge-bases", json={"name": "hr"}).status_code == 201
    wrong = {"username": "mia", "password": "not-her-password"}
    assert c["session"].post("/auth/login", json=wrong).status_code == 401
    assert (
        c["session"]
        .post("/auth/login", json={"username": "mia", "password": "mia-password-1"})
        .status_code
        == 200
    )
    created = admin.post("/users", json={"username": "zoe", "role": "member"})
    assert created.status_code == 201
    zoe = created.json()["id"]
    assert admin.patch(f"/users/{zoe}", json={"clearance": 2}).status_code == 200
    grant = {"principal_kind": "user", "principal": "zoe", "level": "read"}
    assert admin.put("/knowledge-bases/hr/grants", json=grant).status_code == 200
    new_key = admin.post("/keys", json={"name": "ci", "scopes": ["read"]}).json()
    assert admin.delete(f"/keys/{new_key['id']}").status_code == 200
    budget = {"scope_kind": "scenario", "scope": "kb.ask", "hard_limit_cny": "100"}
    assert admin.post("/budgets", json=budget).status_code == 201
    assert admin.get("/ledger/export.csv", params={"month": MONTH}).status_code == 200

    assert _actions(admin) == [
        "kb.create",
        "auth.login_failed",
        "auth.login",
        "user.create",
        "user.update",
        "grant.set",
        "key.create",
        "key.revoke",
        "budget.set",
        "ledger.export",
    ]
    failed, login = admin.get("/audit", params={"action": "auth."}).json()[::-1]
    assert failed["action"] == "auth.login_failed" and failed["detail"]["username"] == "mia"
    assert "not-her-password" not in str(failed)
    assert (login["actor"], login["actor_id"], login["target"]) == (
        "mia",
        ids["mia"],
        f"user:{ids['mia']}",
    )
    [update] = admin.get("/audit", params={"action": "user.update"}).json()
    assert update["actor"] == "root" and update["detail"] == {"clearance": 2}
    entries = admin.get("/audit", params={"limit": 3}).json()
    assert [e["seq"] for e in entries] == [10, 9, 8]
    assert admin.get("/audit", params={"before_seq": 3}).json()[0]["seq"] == 2

    verified = admin.get("/audit/verify").json()
    assert verified["ok"] and verified["checked"] == 10 and verified["last_seq"] == 10
    with platform.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'someone' WHERE seq = 4"))
    verified = admin.get("/audit/verify").json()
    assert (verified["ok"], verified["first_bad_seq"], verified["checked"]) == (False, 4, 3)
    assert "changed" in verified["problem"]

    for who in ("mia_read", "mia_write", "boss_write"):
        assert_error(c[who].get("/audit"), 403)
        assert_error(c[who].get("/audit/verify"), 403)
    assert_error(c["anon"].get("/audit"), 401)


def test_approvals_gate_the_action(api) -> None:  # type: ignore[no-untyped-def]
    platform, c, ids = api
    body = {
        "kind": "send_external",
        "summary": "Mail the signed contract to the client",
        "payload": {"to": "client@example.com", "attachment": "合同.pdf"},
        "required_role": "member",  # cannot go below the configured role (admin)
    }
    assert_error(c["mia_read"].post("/approvals", json=body), 403, "insufficient_scope")
    created = c["mia_write"].post("/approvals", json=body)
    assert created.status_code == 201, created.text
    request = created.json()
    assert (request["status"], request["required_role"], request["requested_by"]) == (
        "pending",
        "admin",
        ids["mia"],
    )
    rid = request["id"]
    secret = {**body, "payload": {"to": "x", "smtp_password": "hunter2"}}
    assert_error(c["mia_write"].post("/approvals", json=secret), 422, "invalid_approval")

    assert_error(c["mia_write"].post(f"/approvals/{rid}/approve"), 403, "approval_not_allowed")
    assert_error(c["leo_write"].post(f"/approvals/{rid}/approve"), 403, "approval_not_allowed")
    # an administrator deciding with a key that lacks the admin scope
    assert_error(c["boss_write"].post(f"/approvals/{rid}/approve"), 403, "insufficient_scope")
    assert_error(c["admin"].post(f"/approvals/{rid}/reject", json={}), 422, "invalid_approval")
    assert RUNS[rid] == 0

    # the requester and the admins see it; another member does not
    assert [a["id"] for a in c["mia_read"].get("/approvals").json()] == [rid]
    assert c["leo_write"].get("/approvals").json() == []
    pending = c["admin"].get("/approvals", params={"status": "pending"}).json()
    assert [a["id"] for a in pending] == [rid]

    approved = c["admin"].post(f"/approvals/{rid}/approve", json={"reason": "合同已核对"})
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["execution"]) == ("approved", "done")
    assert approved.json()["result"] == {"ok": 1} and RUNS[rid] == 1
    assert_error(c["boss"].post(f"/approvals/{rid}/approve"), 409, "approval_already_decided")
    assert RUNS[rid] == 1
    assert c["admin"].get("/approvals", params={"status": "pending"}).json() == []

    other = c["mia_write"].post("/approvals", json=body).json()["id"]
    rejected = c["boss"].post(f"/approvals/{other}/reject", json={"reason": "收件人不对"})
    assert (rejected.json()["status"], rejected.json()["execution"]) == ("rejected", "")
    assert RUNS[other] == 0
    assert_error(c["admin"].post("/approvals/999/approve"), 404, "approval_not_found")
    assert_error(c["admin"].get("/approvals", params={"status": "maybe"}), 422)

    actions = _actions(c["admin"], action="approval.")
    assert actions == [
        "approval.request",
        "approval.approve",
        "approval.execute",
        "approval.request",
        "approval.reject",
    ]
    assert c["admin"].get("/audit/verify").json()["ok"]


def test_feedback_becomes_bad_cases_and_exports(api) -> None:  # type: ignore[no-untyped-def]
    platform, c, ids = api
    down = {
        "trace_id": "a" * 32,
        "rating": "down",
        "correction": "年休假5天",
        "question": "工作满3年有几天年假？",
        "answer": "年休假10天[1]",
    }
    response = c["mia_read"].post("/feedback", json=down)
    assert response.status_code == 201, response.text
    assert response.json()["badcase_id"] is not None
    up = c["mia_read"].post("/feedback", json={"trace_id": "b" * 32, "rating": "up"})
    assert up.status_code == 201 and up.json()["badcase_id"] is None
    other = {"trace_id": "c" * 32, "rating": "down", "question": "食堂几点开门？"}
    assert c["leo_write"].post("/feedback", json=other).status_code == 201
    assert_error(c["mia_read"].post("/feedback", json={**down, "rating": "meh"}), 422)
    assert_error(c["mia_read"].post("/feedback", json={"rating": "down"}), 422)
    assert_error(c["anon"].post("/feedback", json=down), 401)

    mine = c["mia_read"].get("/badcases").json()
    assert [(b["trace_id"], b["expected"]) for b in mine] == [("a" * 32, "年休假5天")]
    everyone = c["admin"].get("/badcases").json()
    assert len(everyone) == 2
    assert (
        c["admin"].get("/badcases", params={"trace_id": "c" * 32}).json()[0]["user_id"]
        == (ids["leo"])
    )

    export = c["admin"].get("/badcases/export.jsonl")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in export.text.splitlines()]
    assert [(r["question"], r["expected"], r["kind"]) for r in rows] == [
        ("工作满3年有几天年假？", "年休假5天", "feedback"),
        ("食堂几点开门？", "", "feedback"),
    ]
    assert {"trace_id", "created_at"} <= set(rows[0])
    assert_error(c["mia_read"].get("/badcases/export.jsonl"), 403)
    assert_error(c["boss_write"].get("/badcases/export.jsonl"), 403)
    assert _actions(c["admin"], action="badcase.") == ["badcase.export"]


def test_department_changes_are_audited(api) -> None:  # type: ignore[no-untyped-def]
    _platform, c, _ids = api
    admin = c["admin"]
    dept = admin.post("/departments", json={"name": "审计测试部"}).json()
    assert admin.patch(f"/departments/{dept['id']}", json={"name": "审计部"}).status_code == 200
    assert admin.delete(f"/departments/{dept['id']}").status_code == 204
    actions = [e["action"] for e in admin.get("/audit", params={"action": "department."}).json()]
    assert sorted(actions) == ["department.create", "department.delete", "department.update"]
    assert admin.get("/audit/verify").json()["ok"]


def test_a_misconfigured_audit_key_is_a_clear_503(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TB_EMPTY_AUDIT_KEY", "")
    _app, _platform, key, client = make_app(
        guard={"governance": {"audit_hmac_key_env": "TB_EMPTY_AUDIT_KEY"}}
    )
    with client(headers={"Authorization": f"Bearer {key}"}) as admin:
        r = admin.post("/knowledge-bases", json={"name": "hr"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert "TB_EMPTY_AUDIT_KEY" in r.json()["error"]["message"]
        # Nothing was half-done: the audited change rolled back with its entry.
        assert admin.get("/knowledge-bases").json() == []


def test_the_server_worker_expires_overdue_approvals(api_platform) -> None:  # type: ignore[no-untyped-def]
    import time
    from datetime import timedelta

    from sqlalchemy import select

    from tokenbase.api import create_app
    from tokenbase.db.schema import approvals as approvals_table
    from tokenbase.guard import approvals

    from .server import LiveServer

    platform = api_platform()
    with platform.db.engine.begin() as conn:
        request = approvals.request_approval(
            conn, "publish", {"page": "新闻稿"}, None, ttl=timedelta(milliseconds=50)
        )
    with LiveServer(create_app(platform)):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with platform.db.engine.connect() as conn:  # the stored status, not the effective one
                status = conn.execute(
                    select(approvals_table.c.status).where(approvals_table.c.id == request.id)
                ).scalar_one()
            if status == "expired":
                break
            time.sleep(0.1)
    assert status == "expired"
