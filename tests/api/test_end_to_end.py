"""The whole story over real HTTP: first admin, departments, users, grants, keys, uploads with
classifications; two users ask the same question and get different, correct answers."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tokenbase.api import create_app
from tokenbase.config import load_settings
from tokenbase.identity.bootstrap import ensure_first_admin
from tokenbase.kb.platform import Platform

from .conftest import TEST_SETTINGS, LiveApi
from .server import LiveServer

TRAVEL = (
    "# 差旅管理制度\n\n## 住宿标准\n\n一线城市普通员工住宿每晚不超过500元，经理不超过650元。\n\n"
    "## 报销时限\n\n差旅费用应在出差结束后30天内提交报销。\n"
).encode()
EXEC_TRAVEL = (
    "# 高管差旅补充规定\n\n## 住宿标准\n\n总监及以上人员出差住宿每晚不超过1200元，可乘坐头等舱。\n"
).encode()
RD_RULES = "# 研发规范\n\n代码合并前必须经过两名同事评审。\n".encode()


def parse_sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def _login(url: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    response = client.post("/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return client


def test_two_users_same_question_different_answers(tmp_path: Path, database_url: str):
    platform = Platform(
        load_settings(tmp_path / "data", database_url=database_url, **TEST_SETTINGS)
    )
    _, first_password = ensure_first_admin(platform.db.engine)
    with LiveServer(create_app(platform)) as server:
        live = LiveApi(server.url, platform, "", server)
        admin = _login(server.url, "admin", first_password)
        # Session cookie: HttpOnly, SameSite=Lax; not Secure over plain http on loopback.
        cookie = admin.cookies.jar
        [session] = [c for c in cookie if c.name == "tokenbase_session"]
        assert session.has_nonstandard_attr("HttpOnly") and not session.secure
        # A one-time password must be changed before anything else.
        blocked = admin.get("/users")
        assert blocked.status_code == 403
        assert blocked.json()["error"]["code"] == "password_change_required"
        changed = admin.post(
            "/auth/password",
            json={"current_password": first_password, "new_password": "a-better-password"},
        )
        assert changed.status_code == 204

        # Departments: 总部 > 研发部 > 平台组, 总部 > 销售部; a cycle is refused.
        def dept(name: str, parent: int | None = None) -> int:
            r = admin.post("/departments", json={"name": name, "parent_id": parent})
            assert r.status_code == 201, r.text
            return r.json()["id"]

        hq = dept("总部")
        rd = dept("研发部", hq)
        platform_team = dept("平台组", rd)
        sales = dept("销售部", hq)
        cycle = admin.patch(f"/departments/{hq}", json={"parent_id": platform_team})
        assert cycle.status_code == 409
        assert cycle.json()["error"]["code"] == "department_cycle"
        tree = admin.get("/departments").json()
        assert tree[0]["name"] == "总部" and len(tree[0]["children"]) == 2

        # Users with different departments and clearances.
        for name, dept_id, clearance in (("alice", platform_team, 2), ("bob", sales, 1)):
            r = admin.post(
                "/users",
                json={
                    "username": name,
                    "password": f"{name}-password",
                    "clearance": clearance,
                    "department_id": dept_id,
                },
            )
            assert r.status_code == 201, r.text

        # Knowledge bases and grants: hr readable by all of 总部 (inherited), rd by 研发部.
        for kb, grantee in (("hr", hq), ("rd", rd)):
            assert admin.post("/knowledge-bases", json={"name": kb}).status_code == 201
            r = admin.put(
                f"/knowledge-bases/{kb}/grants",
                json={"principal_kind": "department", "principal": str(grantee), "level": "read"},
            )
            assert r.status_code == 200, r.text

        # Uploads with classifications.
        jobs = []
        for kb, name, data, level in (
            ("hr", "差旅制度.md", TRAVEL, "内部"),
            ("hr", "高管差旅补充规定.md", EXEC_TRAVEL, "机密"),
            ("rd", "研发规范.md", RD_RULES, "internal"),
        ):
            r = admin.post(
                f"/knowledge-bases/{kb}/documents",
                files=[("files", (name, data, "text/markdown"))],
                data={"classification": level, "licence": "internal use"},
            )
            assert r.status_code == 202, r.text
            jobs += [j["job_id"] for j in r.json()["jobs"]]
        admin_key = admin.post("/keys", json={"name": "ops", "scopes": ["admin"]}).json()["key"]
        rows = live.wait_for_jobs(jobs, key=admin_key)
        assert {r["status"] for r in rows} == {"done"}, rows

        # Alice signs in and makes herself a read-only key; Bob uses his session.
        alice_session = _login(server.url, "alice", "alice-password")
        created = alice_session.post("/keys", json={"name": "laptop", "scopes": ["read"]})
        assert created.status_code == 201 and created.json()["key"].startswith("tb_")
        alice = httpx.Client(
            base_url=server.url,
            timeout=60,
            headers={"Authorization": f"Bearer {created.json()['key']}"},
        )
        bob = _login(server.url, "bob", "bob-password")

        assert {k["name"] for k in alice.get("/knowledge-bases").json()} == {"hr", "rd"}
        assert {k["name"] for k in bob.get("/knowledge-bases").json()} == {"hr"}

        question = {"question": "总监出差住宿标准是多少？", "kbs": ["hr"]}
        a = alice.post("/ask", json=question).json()
        b = bob.post("/ask", json=question).json()
        assert a["found"] and "1200元" in a["answer"]
        assert any(c["title"] == "高管差旅补充规定" for c in a["citations"])
        assert "1200" not in json.dumps(b, ensure_ascii=False)
        assert all(c["title"] != "高管差旅补充规定" for c in b["citations"])
        assert all(r["title"] != "高管差旅补充规定" for r in b["results"])

        # The same answer as a stream: citations, one delta per sentence, done.
        with alice.stream("POST", "/ask/stream", json=question) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = parse_sse(stream.read().decode())
        names = [name for name, _ in events]
        assert names[0] == "citations" and names[-1] == "done" and "delta" in names
        text = "".join(data["text"] for name, data in events if name == "delta")
        assert text == events[-1][1]["answer"] == a["answer"]

        # Downloads: byte-identical for Alice; Bob's 404 equals the 404 for a missing id.
        secret_doc = next(c for c in a["citations"] if c["title"] == "高管差旅补充规定")
        original = alice.get(f"/documents/{secret_doc['document_id']}/original")
        assert original.status_code == 200 and original.content == EXEC_TRAVEL
        assert "attachment" in original.headers["content-disposition"]
        hidden = bob.get(f"/documents/{secret_doc['document_id']}/original")
        missing = bob.get("/documents/999999/original")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        assert bob.get(f"/documents/{secret_doc['document_id']}").json() == missing.json()

        # A chunk in context; Bob's view of it is indistinguishable from a missing chunk.
        chunk = alice.get(f"/chunks/{secret_doc['chunk_id']}", params={"context": 10}).json()
        assert "1200元" in chunk["text"] and chunk["kb"] == "hr"
        ctx = chunk["context"]
        assert ctx["text"][ctx["chunk_start"] : ctx["chunk_end"]] == chunk["text"]
        assert (
            bob.get(f"/chunks/{secret_doc['chunk_id']}").json() == bob.get("/chunks/9999999").json()
        )

        # Knowledge bases Bob may not read look exactly like ones that do not exist.
        r_forbidden = bob.post("/search", json={"query": "评审", "kbs": ["rd"]})
        r_missing = bob.post("/search", json={"query": "评审", "kbs": ["no-such-kb"]})
        assert r_forbidden.status_code == r_missing.status_code == 404
        assert r_forbidden.json() == r_missing.json()
        assert bob.get("/knowledge-bases/rd").json() == bob.get("/knowledge-bases/nope").json()
        hits = alice.post("/search", json={"query": "代码评审", "kbs": ["rd"]}).json()["hits"]
        assert hits and "评审" in hits[0]["text"]

        # Jobs are filtered too: Bob sees neither rd's job nor the 机密 document's.
        bob_jobs = {j["source"] for j in bob.get("/jobs").json()}
        assert bob_jobs == {"upload:差旅制度.md"}

        # Reclassify down: now Bob can read it (and search finds it for him).
        patched = admin.patch(
            f"/documents/{secret_doc['document_id']}", json={"classification": "内部"}
        )
        assert patched.status_code == 200 and patched.json()["classification_label"] == "内部"
        assert bob.get(f"/documents/{secret_doc['document_id']}").status_code == 200

        # Re-uploading a changed file under the same name replaces the document.
        r = admin.post(
            "/knowledge-bases/rd/documents",
            files=[
                (
                    "files",
                    (
                        "研发规范.md",
                        RD_RULES + "发布前必须通过全部测试。\n".encode(),
                        "text/markdown",
                    ),
                )
            ],
        )
        live.wait_for_jobs([r.json()["jobs"][0]["job_id"]], key=admin_key)
        docs = alice.get("/knowledge-bases/rd/documents").json()
        assert len(docs) == 1 and docs[0]["size_bytes"] > len(RD_RULES)

        # Revoked keys stop at once (401, not 403).
        key_id = created.json()["id"]
        assert alice_session.delete(f"/keys/{key_id}").status_code == 200
        revoked = alice.get("/knowledge-bases")
        assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "key_expired"

        # Logout ends the session.
        assert bob.post("/auth/logout").status_code == 204
        assert bob.get("/auth/me").status_code == 401

        metrics = httpx.get(f"{server.url}/metrics").text
        assert 'route="/documents/{document_id}/original"' in metrics
        assert "tokenbase_ingest_jobs" in metrics
        for client in (admin, alice, alice_session, bob):
            client.close()
    platform.close()
