"""Voice records checked before they are stored (both backends): a `dry_run` draft stores
nothing, the confirmed (maybe corrected) fields are validated and stored as the caller's;
audio becomes text for a spoken question; capabilities tell a client what is set up."""

from __future__ import annotations

from tokenbase.identity.departments import create_department
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from ..voice.sentences import VISIT
from ..voice.transcription_server import TranscriptionServer

TASK = "提醒我明天下午三点给华东电力回电话"


def _member(platform, username: str, scopes=("read", "write")) -> tuple[int, dict]:
    with platform.db.engine.begin() as conn:
        dept = create_department(conn, f"销售{username}")
        user = create_user(conn, username, password="pw-123456789", department_id=dept.id)
        key = create_key(conn, user.id, "voice", list(scopes))[1]
    return user.id, {"Authorization": f"Bearer {key}"}


def test_a_draft_stores_nothing_until_the_person_confirms_it(make_app) -> None:
    _app, platform, _admin, client = make_app()
    alice_id, alice = _member(platform, "alice")
    with client(headers=alice) as http:
        draft = http.post("/voice/intents", json={"text": TASK, "dry_run": True})
        assert draft.status_code == 200, draft.text
        body = draft.json()
        assert body["id"] is None and body["stored"] is False
        assert body["schema"] == "task" and body["schema_title"] == "待办"
        assert "华东电力" in body["data"]["title"] and body["data"]["due"].endswith("15:00")
        assert body["extracted_by"] == "rules" and body["notice"] and body["trace_id"]
        assert http.get("/voice/records").json() == []

        kept = http.post(
            "/voice/records",
            json={
                "schema": "task",
                "data": body["data"],
                "utterance": TASK,
                "extracted_by": body["extracted_by"],
                "trace_id": body["trace_id"],
            },
        )
        assert kept.status_code == 201, kept.text
        stored = kept.json()
        assert stored["id"] and stored["data"] == body["data"] and stored["user_id"] == alice_id
        assert stored["extracted_by"] == "rules" and stored["trace_id"] == body["trace_id"]

        corrected = {**body["data"], "priority": "高"}
        edited = http.post(
            "/voice/records",
            json={"schema": "task", "data": corrected, "utterance": TASK, "model": "x/y"},
        ).json()
        assert edited["extracted_by"] == "manual" and edited["model"] == ""
        assert [r["id"] for r in http.get("/voice/records").json()] == [edited["id"], stored["id"]]

        invalid = http.post("/voice/records", json={"schema": "task", "data": {"title": ""}})
        unknown = http.post("/voice/records", json={"schema": "nope", "data": {}})
    assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "invalid_record"
    assert invalid.json()["error"]["details"] == {"field": "title"}
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_schema"


def test_capabilities_and_transcription(make_app) -> None:
    _app, platform, _admin, client = make_app()
    _uid, reader = _member(platform, "reader", scopes=("read",))
    with client(headers=reader) as http:
        caps = http.get("/voice/capabilities").json()
        refused = http.post("/voice/transcribe", files={"file": ("a.webm", b"x", "audio/webm")})
        draft = http.post("/voice/intents", json={"text": TASK, "dry_run": True})
    assert caps == {
        "transcription": False,
        "max_audio_mb": caps["max_audio_mb"],
        "extraction": "rules",
    }
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "transcription_not_configured"
    assert draft.status_code == 403  # a draft is still a write: the read scope is not enough

    with TranscriptionServer((200, {"text": VISIT})) as asr:
        _app, platform, _admin, client = make_app(
            voice={"transcription": {"base_url": asr.base_url, "model": "whisper-1"}}
        )
        _uid, alice = _member(platform, "alice")
        with client(headers=alice) as http:
            caps = http.get("/voice/capabilities").json()
            text = http.post(
                "/voice/transcribe", files={"file": ("q.webm", b"\x1aE\xdf\xa3", "audio/webm")}
            )
            draft = http.post(
                "/voice/intents",
                files={"file": ("memo.webm", b"\x1aE\xdf\xa3", "audio/webm")},
                data={"dry_run": "true"},
            )
            stored = http.get("/voice/records").json()
    assert caps["transcription"] is True
    assert text.status_code == 200 and text.json()["text"] == VISIT
    assert text.json()["model"] == "whisper-1"
    assert draft.status_code == 200 and draft.json()["transcript"] == VISIT
    assert draft.json()["schema"] == "customer_visit" and draft.json()["stored"] is False
    assert stored == []
