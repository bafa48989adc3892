"""Every error has the same JSON shape, FastAPI's own 404/405/422 and crashes included;
401 (who are you?) and 403 (not allowed) stay distinct."""

from __future__ import annotations

import pytest

from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user


def assert_error(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture
def api(make_app):  # type: ignore[no-untyped-def]
    app, platform, key, client = make_app()
    with platform.db.engine.begin() as conn:
        member = create_user(conn, "mia", password="mia-password", clearance=1)
        read_key = create_key(conn, member.id, "r", ["read"])[1]
        write_key = create_key(conn, member.id, "w", ["write"])[1]

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    admin = client(headers={"Authorization": f"Bearer {key}"})
    admin.factory = client
    reader = client(headers={"Authorization": f"Bearer {read_key}"})
    writer = client(headers={"Authorization": f"Bearer {write_key}"})
    anonymous = client()
    assert admin.post("/knowledge-bases", json={"name": "hr"}).status_code == 201
    yield admin, reader, writer, anonymous
    for c in (admin, reader, writer, anonymous):
        c.close()


def test_error_shape_across_endpoints(api, caplog):  # type: ignore[no-untyped-def]
    admin, reader, writer, anonymous = api
    # FastAPI's own errors.
    assert_error(admin.get("/no/such/route"), 404, "not_found")
    assert_error(admin.delete("/healthz"), 405, "method_not_allowed")
    err = assert_error(admin.post("/search", json={"kbs": ["hr"]}), 422, "validation_error")
    assert err["message"].startswith("query:") and err["details"][0]["field"] == "query"
    err = assert_error(admin.post("/search", json={"query": "x", "limit": 0}), 422)
    assert "limit" in err["message"]
    err = assert_error(admin.get("/jobs", params={"limit": "many"}), 422)
    assert "limit" in err["message"]
    assert_error(
        admin.post("/search", content=b"{not json", headers={"content-type": "application/json"}),
        422,
    )
    assert_error(admin.get("/documents/abc"), 422)
    err = assert_error(admin.post("/users", json={"username": "x", "clearance": 9}), 422)
    assert "clearance" in err["message"]
    assert_error(admin.post("/knowledge-bases/hr/documents"), 422)
    # Ours.
    assert_error(admin.get("/documents/12345"), 404, "document_not_found")
    assert_error(admin.get("/chunks/12345"), 404, "chunk_not_found")
    assert_error(admin.get("/jobs/12345"), 404, "job_not_found")
    assert_error(admin.get("/users/12345"), 404)
    assert_error(admin.get("/knowledge-bases/nope/documents"), 404, "kb_not_found")
    assert_error(admin.post("/ask", json={"question": "x", "kbs": ["nope"]}), 404, "kb_not_found")
    assert_error(admin.post("/knowledge-bases", json={"name": "hr"}), 409, "kb_exists")
    assert_error(admin.post("/users", json={"username": "mia", "password": "long-enough"}), 409)
    assert_error(admin.delete("/departments/999"), 404)
    assert_error(
        admin.patch("/documents/1", json={"classification": "top"}), 404, "document_not_found"
    )
    # An unhandled exception: JSON 500 with a request id; the details stay in the server log.
    with caplog.at_level("ERROR"):
        err = assert_error(admin.get("/boom"), 500, "internal_error")
    assert "secret internals" not in str(err)
    request_id = err["details"]["request_id"]
    assert any(request_id in r.getMessage() for r in caplog.records)
    assert "secret internals" in caplog.text


def test_401_versus_403(api):  # type: ignore[no-untyped-def]
    admin, reader, writer, anonymous = api
    client_factory = admin.factory
    # 401: no credentials, a malformed key, an unknown key, a stale session cookie.
    r = anonymous.get("/knowledge-bases")
    assert_error(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"] == "Bearer"
    assert_error(anonymous.get("/knowledge-bases", headers={"Authorization": "Bearer nope"}), 401)
    bad = "tb_000000000000_" + "x" * 43
    assert_error(anonymous.get("/auth/me", headers={"Authorization": f"Bearer {bad}"}), 401)
    with client_factory(cookies={"tokenbase_session": "forged"}) as forged:
        assert_error(forged.get("/auth/me"), 401)
    # 403: authenticated, but the role or the key's scope does not allow it.
    assert_error(writer.get("/users"), 403, "admin_required")
    assert_error(writer.post("/departments", json={"name": "x"}), 403, "admin_required")
    assert_error(
        writer.patch("/users/1", json={"clearance": 3}), 403, "admin_required"
    )  # a member cannot raise their own clearance
    files = [("files", ("a.md", b"# a\n\ntext\n", "text/markdown"))]
    assert_error(
        reader.post("/knowledge-bases/hr/documents", files=files), 403, "insufficient_scope"
    )
    assert_error(reader.post("/knowledge-bases", json={"name": "x"}), 403, "insufficient_scope")
    assert_error(reader.post("/keys", json={"name": "k", "scopes": ["write"]}), 403)
    # A member with write scope but no grant: the KB does not exist for them (404, not 403).
    assert_error(writer.post("/knowledge-bases/hr/documents", files=files), 404, "kb_not_found")
    # Read grant only: 403 on upload, since the KB is visible to them.
    admin.put(
        "/knowledge-bases/hr/grants",
        json={"principal_kind": "user", "principal": "mia", "level": "read"},
    )
    assert_error(writer.post("/knowledge-bases/hr/documents", files=files), 403, "kb_access_denied")
    assert_error(writer.get("/knowledge-bases/hr/grants"), 403, "kb_access_denied")
    # Above one's own clearance: refused.
    admin.put(
        "/knowledge-bases/hr/grants",
        json={"principal_kind": "user", "principal": "mia", "level": "write"},
    )
    r = writer.post("/knowledge-bases/hr/documents", files=files, data={"classification": "绝密"})
    assert_error(r, 403, "classification_above_clearance")
    # Operations endpoints stay open.
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200


def test_openapi_has_stable_operation_ids_and_offline_docs(api):  # type: ignore[no-untyped-def]
    admin, *_ = api
    spec = admin.get("/openapi.json").json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"search", "ask", "ask_stream", "upload_documents", "download_original", "login"} <= ids
    page = admin.get("/docs").text
    assert "cdn" not in page.lower() and "/static-offline-docs/swagger-ui-bundle.js" in page
    assert admin.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
