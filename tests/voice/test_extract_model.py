"""Extraction through the gateway (scripted OpenAI-compatible server), on both backends:
each built-in schema, the request's schema and date, repair, fallback to rules, the model
deciding the schema, and the ledger rows attributed to scenario "voice"."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tokenbase.db.schema import usage_events, voice_records
from tokenbase.voice.errors import ExtractionUnavailable, VoiceError
from tokenbase.voice.extract import NOTICE_MODEL_FAILED, model_schema
from tokenbase.voice.schemas import BUILTIN

from ..llm.openai_server import Reply, Status, usage
from .conftest import llm_config
from .sentences import VISIT

MODEL_RECORDS = {
    "customer_visit": (
        VISIT,
        {
            "customer": "华东电力",
            "contact": "王总",
            "date": "2026-03-10",
            "summary": "与王总沟通明年配电柜采购和售后响应时间",
            "key_points": ["明年的配电柜采购", "售后响应时间"],
            "next_steps": ["下周三再跟进"],
            "follow_up_date": "2026-03-18",
        },
    ),
    "task": (
        "提醒我明天下午三点给华东电力发报价单",
        {"title": "给华东电力发报价单", "due": "2026-03-11 15:00", "owner": None, "priority": "中"},
    ),
    "expense": (
        "报销一下昨天打车去机场花了三百五",
        {"amount": 350, "category": "交通", "date": "2026-03-09", "merchant": None, "note": None},
    ),
    "follow_up": (
        "下周一电话回访一下恒通物流的刘经理，聊聊续约的事",
        {
            "customer": "恒通物流",
            "contact": "刘经理",
            "topic": "续约",
            "when": "2026-03-16",
            "channel": "电话",
        },
    ),
}


def _events(voice, trace_id):
    with voice.platform.db.engine.connect() as conn:
        return conn.execute(select(usage_events).where(usage_events.c.trace_id == trace_id)).all()


@pytest.mark.parametrize("schema", list(MODEL_RECORDS))
def test_model_extracts_each_builtin_schema(llm, make_voice, schema):
    text, data = MODEL_RECORDS[schema]
    voice = make_voice(llm=llm_config(llm.base_url))
    llm.script("m1", Reply(json.dumps(data, ensure_ascii=False), usage=usage(200, 60)))

    outcome = voice.record(text, user_id=None)

    (request,) = llm.chat_requests("m1")
    fmt = request["response_format"]
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["schema"] == model_schema(BUILTIN[schema])
    system = request["messages"][0]["content"]
    assert "2026-03-10" in system and "星期二" in system and "Asia/Shanghai" in system
    assert text in request["messages"][-1]["content"]
    assert request["temperature"] == 0

    rec = outcome.record
    assert (rec.schema, rec.extracted_by, rec.model) == (schema, "model", "cloud/m1")
    assert rec.data == data and outcome.notice == "" and outcome.detected_by == "rules"
    with voice.platform.db.engine.connect() as conn:
        stored = conn.execute(select(voice_records)).one()
    assert stored.data == data and stored.utterance == text and stored.trace_id == rec.trace_id
    (event,) = _events(voice, rec.trace_id)
    assert (event.scenario, event.prompt_name, event.kind) == ("voice", "voice.extract", "chat")
    assert (event.prompt_tokens, event.completion_tokens) == (200, 60)


def test_json_mode_puts_the_schema_in_the_prompt_and_almost_json_is_repaired(llm, make_voice):
    voice = make_voice(llm=llm_config(llm.base_url), voice={"tier": "private"})
    almost = (
        "好的，记录如下：\n```json\n{'title': '给华东电力发报价单', 'due': '2026-03-11 15:00', "
        "'owner': null, 'priority': '中',}\n```"
    )
    llm.script("m2", Reply(almost))

    outcome = voice.record("提醒我明天下午三点给华东电力发报价单")

    (request,) = llm.chat_requests("m2")
    assert request["response_format"] == {"type": "json_object"}
    sent = json.dumps(model_schema(BUILTIN["task"]), ensure_ascii=False)
    assert sent in request["messages"][0]["content"]
    assert outcome.record.data["title"] == "给华东电力发报价单"
    assert outcome.record.model == "local/m2"
    (event,) = _events(voice, outcome.record.trace_id)
    assert event.output_format == "repaired"


def test_an_invalid_reply_is_re_asked_and_relative_dates_normalised(llm, make_voice):
    voice = make_voice(llm=llm_config(llm.base_url))
    llm.script(
        "m1",
        Reply('{"title": "", "priority": "紧急"}'),  # fails the schema: re-asked once
        Reply('{"title": "整理投标文件", "due": null, "owner": null, "priority": "高"}'),
    )
    outcome = voice.record("待办：周五前把投标文件整理好，比较紧急")
    first, second = llm.chat_requests("m1")
    assert "does not match the JSON Schema" in second["messages"][-1]["content"]
    assert outcome.record.data["priority"] == "高"
    statuses = [e.output_format for e in _events(voice, outcome.record.trace_id)]
    assert statuses == ["invalid", "valid"]


def test_when_every_model_fails_the_rules_step_in_and_say_so(llm, make_voice):
    voice = make_voice(llm=llm_config(llm.base_url))
    llm.script("m1", Status(503))
    outcome = voice.record(VISIT)
    assert outcome.record.extracted_by == "rules" and outcome.notice == NOTICE_MODEL_FAILED
    assert outcome.record.data["follow_up_date"] == "2026-03-18"
    (event,) = _events(voice, outcome.record.trace_id)
    assert event.status == "error" and event.scenario == "voice"


def test_the_model_picks_the_schema_when_the_rules_are_unsure(llm, make_voice):
    voice = make_voice(llm=llm_config(llm.base_url))
    extracted = {
        "customer": "华东电力",
        "contact": None,
        "topic": "合同盖章",
        "when": "明天",
        "channel": None,
    }
    llm.script(
        "m1",
        Reply('{"schema": "follow_up"}'),
        Reply(json.dumps(extracted, ensure_ascii=False)),
    )
    # No keyword of any schema: the model decides; the "明天" it left relative is resolved.
    outcome = voice.record("华东电力那边合同盖章的事，明天落实")
    assert outcome.detected_by == "model" and outcome.record.schema == "follow_up"
    assert outcome.record.data["when"] == "2026-03-11"
    classify, extract = llm.chat_requests("m1")
    assert "follow_up（跟进）" in classify["messages"][0]["content"]
    sent = extract["response_format"]["json_schema"]["schema"]
    assert sent == model_schema(BUILTIN["follow_up"])
    assert "pattern" not in sent["properties"]["when"]
    assert sent["properties"]["when"]["description"].startswith("YYYY-MM-DD HH:MM")
    prompts = [e.prompt_name for e in _events(voice, outcome.record.trace_id)]
    assert prompts == ["voice.classify", "voice.extract"]


def test_a_config_schema_without_rules_needs_a_model(make_voice):
    schema = {
        "type": "object",
        "properties": {"site": {"type": "string", "title": "站点"}},
        "required": ["site"],
    }
    entry = {"name": "inspection", "title": "巡检", "json_schema": schema, "keywords": ["巡检"]}
    voice = make_voice(voice={"schemas": [entry]})
    assert voice.registry["inspection"].title == "巡检"
    assert not voice.registry["inspection"].builtin
    with pytest.raises(ExtractionUnavailable, match="llm.providers"):
        voice.record("今天巡检了二号变电站")


def test_config_schemas_from_a_file_and_their_errors(make_voice, tmp_path):
    good = tmp_path / "visit.json"
    good.write_text(json.dumps({"title": "走访", "type": "object"}), encoding="utf-8")
    voice = make_voice(voice={"schemas": [{"name": "customer_visit", "schema_file": str(good)}]})
    assert voice.registry["customer_visit"].title == "走访"  # replaces the built-in

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"type": "nonsense"}), encoding="utf-8")
    voice = make_voice(voice={"schemas": [{"name": "x", "schema_file": str(bad)}]})
    with pytest.raises(VoiceError, match="'x': not a valid JSON Schema"):
        voice.registry  # noqa: B018

    from tokenbase.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match="exactly one of json_schema, schema_file"):
        load_settings(tmp_path / "d", voice={"schemas": [{"name": "y"}]})
