"""Structured output through the gateway: native modes, repair, re-ask, fallback."""

from __future__ import annotations

import json

import pytest

from tokenbase.llm.errors import ModelCallError, ModelConfigError

from .openai_server import Reply, Status

SCHEMA = {
    "type": "object",
    "properties": {"amount": {"type": "integer"}, "city": {"type": "string"}},
    "required": ["amount", "city"],
}
ASK = [
    {"role": "system", "content": "你是报销助手。"},
    {"role": "user", "content": "北京住宿多少？"},
]


def provider(base_url: str, json_mode: str, models=("m1", "m2")) -> dict:  # type: ignore[no-untyped-def]
    return {
        "name": "cloud",
        "base_url": base_url,
        "api_key_env": "TB_TEST_KEY",
        "models": list(models),
        "json_mode": json_mode,
    }


def gateway_with(make_gateway, server, json_mode: str, **overrides):  # type: ignore[no-untyped-def]
    return make_gateway(
        providers=[provider(server.base_url, json_mode)],
        tiers={"fast": ["cloud/m1", "cloud/m2"]},
        **overrides,
    )


def test_json_schema_mode_sends_the_schema_natively(make_gateway, server, meter):
    server.script("m1", Reply('{"amount": 500, "city": "北京"}'))
    result = gateway_with(make_gateway, server, "json_schema").complete_json(
        ASK, SCHEMA, prompt_name="expense.extract"
    )
    assert result.value == {"amount": 500, "city": "北京"} and result.output_format == "valid"
    body = server.chat_requests()[0]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": SCHEMA},
    }
    assert body["messages"] == ASK  # the schema travels natively, not in the prompt
    [call] = meter.calls
    assert (call.output_format, call.prompt_name, call.status) == ("valid", "expense.extract", "ok")


@pytest.mark.parametrize(
    "mode, response_format", [("json_object", {"type": "json_object"}), ("none", None)]
)
def test_json_object_and_none_modes_put_the_schema_in_the_system_prompt(
    make_gateway, server, mode, response_format
):
    server.script("m1", Reply('{"amount": 1, "city": "x"}'))
    gateway_with(make_gateway, server, mode).complete_json(ASK, SCHEMA)
    body = server.chat_requests()[0]
    assert body.get("response_format") == response_format
    system = body["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("你是报销助手。")
    assert json.dumps(SCHEMA) in system["content"] and "JSON" in system["content"]
    assert body["messages"][1:] == ASK[1:]


def test_almost_json_is_repaired(make_gateway, server, meter):
    server.script("m1", Reply('```json\n{"amount": 500, "city": "北京",}\n```'))
    result = gateway_with(make_gateway, server, "json_object").complete_json(ASK, SCHEMA)
    assert result.value == {"amount": 500, "city": "北京"}
    assert result.output_format == "repaired" and meter.calls[0].output_format == "repaired"


def test_invalid_reply_is_re_asked_with_the_validation_error(make_gateway, server, meter):
    server.script(
        "m1", Reply('{"amount": "五百", "city": "北京"}'), Reply('{"amount": 500, "city": "北京"}')
    )
    result = gateway_with(make_gateway, server, "json_object").complete_json(
        ASK, SCHEMA, prompt_name="p1"
    )
    assert result.value["amount"] == 500 and result.model == "m1"
    first, second = server.chat_requests()
    assert second["messages"][: len(first["messages"])] == first["messages"]
    assert second["messages"][-2] == {
        "role": "assistant",
        "content": '{"amount": "五百", "city": "北京"}',
    }
    reask = second["messages"][-1]["content"]
    assert "amount" in reask and "'五百' is not of type 'integer'" in reask
    assert [(c.output_format, c.status, c.error_class) for c in meter.calls] == [
        ("invalid", "error", "format_error"),
        ("valid", "ok", ""),
    ]


def test_falls_back_to_the_next_model_after_re_asks(make_gateway, server, meter):
    server.script("m1", Reply("I cannot answer in JSON, sorry."), Reply('{"amount": 1}'))
    server.script("m2", Reply('{"amount": 2, "city": "上海"}'))
    result = gateway_with(make_gateway, server, "none", json_max_reasks=1).complete_json(
        ASK, SCHEMA
    )
    assert result.model == "m2" and result.value["city"] == "上海"
    assert [c.output_format for c in meter.calls] == ["invalid", "invalid", "valid"]
    assert len(result.attempts) == 3


def test_every_model_invalid_raises_with_the_reason(make_gateway, server, meter):
    server.default["m1"] = Reply('{"amount": 1}')
    server.default["m2"] = Reply('{"city": "x"}')
    with pytest.raises(ModelCallError, match="format_error.*required property"):
        gateway_with(make_gateway, server, "json_object", json_max_reasks=0).complete_json(
            ASK, SCHEMA
        )


def test_transport_errors_are_retried_inside_structured_calls(make_gateway, server, meter):
    server.script("m1", Status(500), Reply('{"amount": 3, "city": "杭州"}'))
    result = gateway_with(make_gateway, server, "json_object").complete_json(ASK, SCHEMA)
    assert result.value["amount"] == 3
    assert [c.error_class for c in meter.calls] == ["server_error", ""]


def test_an_invalid_schema_is_a_config_error(make_gateway):
    with pytest.raises(ModelConfigError, match="invalid JSON Schema"):
        make_gateway().complete_json(ASK, {"type": "objekt"})
