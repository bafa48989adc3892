"""Voice intents over HTTP (both backends): text and audio become stored records, users see
only their own records (admins all), exports as CSV (BOM, one column per field) and JSONL,
and every error has the common shape."""

from __future__ import annotations

import csv
import io
import json

from tokenbase.identity.departments import create_department
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from ..llm.openai_server import Reply, ScriptedServer
from ..voice.conftest import llm_config
from ..voice.sentences import VISIT
from ..voice.transcription_server import TranscriptionServer


def _member(platform, username: str, scopes=("read", "write")) -> tuple[int, str]:
    with platform.db.engine.begin() as conn:
        dept = create_department(conn, f"销售{username}")
        user = create_user(conn, username, password="pw-123456789", department_id=dept.id)
        return user.id, create_key(conn, user.id, "voice", list(scopes))[1]


def _auth(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_text_becomes_a_record_and_users_see_only_their_own(make_app):
    _app, platform, admin, client = make_app()
    alice_id, alice = _member(platform, "alice")
    _bob_id, bob = _member(platform, "bob")
    with client() as http:
        r = http.post("/voice/intents", json={"text": VISIT}, headers=_auth(alice))
        assert r.status_code == 201, r.text
        rec = r.json()
        assert rec["schema"] == "customer_visit" and rec["schema_title"] == "客户拜访"
        assert rec["extracted_by"] == "rules" and rec["notice"].startswith("未配置大模型")
        assert rec["data"]["customer"] == "华东电力" and len(rec["data"]["key_points"]) == 2
        assert rec["user_id"] == alice_id and rec["username"] == "alice"
        r = http.post(
            "/voice/intents",
            json={"text": "打车花了三百五", "schema": "expense"},
            headers=_auth(bob),
        )
        assert r.status_code == 201 and r.json()["data"]["amount"] == 350

        mine = http.get("/voice/records", headers=_auth(alice)).json()
        assert [r["schema"] for r in mine] == ["customer_visit"]
        # A member cannot widen the list to someone else's records.
        assert (
            http.get("/voice/records", params={"user_id": _bob_id}, headers=_auth(alice)).json()
            == mine
        )
        everyone = http.get("/voice/records", headers=_auth(admin)).json()
        assert [r["schema"] for r in everyone] == ["expense", "customer_visit"]
        only_bob = http.get("/voice/records", params={"user_id": _bob_id}, headers=_auth(admin))
        assert [r["username"] for r in only_bob.json()] == ["bob"]
        filtered = http.get("/voice/records", params={"schema": "expense"}, headers=_auth(admin))
        assert len(filtered.json()) == 1

        empty = http.get(
            "/voice/records/export",
            params={"schema": "expense", "format": "jsonl"},
            headers=_auth(alice),
        )
        assert empty.status_code == 200 and empty.content == b""


def test_exports_csv_with_bom_and_jsonl(make_app):
    _app, platform, admin, client = make_app()
    _uid, alice = _member(platform, "alice")
    with client() as http:
        for text in (VISIT, "拜访了星河科技张总，主要是聊了明年的框架协议"):
            assert http.post("/voice/intents", json={"text": text}, headers=_auth(alice)).is_success
        r = http.get(
            "/voice/records/export", params={"schema": "customer_visit"}, headers=_auth(alice)
        )
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert 'filename="tokenbase-voice-customer_visit.csv"' in r.headers["content-disposition"]
        assert r.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows[0] == [
            "编号", "记录时间", "用户", "提取方式",
            "客户", "联系人", "拜访日期", "摘要", "重点", "下一步", "跟进日期",
        ]  # fmt: skip
        assert len(rows) == 3 and rows[1][4:6] == ["华东电力", "王总"]
        assert rows[1][8] == "明年的配电柜采购；售后响应时间" and rows[1][2] == "alice"
        assert rows[2][4] == "星河科技" and rows[2][10] == ""

        r = http.get(
            "/voice/records/export",
            params={"schema": "customer_visit", "format": "jsonl"},
            headers=_auth(admin),
        )
        assert r.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in r.text.splitlines()]
        assert [line["data"]["customer"] for line in lines] == ["华东电力", "星河科技"]


def test_errors_have_the_common_shape_and_name_the_problem(make_app):
    _app, platform, admin, client = make_app()
    _uid, reader = _member(platform, "reader", scopes=("read",))
    with client(headers=_auth(admin)) as http:
        cases = [
            (http.post("/voice/intents", json={"text": "今天天气不错"}), 422, "no_intent"),
            (
                http.post("/voice/intents", json={"text": "打车", "schema": "expense"}),
                422,
                "invalid_record",
            ),
            (http.post("/voice/intents", json={"text": "x", "schema": "nope"}), 404,
             "unknown_schema"),
            (http.post("/voice/intents", json={"text": ""}), 422, "validation_error"),
            (http.post("/voice/intents", content=b"not json",
                       headers={"content-type": "application/json"}), 422, "validation_error"),
            (http.post("/voice/intents", files={"file": ("a.wav", b"RIFF", "audio/wav")}), 400,
             "transcription_not_configured"),
            (http.get("/voice/records/export", params={"schema": "nope"}), 404,
             "unknown_schema"),
            (http.post("/voice/intents", json={"text": "x"}, headers=_auth(reader)), 403,
             "insufficient_scope"),
        ]  # fmt: skip
        for response, status, code in cases:
            assert response.status_code == status, (code, response.text)
            body = response.json()
            assert set(body) == {"error"} and body["error"]["code"] == code
            assert set(body["error"]) == {"code", "message", "details"}
        invalid = cases[1][0].json()["error"]
        assert invalid["details"] == {"field": "amount"} and "金额" in invalid["message"]
        schemas = http.get("/voice/schemas").json()
        assert [s["name"] for s in schemas] == ["customer_visit", "task", "expense", "follow_up"]
        assert schemas[2]["fields"]["amount"] == "金额（元）"


def test_audio_and_a_chat_model_through_the_api(make_app):
    with ScriptedServer() as llm, TranscriptionServer((200, {"text": VISIT})) as asr:
        _app, platform, admin, client = make_app(
            llm=llm_config(llm.base_url),
            voice={"transcription": {"base_url": asr.base_url, "model": "whisper-1"}},
        )
        data = {
            "customer": "华东电力",
            "contact": "王总",
            "date": "2026-03-10",
            "summary": "配电柜采购与售后",
            "key_points": ["配电柜采购", "售后响应时间"],
            "next_steps": [],
            "follow_up_date": None,
        }
        llm.script("m1", Reply(json.dumps(data, ensure_ascii=False)))
        with client(headers=_auth(admin)) as http:
            r = http.post(
                "/voice/intents",
                files={"file": ("memo.webm", b"\x1aE\xdf\xa3webm", "audio/webm")},
                data={"schema": "customer_visit"},
            )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["transcript"] == VISIT and body["utterance"] == VISIT
    assert body["extracted_by"] == "model" and body["model"] == "cloud/m1"
    assert body["data"] == data and body["notice"] == "" and body["detected_by"] == "caller"
    assert asr.requests[0]["files"]["file"][0] == "memo.webm"
