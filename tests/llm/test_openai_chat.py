"""The OpenAI-compatible chat provider against the scripted server: wire format, usage,
streaming, error classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest

from tokenbase.config import ChatProviderSettings
from tokenbase.llm.chat import ChatRequest, ProviderError, create_chat_provider
from tokenbase.llm.errors import ModelConfigError
from tokenbase.llm.openai_chat import parse_retry_after

from .conftest import SECRET
from .openai_server import Hang, Raw, Reply, ScriptedServer, Status, Stream, usage


def provider(server: ScriptedServer, **overrides):  # type: ignore[no-untyped-def]
    values = {"name": "p", "base_url": server.base_url, "models": ["m1"], "timeout_s": 0.5}
    return create_chat_provider(ChatProviderSettings(**{**values, **overrides}))


def request(**overrides):  # type: ignore[no-untyped-def]
    values = {"model": "m1", "messages": [{"role": "user", "content": "你好"}], "max_tokens": 64}
    return ChatRequest(**{**values, **overrides})


def test_complete_sends_the_wire_format_and_reads_usage(server, monkeypatch):
    monkeypatch.setenv("TB_KEY", SECRET)
    server.script("m1", Reply("您好", usage=usage(120, 30, cached=100, cost=0.0042)))
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    reply = provider(server, api_key_env="TB_KEY").complete(
        request(temperature=0.2, tools=tools, tool_choice="auto", response_format={"type": "x"})
    )
    path, body, headers = server.requests[0]
    assert path == "/v1/chat/completions"
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert body == {
        "model": "m1",
        "messages": [{"role": "user", "content": "你好"}],
        "max_tokens": 64,
        "temperature": 0.2,
        "tools": tools,
        "tool_choice": "auto",
        "response_format": {"type": "x"},
    }
    assert reply.text == "您好" and reply.finish_reason == "stop"
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (120, 30)
    assert reply.usage.cached_tokens == 100 and not reply.usage.estimated
    assert reply.provider_cost == Decimal("0.0042")


def test_deepseek_cache_hit_tokens_and_missing_usage(server):
    server.script(
        "m1",
        Reply(
            "a", usage={"prompt_tokens": 50, "completion_tokens": 2, "prompt_cache_hit_tokens": 40}
        ),
    )
    server.script("m1", Reply("b", usage=None))
    p = provider(server)
    assert p.complete(request()).usage.cached_tokens == 40
    assert p.complete(request()).usage is None


def test_tools_are_not_sent_to_a_provider_without_tool_support(server):
    server.script(
        "m1",
        Reply(
            None,
            tool_calls=[
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        ),
    )
    reply = provider(server, tools=False).complete(request(tools=[{"type": "function"}]))
    assert "tools" not in server.chat_requests()[0]
    assert reply.text == "" and reply.tool_calls[0]["function"]["name"] == "f"


@pytest.mark.parametrize(
    "reply, error_class",
    [
        (Status(429, retry_after="3"), "rate_limited"),
        (Status(500), "server_error"),
        (Status(503), "server_error"),
        (Status(400, "context too long"), "client_error"),
        (Status(401, "bad key"), "client_error"),
        (Raw("{not json"), "bad_response"),
        (Raw('{"choices": []}'), "bad_response"),
        (Raw('{"choices": [{"message": {"content": 5}}]}'), "bad_response"),
        (Hang(1.5), "timeout"),
    ],
)
def test_errors_are_classified(server, reply, error_class):
    server.script("m1", reply)
    with pytest.raises(ProviderError) as info:
        provider(server).complete(request())
    assert info.value.error_class == error_class
    if error_class == "rate_limited":
        assert info.value.retry_after == 3.0


def test_connection_refused_is_a_connection_error():
    with ScriptedServer() as server:
        p = provider(server)
    with pytest.raises(ProviderError) as info:
        p.complete(request())
    assert info.value.error_class == "connection"


def test_retry_after_as_seconds_or_http_date():
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert parse_retry_after("2.5") == 2.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now) == 7
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_missing_key_variable_names_the_setting(server, monkeypatch):
    monkeypatch.delenv("TB_NOPE", raising=False)
    with pytest.raises(ModelConfigError, match=r"TB_NOPE \(llm.providers\[p\].api_key_env\)"):
        provider(server, api_key_env="TB_NOPE")


def test_a_key_echoed_by_the_server_is_scrubbed(server, monkeypatch):
    monkeypatch.setenv("TB_KEY", SECRET)
    server.script("m1", Status(401, f"Incorrect API key provided: {SECRET}"))
    with pytest.raises(ProviderError) as info:
        provider(server, api_key_env="TB_KEY").complete(request())
    assert SECRET not in str(info.value) and "***" in str(info.value)


def test_stream_yields_text_then_usage(server):
    server.script("m1", Stream(["你", "好", "！"], usage=usage(9, 3, cached=4)))
    deltas = list(provider(server).stream(request()))
    body = server.chat_requests()[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert [d.text for d in deltas[:-1]] == ["你", "好", "！"]
    final = deltas[-1]
    assert final.finish_reason == "stop" and final.usage.cached_tokens == 4


def test_stream_without_usage_option(server):
    server.script("m1", Stream(["a"]))
    deltas = list(provider(server, stream_usage=False).stream(request()))
    assert "stream_options" not in server.chat_requests()[0]
    assert deltas[-1].usage is None


def test_streamed_tool_calls_are_assembled(server):
    parts = [
        {"index": 0, "id": "c1", "type": "function", "function": {"name": "look", "arguments": ""}},
    ]
    server.script("m1", Stream([], tool_calls=parts, finish_reason="tool_calls"))
    final = list(provider(server).stream(request()))[-1]
    assert final.tool_calls[0]["function"]["name"] == "look"
    assert final.finish_reason == "tool_calls"


@pytest.mark.parametrize(
    "stream, error_class",
    [
        (Stream(["a", "b", "c"], disconnect_after=2), "connection"),
        (Stream(["a"], garbage=True), "bad_response"),
        (Stream(["a"], done=False, finish_reason=""), "bad_response"),
    ],
)
def test_broken_streams_are_classified(server, stream, error_class):
    server.script("m1", stream)
    seen = []
    with pytest.raises(ProviderError) as info:
        for delta in provider(server).stream(request()):
            seen.append(delta.text)
    assert info.value.error_class == error_class
    assert seen[:1] == ["a"]


def test_stream_error_status_before_any_chunk(server):
    server.script("m1", Status(429, retry_after="1"))
    with pytest.raises(ProviderError) as info:
        list(provider(server).stream(request()))
    assert info.value.error_class == "rate_limited" and info.value.retry_after == 1
