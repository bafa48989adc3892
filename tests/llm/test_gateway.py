"""The gateway against the scripted server: tiers, retries, fallback, breaker, timeouts,
streaming, budgets, metering of every attempt."""

from __future__ import annotations

import threading

import pytest

from tokenbase.config import LLMSettings
from tokenbase.guard.redline import clean_context, taint
from tokenbase.ledger.attribution import attributed
from tokenbase.ledger.errors import BudgetExceeded
from tokenbase.llm.errors import ModelCallError, ModelConfigError
from tokenbase.llm.gateway import Gateway
from tokenbase.llm.results import Delta, Done

from .conftest import SECRET
from .openai_server import Hang, Reply, Status, Stream, usage
from .recording_meter import RecordingMeter

HI = [{"role": "user", "content": "报销标准是多少？"}]


def outcomes(meter: RecordingMeter) -> list[tuple[str, str, str]]:
    return [(c.model, c.status, c.error_class) for c in meter.calls]


def test_default_tier_first_model_answers_and_is_metered(make_gateway, server, meter):
    server.script("m1", Reply("答案", usage=usage(12, 4, cached=8)))
    with attributed(user_id=3, department_id=5, scenario="kb.ask", trace_id="t-1"):
        result = make_gateway().chat(HI, prompt_name="kb.answer")
    assert (result.text, result.provider, result.model, result.tier) == (
        "答案",
        "cloud",
        "m1",
        "fast",
    )
    assert result.usage.cached_tokens == 8 and result.deployment == "public"
    [call] = meter.calls
    assert (call.kind, call.provider, call.model, call.tier, call.status) == (
        "chat",
        "cloud",
        "m1",
        "fast",
        "ok",
    )
    assert (call.prompt_tokens, call.completion_tokens, call.cached_tokens) == (12, 4, 8)
    assert call.prompt_name == "kb.answer" and call.request_id == result.request_id
    assert call.latency_ms > 0 and not call.estimated
    event = meter.events[0]
    assert event.attribution.department_id == 5 and event.attribution.trace_id == "t-1"
    assert event.reservation == "reservation-1"
    [reserved] = meter.reservations
    assert reserved["max_output_tokens"] == 1024 and reserved["prompt_tokens"] > 0
    assert reserved["deployment"] == "public" and reserved["tier"] == "fast"
    assert result.attempts[0].event_id == 1


def test_a_caller_asks_for_a_tier_not_a_model(make_gateway, server, meter):
    server.script("m3", Reply("local"))
    result = make_gateway().chat(HI, tier="cheap", max_tokens=50, temperature=0)
    assert (result.provider, result.model, result.deployment) == ("local", "m3", "private")
    body = server.chat_requests("m3")[0]
    assert body["max_tokens"] == 50 and body["temperature"] == 0


def test_retries_then_succeeds_on_the_same_model(make_gateway, server, meter):
    server.script("m1", Status(500), Status(429, retry_after="0.01"), Reply("ok"))
    result = make_gateway().chat(HI)
    assert result.model == "m1"
    assert outcomes(meter) == [
        ("m1", "error", "server_error"),
        ("m1", "error", "rate_limited"),
        ("m1", "ok", ""),
    ]
    assert [c.attempt for c in meter.calls] == [1, 2, 3]
    assert len({c.request_id for c in meter.calls}) == 1
    assert len(meter.reservations) == 3  # one reservation per attempt, each settled


def test_backoff_is_exponential_with_jitter_and_honours_retry_after(server, meter, monkeypatch):
    monkeypatch.setenv("TB_TEST_KEY", SECRET)
    from .conftest import llm_settings

    sleeps: list[float] = []
    settings = llm_settings(server.base_url, backoff_base_s=1, backoff_max_s=10, max_retries=3)
    gateway = Gateway(settings, meter, sleep=sleeps.append)
    server.script("m1", Status(500), Status(502), Status(429, retry_after="4"), Reply("ok"))
    gateway.chat(HI)
    assert 0.5 <= sleeps[0] <= 1 and 1 <= sleeps[1] <= 2 and sleeps[2] == 4


def test_falls_back_to_the_next_model_after_retries(make_gateway, server, meter):
    server.script("m1", Status(500), Status(500), Status(503))
    server.script("m2", Reply("from m2"))
    result = make_gateway(max_retries=2).chat(HI)
    assert (result.model, result.text) == ("m2", "from m2")
    assert outcomes(meter)[-1] == ("m2", "ok", "")
    assert [a.error_class for a in result.attempts] == ["server_error"] * 3 + [""]


def test_client_error_is_not_retried_but_falls_back(make_gateway, server, meter):
    server.script("m1", Status(400, "bad request"))
    server.script("m2", Reply("ok"))
    make_gateway().chat(HI)
    assert outcomes(meter) == [("m1", "error", "client_error"), ("m2", "ok", "")]


def test_a_long_retry_after_moves_on_at_once(make_gateway, server, meter):
    server.script("m1", Status(429, retry_after="120"))
    server.script("m2", Reply("ok"))
    result = make_gateway(backoff_max_s=1).chat(HI)
    assert result.model == "m2" and len(server.chat_requests("m1")) == 1


def test_timeout_is_retried_then_falls_back(make_gateway, server, meter):
    timeout_provider = {
        "name": "cloud",
        "base_url": server.base_url,
        "api_key_env": "TB_TEST_KEY",
        "models": ["m1", "m2"],
        "timeout_s": 0.2,
    }
    server.script("m1", Hang(0.6))
    server.script("m2", Reply("ok"))
    gateway = make_gateway(
        providers=[timeout_provider], tiers={"fast": ["cloud/m1", "cloud/m2"]}, max_retries=0
    )
    assert gateway.chat(HI).model == "m2"
    assert outcomes(meter)[0] == ("m1", "error", "timeout")


def test_every_model_failing_raises_with_each_reason_and_no_secret(make_gateway, server, meter):
    server.script("m1", Status(401, f"invalid key {SECRET}"))
    server.script("m2", Status(500), Status(500), Status(500))
    with pytest.raises(ModelCallError) as info:
        make_gateway().chat(HI)
    message = str(info.value)
    assert "cloud/m1: client_error" in message and "cloud/m2: server_error" in message
    assert "fast" in message and SECRET not in message
    assert all(SECRET not in repr(c) for c in meter.calls)


def test_circuit_breaker_opens_then_lets_one_probe_through(server, meter, monkeypatch):
    monkeypatch.setenv("TB_TEST_KEY", SECRET)
    from .conftest import llm_settings

    now = [1000.0]
    settings = llm_settings(
        server.base_url, max_retries=0, breaker_failures=2, breaker_cooldown_s=30
    )
    gateway = Gateway(settings, meter, clock=lambda: now[0])
    server.default["m2"] = Reply("backup")
    server.script("m1", Status(500), Status(500))
    gateway.chat(HI)
    gateway.chat(HI)
    assert gateway.breakers["cloud/m1"].state == "open"
    meter.events.clear()
    gateway.chat(HI)  # m1 skipped without a request
    assert outcomes(meter)[0] == ("m1", "error", "circuit_open")
    assert len(server.chat_requests("m1")) == 2
    now[0] += 31
    assert gateway.breakers["cloud/m1"].state == "half-open"
    server.script("m1", Reply("back"))
    assert gateway.chat(HI).text == "back"
    assert gateway.breakers["cloud/m1"].state == "closed"


def test_a_failed_probe_reopens_the_circuit(server, meter, monkeypatch):
    monkeypatch.setenv("TB_TEST_KEY", SECRET)
    from .conftest import llm_settings

    now = [0.0]
    settings = llm_settings(
        server.base_url, max_retries=0, breaker_failures=1, breaker_cooldown_s=5
    )
    gateway = Gateway(settings, meter, clock=lambda: now[0])
    server.default["m2"] = Reply("backup")
    server.script("m1", Status(500))
    gateway.chat(HI)
    now[0] += 6
    server.script("m1", Status(500))
    gateway.chat(HI)  # the probe fails
    assert gateway.breakers["cloud/m1"].state == "open"
    assert len(server.chat_requests("m1")) == 2


def test_estimated_usage_when_the_provider_sends_none(make_gateway, server, meter):
    server.script("m1", Reply("一线城市每晚不超过500元。", usage=None))
    result = make_gateway().chat(HI)
    assert result.usage.estimated and result.usage.prompt_tokens > 0
    assert result.usage.completion_tokens > 5
    assert meter.calls[0].estimated


def test_tools_and_tool_calls_pass_through(make_gateway, server):
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"q": 1}'}}
    server.script("m1", Reply(None, tool_calls=[call], finish_reason="tool_calls"))
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    result = make_gateway().chat(HI, tools=tools, tool_choice="auto")
    assert result.tool_calls == [call] and result.finish_reason == "tool_calls"
    assert server.chat_requests()[0]["tools"] == tools


def test_pinned_model_and_unknown_names(make_gateway, server):
    server.script("m2", Reply("pinned"))
    gateway = make_gateway()
    assert gateway.chat(HI, model="cloud/m2").model == "m2"
    with pytest.raises(ModelConfigError, match="unknown model tier 'slow'.*fast"):
        gateway.chat(HI, tier="slow")
    with pytest.raises(ModelConfigError, match="unknown model 'cloud/m9'"):
        gateway.chat(HI, model="cloud/m9")
    with pytest.raises(ModelConfigError, match="unknown model tier"):
        gateway.stream_chat(HI, tier="slow")  # at the call, not at the first next()


def test_no_provider_configured_says_how_to_add_one(meter):
    gateway = Gateway(LLMSettings(), meter)
    assert not gateway.has_chat and gateway.tiers == {}
    with pytest.raises(ModelConfigError, match=r"\[\[llm.providers\]\]"):
        gateway.chat(HI)
    with pytest.raises(ModelConfigError):
        gateway.stream_chat(HI)


def test_without_tiers_every_model_forms_the_default_tier(server, meter):
    settings = LLMSettings(
        providers=[{"name": "p", "base_url": server.base_url, "models": ["m1", "m3"]}]
    )
    gateway = Gateway(settings, meter)
    assert gateway.tiers == {"standard": ["p/m1", "p/m3"]}


# -- budgets ------------------------------------------------------------------------------------
def test_budget_block_is_recorded_and_raised(make_gateway, server, meter):
    meter.block_action = "block"
    with pytest.raises(BudgetExceeded):
        make_gateway().chat(HI)
    assert outcomes(meter) == [("m1", "blocked", "budget_blocked")]
    assert server.chat_requests() == []


def test_budget_downgrade_switches_tier_for_the_rest_of_the_call(make_gateway, server, meter):
    meter.block_action, meter.downgrade_tier = "downgrade", "cheap"
    server.script("m3", Reply("cheaper"))
    result = make_gateway().chat(HI)
    assert (result.model, result.tier, result.downgraded_from) == ("m3", "cheap", "fast")
    assert outcomes(meter) == [("m1", "blocked", "budget_blocked"), ("m3", "ok", "")]
    assert meter.calls[0].extra["downgrade_tier"] == "cheap"
    assert meter.calls[1].tier == "cheap"


def test_a_downgrade_to_an_unknown_tier_blocks(make_gateway, server, meter):
    meter.block_action, meter.downgrade_tier = "downgrade", "nowhere"
    with pytest.raises(BudgetExceeded):
        make_gateway().chat(HI)


# -- streaming ----------------------------------------------------------------------------------
def test_stream_yields_deltas_then_done(make_gateway, server, meter):
    server.script("m1", Stream(["差旅", "标准", "。"], usage=usage(20, 3, cached=16)))
    events = list(make_gateway().stream_chat(HI, prompt_name="kb.answer"))
    assert [e.text for e in events if isinstance(e, Delta)] == ["差旅", "标准", "。"]
    done = events[-1]
    assert isinstance(done, Done) and done.result.text == "差旅标准。"
    assert done.result.usage.cached_tokens == 16 and done.result.ttft_ms is not None
    [call] = meter.calls
    assert call.status == "ok" and call.ttft_ms is not None and call.completion_tokens == 3


def test_stream_without_usage_is_estimated(make_gateway, server, meter):
    server.script("m1", Stream(["hello ", "world"], usage=None))
    done = list(make_gateway().stream_chat(HI))[-1]
    assert done.result.usage.estimated and done.result.usage.completion_tokens >= 2


def test_stream_falls_back_before_the_first_token(make_gateway, server, meter):
    server.script("m1", Status(503), Stream(["x"], disconnect_after=0), Status(500))
    server.script("m2", Stream(["备用"]))
    events = list(make_gateway().stream_chat(HI))
    assert [e.text for e in events if isinstance(e, Delta)] == ["备用"]
    assert events[-1].result.model == "m2"
    assert [c.error_class for c in meter.calls] == [
        "server_error",
        "connection",
        "server_error",
        "",
    ]


def test_stream_failure_after_the_first_token_is_not_hidden(make_gateway, server, meter):
    server.script("m1", Stream(["第一", "第二", "第三"], disconnect_after=2))
    server.default["m2"] = Stream(["never"])
    seen = []
    with pytest.raises(ModelCallError, match="after the first token"):
        for event in make_gateway().stream_chat(HI):
            seen.append(event.text)
    assert seen == ["第一", "第二"]
    assert server.chat_requests("m2") == []
    [call] = meter.calls
    assert (call.status, call.error_class, call.estimated) == ("error", "connection", True)
    assert call.completion_tokens > 0


def test_stream_first_token_timeout_falls_back(make_gateway, server, meter):
    server.script("m1", Stream(["slow"], first_delay_s=0.6))
    server.script("m2", Stream(["fast"]))
    gateway = make_gateway(first_token_timeout_s=0.15, max_retries=0)
    events = list(gateway.stream_chat(HI))
    assert events[-1].result.model == "m2"
    assert meter.calls[0].error_class == "timeout"


def test_stream_idle_timeout_after_first_token_raises(make_gateway, server, meter):
    server.script("m1", Stream(["a", "b"], between_delay_s=0.6))
    gateway = make_gateway(stream_idle_timeout_s=0.15)
    with pytest.raises(ModelCallError, match="timeout"):
        list(gateway.stream_chat(HI))
    assert meter.calls[0].error_class == "timeout"


def test_an_abandoned_stream_is_still_metered(make_gateway, server, meter):
    server.script("m1", Stream(["a", "b", "c"]))
    events = make_gateway().stream_chat(HI)
    assert next(events).text == "a"
    events.close()
    [call] = meter.calls
    assert call.error_class == "cancelled" and call.estimated


def test_stream_budget_block_raises_before_any_request(make_gateway, server, meter):
    meter.block_action = "block"
    with pytest.raises(BudgetExceeded):
        list(make_gateway().stream_chat(HI))
    assert server.chat_requests() == []


def test_concurrent_calls_share_one_gateway(make_gateway, server, meter):
    server.default["m1"] = Reply("ok")
    gateway = make_gateway()
    errors: list[Exception] = []

    def worker() -> None:
        try:
            for _ in range(10):
                gateway.chat(HI)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(meter.calls) == 40
    assert len({c.request_id for c in meter.calls}) == 40


def test_a_classified_context_never_reaches_a_public_model(make_gateway, server, meter):
    gateway = make_gateway(
        tiers={"fast": ["cloud/m1", "cloud/m2"], "mixed": ["cloud/m1", "local/m3"]}
    )
    server.script("m3", Reply("内部答案"))
    with clean_context():
        taint(2)  # the caller has read 机密 text
        result = gateway.chat(HI, tier="mixed")
    assert result.model == "m3" and result.deployment == "private"
    assert [body["model"] for _, body, _ in server.requests] == ["m3"]
    # Skipping a public model is not an attempt: nothing was sent, nothing is metered for it.
    assert outcomes(meter) == [("m3", "ok", "")]

    with clean_context():
        taint(2)
        with pytest.raises(ModelCallError, match="机密"):
            gateway.chat(HI, tier="fast")
        with pytest.raises(ModelCallError, match="机密"):
            list(gateway.stream_chat(HI, tier="fast"))
    assert [body["model"] for _, body, _ in server.requests] == ["m3"]
