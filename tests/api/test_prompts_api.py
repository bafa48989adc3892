"""Prompt-library endpoints on every backend: create, commit, list, show, labels (production
needs an admin with the admin scope or a prompt owner, and is audited), reports (admin)."""

from __future__ import annotations

from datetime import UTC, datetime

from tokenbase.guard import audit, badcases
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user
from tokenbase.ledger import Attribution, CallRecord

from .test_errors import assert_error

MONTH = datetime.now(UTC).strftime("%Y-%m")
PRICES = {"ledger": {"prices": [{"model": "acme/m", "input": "10", "output": "20"}]}}


def _key(platform, username: str, scopes: list[str], role: str = "member") -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with platform.db.engine.begin() as conn:
        user = create_user(conn, username, password="a-long-password-1", role=role)
        return user.id, create_key(conn, user.id, "t", scopes)[1]


def _h(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_create_commit_show_and_list(make_app):  # type: ignore[no-untyped-def]
    _app, platform, admin, client = make_app()
    mia_id, mia = _key(platform, "mia", ["read", "write"])
    _reader_id, reader = _key(platform, "rex", ["read"])
    with client() as http:
        made = http.post(
            "/prompts",
            headers=_h(mia),
            json={
                "name": "sales.mail",
                "body": [
                    {"role": "system", "content": "Tone: {{tone}}"},
                    {"role": "user", "content": "{{points}}"},
                ],
                "variables": [
                    {
                        "name": "tone",
                        "type": "enum",
                        "choices": ["formal", "casual"],
                        "default": "formal",
                    },
                    {"name": "points", "type": "list"},
                ],
                "params": {"temperature": 0.3, "tier": "fast"},
                "message": "first draft",
            },
        )
        assert made.status_code == 201, made.text
        assert made.json()["ref"] == "sales.mail@1"
        assert made.json()["author_id"] == mia_id and made.json()["labels"] == ["latest"]
        assert_error(
            http.post("/prompts", headers=_h(reader), json={"name": "x", "body": "y"}),
            403,
            "insufficient_scope",
        )
        assert_error(
            http.post("/prompts", headers=_h(mia), json={"name": "sales.mail", "body": "y"}),
            409,
            "conflict",
        )
        bad = http.post("/prompts", headers=_h(mia), json={"name": "q", "body": "{{x}}"})
        assert_error(bad, 422, "invalid_template")
        assert "{{x}}" in bad.json()["error"]["message"]
        second = http.post(
            "/prompts/sales.mail/versions",
            headers=_h(mia),
            json={"params": {"temperature": 0.1}, "message": "cooler"},
        )
        assert second.status_code == 201 and second.json()["version"] == 2
        assert second.json()["body"][0]["content"] == "Tone: {{tone}}"
        assert_error(
            http.post("/prompts/nope/versions", headers=_h(mia), json={"message": "m"}),
            404,
            "not_found",
        )
        shown = http.get("/prompts/sales.mail", headers=_h(reader)).json()
        assert [v["version"] for v in shown["versions"]] == [2, 1]
        assert shown["labels"] == {"latest": 2} and shown["latest"] == 2
        names = [p["name"] for p in http.get("/prompts", headers=_h(reader)).json()]
        assert names == ["agent.route", "kb.answer.en", "kb.answer.zh", "sales.mail"]


def test_production_label_needs_admin_or_owner(make_app):  # type: ignore[no-untyped-def]
    _app, platform, admin, client = make_app(prompts={"owners": ["olga"]})
    _, mia = _key(platform, "mia", ["read", "write"])
    _, olga = _key(platform, "olga", ["read", "write"])
    _, weak_admin = _key(platform, "ada", ["read", "write"], role="admin")
    with client() as http:
        http.post("/prompts", headers=_h(mia), json={"name": "p", "body": "one", "message": "m"})
        http.post("/prompts/p/versions", headers=_h(mia), json={"body": "two", "message": "m"})
        ok = http.put("/prompts/p/labels/staging", headers=_h(mia), json={"version": 1})
        assert ok.status_code == 200 and ok.json()["labels"] == ["staging"]
        for key in (mia, weak_admin):
            assert_error(
                http.put("/prompts/p/labels/production", headers=_h(key), json={"version": 1}),
                403,
                "forbidden",
            )
        assert (
            http.put(
                "/prompts/p/labels/production", headers=_h(olga), json={"version": 1}
            ).status_code
            == 200
        )
        moved = http.put("/prompts/p/labels/production", headers=_h(admin), json={"version": 2})
        assert moved.json()["labels"] == ["latest", "production"]
        assert_error(
            http.put("/prompts/p/labels/latest", headers=_h(admin), json={"version": 1}),
            400,
            "invalid_input",
        )
        entries = http.get("/audit", headers=_h(admin), params={"action": "prompt."}).json()
    assert [(e["actor"], e["detail"]["label"], e["detail"]["version"]) for e in entries] == [
        ("root", "production", 2),
        ("olga", "production", 1),
        ("mia", "staging", 1),
    ]
    assert audit.verify(platform.db.engine).ok


def test_reports_are_for_admins(make_app):  # type: ignore[no-untyped-def]
    _app, platform, admin, client = make_app(**PRICES)
    mia_id, mia = _key(platform, "mia", ["read", "write"])
    with client() as http:
        http.post("/prompts", headers=_h(admin), json={"name": "p", "body": "hi", "message": "m"})
    for i in range(2):
        platform.ledger.record(
            CallRecord(
                kind="chat",
                provider="acme",
                model="m",
                deployment="public",
                started_at=datetime.now(UTC),
                request_id=f"r{i}",
                prompt_tokens=1000,
                completion_tokens=500,
                prompt_name="p@1",
            ),
            Attribution(user_id=mia_id, trace_id=f"t{i}"),
        )
    with platform.db.engine.begin() as conn:
        badcases.record_feedback(conn, "t0", mia_id, "up")
    with client() as http:
        assert_error(http.get("/prompts/reports", headers=_h(mia)), 403, "admin_required")
        rows = http.get("/prompts/reports", headers=_h(admin), params={"month": MONTH}).json()
        people = http.get(
            "/prompts/reports", headers=_h(admin), params={"by": "contributor"}
        ).json()
        assert_error(
            http.get("/prompts/reports", headers=_h(admin), params={"by": "day"}),
            422,
            "validation_error",
        )
    row = {r["ref"]: r for r in rows["rows"]}["p@1"]
    assert (row["calls"], row["users"], row["cost_cny"], row["acceptance"]) == (
        2,
        1,
        "0.040000",
        "1.0000",
    )
    assert row["uses_by_others"] == 2 and row["effective"] is False  # fewer than 5 uses
    assert {r["contributor"]: r["versions"] for r in people["rows"]} == {"root": 1, "system": 3}
