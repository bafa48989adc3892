"""Abuse limits: upload size (413), type (415), unsafe names and archives (422), archive
bombs (413), per-caller rate limit and login throttling (429 + Retry-After), expired keys."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from tokenbase.identity.clock import utcnow
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from .test_errors import assert_error


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _upload(client, name: str, data: bytes, kb: str = "hr"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/knowledge-bases/{kb}/documents",
        files=[("files", (name, data, "application/octet-stream"))],
    )


def test_upload_limits(make_app):  # type: ignore[no-untyped-def]
    _app, platform, key, client = make_app(
        server={"max_upload_mb": 0.5, "zip_max_entries": 5, "zip_max_ratio": 50}
    )
    with client(headers={"Authorization": f"Bearer {key}"}) as admin:
        admin.post("/knowledge-bases", json={"name": "hr"})
        # 413: one file over the limit.
        err = assert_error(_upload(admin, "big.txt", b"x" * 2_000_000), 413, "payload_too_large")
        assert "server.max_upload_mb" in err["message"]
        # 415: the message lists what is supported.
        err = assert_error(_upload(admin, "tool.exe", b"MZ..."), 415, "unsupported_media_type")
        assert ".pdf" in err["message"] and ".docx" in err["message"] and ".zip" in err["message"]
        # 422: path traversal and absolute names in a plain upload.
        for bad in ("../../etc/passwd.txt", "/etc/x.md", "a/../../b.md", "a\\..\\..\\b.md"):
            assert_error(_upload(admin, bad, b"hello"), 422, "unsafe_filename")
        # A Windows full path (old browsers send them) is cut to its file name by the parser.
        windows = _upload(admin, "C:\\Users\\me\\x.md", b"hello")
        assert windows.status_code == 202 and windows.json()["jobs"][0]["source"] == "upload:x.md"
        # A folder as .zip: supported files queued under their relative names, others listed.
        folder = _zip(
            {
                "policies/差旅.md": "# 差旅\n\n住宿每晚不超过500元。\n".encode(),
                "policies/notes.txt": b"plain notes",
                "policies/tool.exe": b"MZ",
                "__MACOSX/policies/._差旅.md": b"junk",
            }
        )
        r = admin.post(
            "/knowledge-bases/hr/documents",
            files=[("files", ("policies.zip", folder, "application/zip"))],
            data={"classification": "公开"},
        )
        assert r.status_code == 202, r.text
        body = r.json()
        assert sorted(j["source"] for j in body["jobs"]) == [
            "upload:policies/notes.txt",
            "upload:policies/差旅.md",
        ]
        assert body["skipped"] == [{"name": "policies/tool.exe", "reason": "unsupported type"}]
        # The worker-less app: run the queued jobs here, then the original is served back.
        summary = platform.ingestor().run()
        assert len(summary.done) == 3 and not summary.failed
        docs = admin.get("/knowledge-bases/hr/documents").json()
        md = next(d for d in docs if d["source"] == "upload:policies/差旅.md")
        assert md["classification_label"] == "公开"
        original = admin.get(f"/documents/{md['id']}/original")
        assert original.content == "# 差旅\n\n住宿每晚不超过500元。\n".encode()
        assert "filename*=UTF-8''%E5%B7%AE%E6%97%85.md" in original.headers["content-disposition"]
        # Archives with '..' or absolute entries are refused whole.
        for entry in ("../evil.md", "/abs.md", "a/../../evil.md"):
            archive = _zip({"ok.md": b"fine", entry: b"evil"})
            assert_error(_upload(admin, "x.zip", archive), 422, "unsafe_zip_entry")
        # Too many entries, and a bomb (one entry compressed far past the ratio limit).
        many = _zip({f"f{i}.md": b"x" for i in range(6)})
        assert_error(_upload(admin, "many.zip", many), 413, "zip_too_many_entries")
        bomb = _zip({"zeros.txt": b"\0" * 20_000_000})
        assert len(bomb) < 100_000
        err = assert_error(_upload(admin, "bomb.zip", bomb), 413, "zip_bomb")
        assert "archive bomb" in err["message"]
        assert_error(_upload(admin, "fake.zip", b"not a zip"), 422, "invalid_zip")


def test_rate_limit_per_key_with_retry_after(make_app):  # type: ignore[no-untyped-def]
    _app, platform, key, client = make_app(server={"rate_limit_per_minute": 3})
    with platform.db.engine.begin() as conn:
        other = create_key(conn, 1, "other", ["read"])[1]
    with client(headers={"Authorization": f"Bearer {key}"}) as admin:
        for _ in range(3):
            assert admin.get("/knowledge-bases").status_code == 200
        limited = admin.get("/knowledge-bases")
        assert_error(limited, 429, "rate_limited")
        assert 1 <= int(limited.headers["retry-after"]) <= 20
    with client(headers={"Authorization": f"Bearer {other}"}) as second:
        assert second.get("/knowledge-bases").status_code == 200  # buckets are per key


def test_expired_key_is_401(make_app):  # type: ignore[no-untyped-def]
    _app, platform, _key, client = make_app()
    with platform.db.engine.begin() as conn:
        user = create_user(conn, "ci", password=None)
        key, secret = create_key(
            conn, user.id, "short", ["read"], expires_at=utcnow() + timedelta(hours=1)
        )
        conn.exec_driver_sql("UPDATE api_keys SET expires_at = '2001-01-01 00:00:00.000000'")
    with client(headers={"Authorization": f"Bearer {secret}"}) as expired:
        assert_error(expired.get("/auth/me"), 401, "key_expired")


def test_login_throttling(make_app):  # type: ignore[no-untyped-def]
    _app, platform, _key, client = make_app(server={"login_max_failures": 3})
    with platform.db.engine.begin() as conn:
        create_user(conn, "amy", password="amy-password")
    with client() as anonymous:
        unknown = anonymous.post("/auth/login", json={"username": "ghost", "password": "whatever1"})
        wrong = anonymous.post("/auth/login", json={"username": "amy", "password": "whatever1"})
        assert_error(unknown, 401, "invalid_credentials")
        assert unknown.json() == wrong.json()
        for _ in range(1):
            assert_error(
                anonymous.post("/auth/login", json={"username": "amy", "password": "nope-nope"}),
                401,
            )
        locked = anonymous.post("/auth/login", json={"username": "amy", "password": "nope-nope"})
        assert_error(locked, 429, "login_locked")
        assert int(locked.headers["retry-after"]) > 60
        # Locked even with the right password, until the lock ends.
        right = anonymous.post("/auth/login", json={"username": "amy", "password": "amy-password"})
        assert_error(right, 429, "login_locked")
        with platform.db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE login_failures SET locked_until = NULL")
        ok = anonymous.post("/auth/login", json={"username": "amy", "password": "amy-password"})
        assert ok.status_code == 200
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" in cookie  # http://testserver is not loopback: Secure by default
