"""Endpoints the web UI's knowledge admin needs, on every backend: job names and retry of a
failed job, a document's chunks, audited relabelling, and the glossary (read by all, written
by administrators, audited, used by the next query)."""

from __future__ import annotations

import pytest

from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from .test_errors import assert_error

NOTES = "# 差旅制度\n\n## 报销时限\n\n差旅费用应在出差结束后30天内提交报销。\n".encode()


@pytest.fixture
def api(make_app):  # type: ignore[no-untyped-def]
    app, platform, key, client = make_app()
    with platform.db.engine.begin() as conn:
        mia = create_user(conn, "mia", password="mia-password", clearance=1)
        noa = create_user(conn, "noa", password="noa-password", clearance=1)
        mia_key = create_key(conn, mia.id, "w", ["write"])[1]
        noa_key = create_key(conn, noa.id, "w", ["write"])[1]
    clients = {
        "admin": client(headers={"Authorization": f"Bearer {key}"}),
        "mia": client(headers={"Authorization": f"Bearer {mia_key}"}),
        "noa": client(headers={"Authorization": f"Bearer {noa_key}"}),
    }
    admin = clients["admin"]
    assert admin.post("/knowledge-bases", json={"name": "hr"}).status_code == 201
    admin.put(
        "/knowledge-bases/hr/grants",
        json={"principal_kind": "user", "principal": "mia", "level": "read"},
    )
    files = [
        ("files", ("travel.md", NOTES, "text/markdown")),
        ("files", ("broken.pdf", b"%PDF-1.4 this is not a pdf", "application/pdf")),
    ]
    queued = admin.post("/knowledge-bases/hr/documents", files=files)
    assert queued.status_code == 202, queued.text
    platform.ingestor().run()
    yield clients, platform
    for c in clients.values():
        c.close()


def _jobs(admin) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {j["name"]: j for j in admin.get("/jobs", params={"kb": "hr"}).json()}


def test_a_failed_job_is_retried(api) -> None:  # type: ignore[no-untyped-def]
    c, platform = api
    admin = c["admin"]
    jobs = _jobs(admin)
    done, failed = jobs["travel.md"], jobs["broken.pdf"]
    assert done["status"] == "done" and done["stage"] == "done" and done["finished_at"]
    assert failed["status"] == "failed" and failed["error"] and failed["error_code"]
    assert failed["attempts"] == 1
    assert_error(admin.post(f"/jobs/{done['id']}/retry"), 409, "job_not_failed")
    assert_error(c["mia"].post(f"/jobs/{failed['id']}/retry"), 403, "kb_access_denied")
    assert_error(c["noa"].post(f"/jobs/{failed['id']}/retry"), 404, "job_not_found")
    retried = admin.post(f"/jobs/{failed['id']}/retry")
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["status"], body["stage"], body["error"], body["finished_at"]) == (
        "queued",
        "fetch",
        None,
        None,
    )
    platform.ingestor().run()  # a corrupt file fails again, from its stored bytes
    again = admin.get(f"/jobs/{failed['id']}").json()
    assert again["status"] == "failed" and again["attempts"] == 2 and again["error"]


def test_document_chunks_and_audited_relabel(api) -> None:  # type: ignore[no-untyped-def]
    c, _ = api
    admin = c["admin"]
    [doc] = admin.get("/knowledge-bases/hr/documents").json()
    assert doc["parser"] and doc["ocr_pages"] == 0 and doc["status"] == "ready"
    chunks = admin.get(f"/documents/{doc['id']}/chunks").json()
    assert [ch["ordinal"] for ch in chunks] == list(range(doc["chunk_count"]))
    assert "30天" in "".join(ch["text"] for ch in chunks)
    assert c["mia"].get(f"/documents/{doc['id']}/chunks").status_code == 200
    assert_error(c["noa"].get(f"/documents/{doc['id']}/chunks"), 404, "document_not_found")
    assert_error(
        c["mia"].patch(f"/documents/{doc['id']}", json={"classification": "公开"}),
        403,
        "kb_access_denied",
    )
    changed = admin.patch(
        f"/documents/{doc['id']}", json={"classification": "机密", "usage": "external"}
    ).json()
    assert changed["classification_label"] == "机密" and changed["usage"] == "external"
    # mia (clearance 内部) no longer sees it, nor its chunks
    assert c["mia"].get("/knowledge-bases/hr/documents").json() == []
    assert_error(c["mia"].get(f"/documents/{doc['id']}/chunks"), 404, "document_not_found")
    [entry] = admin.get("/audit", params={"action": "document.update"}).json()
    assert entry["target"] == f"document:{doc['id']}"
    assert entry["detail"]["classification"] == "机密"
    assert entry["detail"]["before"] == {"classification": 1, "usage": "internal"}


def test_glossary_read_write_and_used_by_search(api) -> None:  # type: ignore[no-untyped-def]
    c, platform = api
    admin = c["admin"]
    assert c["mia"].get("/glossary").json() == {"text": "", "groups": [], "terms": 0}

    def found(query: str) -> int:
        body = {"query": query, "kbs": ["hr"], "mode": "lexical"}
        return len(admin.post("/search", json=body).json()["hits"])

    assert found("报账") == 0
    text = "# 公司术语\n报销 = 报账, 费用报销\nKB = 知识库\n"
    assert_error(c["mia"].put("/glossary", json={"text": text}), 403, "admin_required")
    err = assert_error(admin.put("/glossary", json={"text": "= 报账\n"}), 422, "invalid_glossary")
    assert "glossary:1" in err["message"]
    saved = admin.put("/glossary", json={"text": text})
    assert saved.status_code == 200, saved.text
    assert saved.json()["groups"] == [["报销", "报账", "费用报销"], ["KB", "知识库"]]
    assert c["mia"].get("/glossary").json()["text"] == text
    assert (platform.settings.data_dir / "glossary.txt").read_text(encoding="utf-8") == text
    assert found("报账") == 1  # the synonym expands the query at once
    [entry] = admin.get("/audit", params={"action": "glossary."}).json()
    assert entry["detail"]["groups"] == 2 and entry["actor"] == "root"
