"""/guard/lexicon and /guard/policies: administrators edit the sensitive-word lexicon over
HTTP (audited, the same edits as `tokenbase guard lexicon`, live for the fence) and read the
policies in force; nobody else may."""

from __future__ import annotations

from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from .test_errors import assert_error

SCENARIOS = {"guard": {"input": {"scenarios": {"hr": {"injection_action": "flag"}}}}}


def test_lexicon_add_list_remove_audited_and_live(make_app):  # type: ignore[no-untyped-def]
    _app, platform, key, client = make_app(**SCENARIOS)
    with platform.db.engine.begin() as conn:
        member = create_user(conn, "mia", password="mia-password")
        member_key = create_key(conn, member.id, "w", ["read", "write"])[1]
    with client(headers={"Authorization": f"Bearer {key}"}) as admin:
        before = admin.get("/guard/lexicon").json()
        assert before and {e["source"] for e in before} == {"bundled"}
        added = admin.post(
            "/guard/lexicon",
            json={"words": ["蓝海计划", " 蓝海计划 ", "红杉项目"], "category": "涉密词"},
        )
        assert added.status_code == 201, added.text
        assert added.json() == {"added": ["蓝海计划", "红杉项目"], "unchanged": ["蓝海计划"]}
        secret = admin.get("/guard/lexicon", params={"category": "涉密词"}).json()
        assert {"word": "蓝海计划", "category": "涉密词", "source": "database"} in secret
        verdict = admin.post("/guard/scan", json={"text": "蓝海计划的预算是多少？"}).json()
        assert "蓝海计划" in str(verdict["reasons"])  # the fence uses it at once
        assert admin.delete("/guard/lexicon", params={"word": "蓝海计划"}).status_code == 204
        assert_error(admin.delete("/guard/lexicon", params={"word": "蓝海计划"}), 404)
        bundled = before[0]
        hidden = admin.delete("/guard/lexicon", params=bundled)  # a bundled word: hidden
        assert hidden.status_code == 204
        assert bundled not in admin.get("/guard/lexicon").json()
        assert_error(
            admin.post("/guard/lexicon", json={"words": ["x" * 201], "category": "c"}),
            422,
        )
        actions = [(e["action"], e["detail"]) for e in admin.get("/audit").json()]
        assert ("lexicon.add", {"word": "红杉项目"}) in actions
        assert ("lexicon.remove", {"word": "蓝海计划"}) in actions
        assert sum(a == "lexicon.add" for a, _ in actions) == 2
        policies = admin.get("/guard/policies").json()
        assert policies["default"]["injection_action"] == "block"
        assert policies["scenarios"]["hr"]["injection_action"] == "flag"
        assert policies["scenarios"]["hr"]["block_threshold"] == 0.9  # resolved
        assert "tokenbase.toml" in policies["edit"]
    with client(headers={"Authorization": f"Bearer {member_key}"}) as other:
        for response in (
            other.get("/guard/lexicon"),
            other.post("/guard/lexicon", json={"words": ["a"], "category": "b"}),
            other.delete("/guard/lexicon", params={"word": "红杉项目"}),
            other.get("/guard/policies"),
        ):
            assert_error(response, 403, "admin_required")
