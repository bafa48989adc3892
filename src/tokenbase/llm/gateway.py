"""The model gateway: every chat call routed by tier, retried, failed over, and metered.

    gateway = Gateway(settings.llm, meter=ledger)
    result = gateway.chat([{"role": "user", "content": "你好"}], tier="fast")
    for event in gateway.stream_chat(messages):      # Delta(text)..., then Done(result)
        ...
    data = gateway.complete_json(messages, schema)   # JsonResult(value, ...)

For each model of the tier, in order: skip it if its circuit is open; reserve the budget
(`meter.reserve`; a "downgrade" budget switches the rest of the call to a cheaper tier, a
"block" budget raises BudgetExceeded); call it; retry 429/5xx/timeouts/connection errors with
exponential backoff and jitter; otherwise move on to the next model. Every attempt — ok,
failed, skipped or blocked — is one CallRecord passed to `meter.record`. When every model
fails the caller gets ModelCallError listing each model and why.

Errors raised: ModelConfigError (no model configured, unknown tier or model), ModelCallError
(all attempts failed, or a stream broke after its first token), BudgetExceeded (blocked).
"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from ..config import LLMSettings
from ..guard.redline import RedLineBlocked, RedLinePolicy, data_level, refusal_message
from ..ledger.attribution import current_attribution
from ..ledger.errors import BudgetExceeded
from . import structured
from .attempts import (
    CallState,
    Downgrade,
    ModelDone,
    Target,
    call_record,
    drain,
    estimate_prompt_tokens,
    estimate_usage,
    failure_reason,
    retry_delay,
)
from .breaker import CircuitBreaker
from .chat import ChatProvider, ChatReply, ChatRequest, Message, ProviderError, Usage
from .chat import create_chat_provider as _create_provider
from .errors import ModelCallError, ModelConfigError
from .metering import Meter
from .outbound import Masker, StreamRestorer, restore_tool_calls
from .results import Attempt, ChatResult, Delta, Done, JsonResult, StreamEvent
from .streaming import with_deadlines

NO_MODEL_HELP = (
    "no chat model is configured: add a [[llm.providers]] entry (name, base_url, api_key_env, "
    "models) and optionally [llm.tiers] to <data_dir>/tokenbase.toml; `tokenbase models list` "
    "shows what is configured"
)
PUBLIC_SKIPPED = (
    "skipped: a public model may not receive text classified 机密 or above; add a "
    'deployment = "private" model to this tier'
)


class Gateway:
    def __init__(
        self,
        settings: LLMSettings,
        meter: Meter,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        redline: RedLinePolicy | None = None,
        masker: Masker | None = None,
    ) -> None:
        self.settings = settings
        self.meter = meter
        self.redline = redline or RedLinePolicy()
        self.masker = masker  # set: PII is masked before every public call
        self._sleep = sleep
        self._providers_cfg = {p.name: p for p in settings.providers}
        self._providers: dict[str, ChatProvider] = {}
        self._lock = threading.Lock()
        self._tiers = dict(settings.tiers) or (
            {settings.default_tier: [f"{p.name}/{m}" for p in settings.providers for m in p.models]}
            if settings.providers
            else {}
        )
        self.breakers = {
            f"{p.name}/{m}": CircuitBreaker(
                settings.breaker_failures, settings.breaker_cooldown_s, clock
            )
            for p in settings.providers
            for m in p.models
        }

    # -- what is configured ---------------------------------------------------------------------
    @property
    def has_chat(self) -> bool:
        return bool(self._tiers)

    @property
    def tiers(self) -> dict[str, list[str]]:
        """Tier name -> ordered '<provider>/<model>' list."""
        return {name: list(models) for name, models in self._tiers.items()}

    def provider(self, name: str) -> ChatProvider:
        """The provider client, built on first use (a missing key env var fails only then)."""
        with self._lock:
            if name not in self._providers:
                self._providers[name] = _create_provider(self._providers_cfg[name])
            return self._providers[name]

    def _targets(self, state: CallState) -> list[Target]:
        if state.pinned:
            keys = [state.pinned]
        else:
            if state.tier not in self._tiers:
                raise ModelConfigError(
                    f"unknown model tier {state.tier!r}; configured tiers (llm.tiers): "
                    f"{', '.join(sorted(self._tiers))}"
                )
            keys = self._tiers[state.tier]
            if state.private_only and self.redline.private_tier in self._tiers:
                keys = list(dict.fromkeys([*keys, *self._tiers[self.redline.private_tier]]))
        targets = []
        for key in keys:
            name, _, model = key.partition("/")
            cfg = self._providers_cfg.get(name)
            if cfg is None or model not in cfg.models:
                raise ModelConfigError(f"unknown model {key!r}; `tokenbase models list` shows them")
            targets.append(Target(key, model, cfg))
        return targets

    def _state(self, tier: str | None, model: str | None, prompt_name: str) -> CallState:
        if not self.has_chat:
            raise ModelConfigError(NO_MODEL_HELP)
        state = CallState(
            tier=tier or (self.settings.default_tier if not model else ""),
            pinned=model or "",
            prompt_name=prompt_name,
            attribution=current_attribution(),
        )
        # Red line 1: what this context has read decides where its prompt may go.
        level = data_level()
        if self.redline.applies(level):
            if self.redline.action == "refuse":
                raise RedLineBlocked(refusal_message(level))
            # "mask" needs a masker; without one it falls back to the safe side.
            if self.redline.action == "private" or self.masker is None:
                state.private_only = True
        self._targets(state)  # an unknown tier or model fails now, even for a stream
        return state

    # -- public calls ---------------------------------------------------------------------------
    def chat(
        self,
        messages: list[Message],
        *,
        tier: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        response_format: dict[str, Any] | None = None,
        prompt_name: str = "",
    ) -> ChatResult:
        """One chat completion from the first model of `tier` (default llm.default_tier) that
        answers; `model="provider/model"` pins one model (no fallback). A context tainted with
        classified text (guard/redline.py) only reaches the models the red line allows."""
        state = self._state(tier, model, prompt_name)
        limit = max_tokens or self.settings.default_max_tokens

        def on_model(target: Target) -> ChatResult:
            request = ChatRequest(
                target.model, messages, limit, temperature, tools, tool_choice, response_format
            )
            reply = self._with_retries(
                state, target, lambda: self._complete_once(state, target, request)
            )
            return self._result(state, target, reply)

        return drain(self._route(state, on_model))

    def stream_chat(
        self,
        messages: list[Message],
        *,
        tier: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        response_format: dict[str, Any] | None = None,
        prompt_name: str = "",
    ) -> Iterator[StreamEvent]:
        """Stream a chat completion: `Delta(text)` events, then one `Done(result)`.

        A model that fails before its first token is retried or replaced by the next one; a
        failure after it raises ModelCallError (the caller has already shown part of the text).
        """
        # Attribution is captured here, at call time, not at the first next().
        state = self._state(tier, model, prompt_name)
        limit = max_tokens or self.settings.default_max_tokens

        def on_model(target: Target) -> Iterator[StreamEvent]:
            request = ChatRequest(
                target.model, messages, limit, temperature, tools, tool_choice, response_format
            )
            return self._stream_on(state, target, request)

        def events() -> Iterator[StreamEvent]:
            result = yield from self._route(state, on_model)
            yield Done(result)

        return events()

    def complete_json(
        self,
        messages: list[Message],
        schema: dict[str, Any],
        *,
        tier: str | None = None,
        model: str | None = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        prompt_name: str = "",
    ) -> JsonResult:
        """A JSON value valid against `schema`: native JSON mode per provider, repair,
        re-ask with the validation error (llm.json_max_reasks), then the next model.
        Raises ModelConfigError for an invalid schema."""
        validator = structured.validator_for(schema)
        state = self._state(tier, model, prompt_name)
        limit = max_tokens or self.settings.default_max_tokens

        def on_model(target: Target) -> JsonResult:
            mode = target.settings.json_mode
            asked = (
                messages
                if mode == "json_schema"
                else structured.with_schema_prompt(messages, schema)
            )
            fmt = structured.response_format(mode, schema)
            parsed: list[structured.Parsed] = []

            def check(reply: ChatReply) -> str:  # runs before the attempt is recorded
                parsed.append(structured.parse(reply.text, validator))
                return parsed[-1].output_format

            for _ in range(self.settings.json_max_reasks + 1):
                request = ChatRequest(target.model, asked, limit, temperature, response_format=fmt)
                once = partial(self._complete_once, state, target, request, check)
                reply = self._with_retries(state, target, once)
                outcome = parsed[-1]
                if outcome.output_format != "invalid":
                    return JsonResult(
                        value=outcome.value,
                        provider=target.settings.name,
                        model=target.model,
                        tier=state.tier,
                        output_format=outcome.output_format,
                        usage=reply.usage or Usage(),
                        request_id=state.request_id,
                        attempts=state.attempts,
                        downgraded_from=state.downgraded_from,
                    )
                asked = structured.reask_messages(asked, reply.text, outcome.error)
            error = parsed[-1].error if parsed else ""
            raise ModelDone(f"format_error: no valid JSON after re-asks ({error})")

        return drain(self._route(state, on_model))

    # -- routing --------------------------------------------------------------------------------
    def _route(self, state: CallState, on_model: Callable[[Target], Any]) -> Iterator[Any]:
        """Try each model of the tier in turn; a generator so streams share the same loop."""
        while True:
            try:
                for target in self._targets(state):
                    if state.private_only and target.settings.deployment != "private":
                        # Red line: confidential text never reaches a public-cloud model, on
                        # any tier, a budget downgrade's included. Not an attempt: no call.
                        state.failures.append(f"{target.key}: {PUBLIC_SKIPPED}")
                        continue
                    if not self.breakers[target.key].allow():
                        self._record(state, target, "error", "circuit_open", "circuit open")
                        state.failures.append(f"{target.key}: circuit open (cooling down)")
                        continue
                    try:
                        outcome = on_model(target)
                        if isinstance(outcome, types.GeneratorType):
                            outcome = yield from outcome
                        return outcome
                    except ModelDone as done:
                        state.failures.append(f"{target.key}: {done}")
            except Downgrade as down:
                state.downgraded_from = state.downgraded_from or state.tier
                state.tier = down.tier
                continue
            where = (
                f"model {state.pinned}" if state.pinned else f"every model of tier {state.tier!r}"
            )
            raise ModelCallError(
                f"{where} failed (request {state.request_id}): " + "; ".join(state.failures)
            )

    def _with_retries(self, state: CallState, target: Target, once: Callable[[], Any]) -> Any:
        for retry in range(self.settings.max_retries + 1):
            try:
                return once()
            except ProviderError as exc:
                self._before_retry(target, exc, retry)
        raise AssertionError("unreachable")  # pragma: no cover

    def _before_retry(self, target: Target, exc: ProviderError, retry: int) -> None:
        """Sleep before the next try at this model, or raise ModelDone to move on."""
        delay = retry_delay(self.settings, exc, retry)
        if delay is None:
            raise ModelDone(failure_reason(self.settings, exc, retry)) from exc
        self._sleep(delay)
        if not self.breakers[target.key].allow():
            raise ModelDone(f"{exc.error_class}: {exc}; circuit opened") from exc

    # -- one attempt ----------------------------------------------------------------------------
    def _reserve(
        self, state: CallState, target: Target, prompt_tokens: int, max_tokens: int
    ) -> Any:
        try:
            return self.meter.reserve(
                provider=target.settings.name,
                model=target.model,
                deployment=target.settings.deployment,
                tier=state.tier,
                prompt_tokens=prompt_tokens,
                max_output_tokens=max_tokens,
                attribution=state.attribution,
            )
        except BudgetExceeded as exc:
            self.breakers[target.key].release()
            down = exc.downgrade_tier if exc.action == "downgrade" else ""
            extra = {"budget_id": str(exc.budget_id), "action": exc.action}
            if down:
                extra["downgrade_tier"] = down
            self._record(state, target, "blocked", "budget_blocked", str(exc), extra=extra)
            if down and down != state.tier and down in self._tiers and not state.pinned:
                raise Downgrade(down) from exc
            raise

    def _complete_once(
        self,
        state: CallState,
        target: Target,
        request: ChatRequest,
        check: Callable[[ChatReply], str] | None = None,
    ) -> ChatReply:
        request, scope = self._outbound(state, target, request)
        prompt_tokens = estimate_prompt_tokens(request.messages)
        reservation = self._reserve(state, target, prompt_tokens, request.max_tokens)
        provider = self.provider(target.settings.name)
        started, t0 = datetime.now(UTC), time.perf_counter()
        try:
            reply = provider.complete(request)
        except ProviderError as exc:
            self._failed(state, target, exc, started, t0, reservation, None)
            raise
        if scope and self.masker is not None:
            reply.text = self.masker.restore(reply.text, scope)
            reply.tool_calls = restore_tool_calls(self.masker, reply.tool_calls, scope)
        reply.usage = reply.usage or estimate_usage(prompt_tokens, reply.text, reply.tool_calls)
        output_format = check(reply) if check else ""
        self.breakers[target.key].success()
        self._record(
            state,
            target,
            "ok" if output_format != "invalid" else "error",
            "format_error" if output_format == "invalid" else "",
            "reply did not match the JSON Schema" if output_format == "invalid" else "",
            started=started,
            t0=t0,
            usage=reply.usage,
            reservation=reservation,
            provider_cost=reply.provider_cost,
            output_format=output_format,
        )
        return reply

    def _stream_on(
        self, state: CallState, target: Target, request: ChatRequest
    ) -> Iterator[StreamEvent]:
        request, scope = self._outbound(state, target, request)
        prompt_tokens = estimate_prompt_tokens(request.messages)
        provider = self.provider(target.settings.name)
        for retry in range(self.settings.max_retries + 1):
            restorer = StreamRestorer(self.masker, scope) if scope and self.masker else None
            reservation = self._reserve(state, target, prompt_tokens, request.max_tokens)
            started, t0 = datetime.now(UTC), time.perf_counter()
            pieces: list[str] = []
            ttft: float | None = None
            final = None
            events = with_deadlines(
                provider.stream(request),
                self.settings.first_token_timeout_s,
                self.settings.stream_idle_timeout_s,
            )
            try:
                for delta in events:
                    if delta.text:
                        if ttft is None:
                            ttft = (time.perf_counter() - t0) * 1000
                        text = restorer.feed(delta.text) if restorer else delta.text
                        pieces.append(text)
                        if text:
                            yield Delta(text)
                    if delta.finish_reason or delta.usage or delta.tool_calls:
                        final = delta
                if restorer and (tail := restorer.flush()):
                    pieces.append(tail)
                    yield Delta(tail)
            except ProviderError as exc:
                partial = estimate_usage(prompt_tokens, "".join(pieces), None) if pieces else None
                self._failed(state, target, exc, started, t0, reservation, partial, ttft)
                if pieces:
                    raise ModelCallError(
                        f"{target.key} failed after the first token ({exc.error_class}: {exc}); "
                        f"request {state.request_id}"
                    ) from exc
                self._before_retry(target, exc, retry)
                continue
            except GeneratorExit:  # the caller stopped reading (client went away)
                self.breakers[target.key].release()
                self._record(
                    state,
                    target,
                    "error",
                    "cancelled",
                    "stream abandoned by the caller",
                    started=started,
                    t0=t0,
                    usage=estimate_usage(prompt_tokens, "".join(pieces), None),
                    reservation=reservation,
                    ttft_ms=ttft,
                )
                raise
            finally:
                events.close()
            text = "".join(pieces)
            calls = (final.tool_calls if final else None) or []
            if scope and self.masker is not None:
                calls = restore_tool_calls(self.masker, calls, scope)
            usage = (final.usage if final else None) or estimate_usage(prompt_tokens, text, calls)
            cost = final.provider_cost if final else None
            self.breakers[target.key].success()
            self._record(
                state,
                target,
                "ok",
                "",
                "",
                started=started,
                t0=t0,
                usage=usage,
                reservation=reservation,
                provider_cost=cost,
                ttft_ms=ttft,
            )
            reply = ChatReply(text, final.finish_reason if final else "", calls, usage, cost)
            result = self._result(state, target, reply)
            result.ttft_ms = ttft
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _failed(
        self,
        state: CallState,
        target: Target,
        exc: ProviderError,
        started: datetime,
        t0: float,
        reservation: Any,
        usage: Usage | None,
        ttft: float | None = None,
    ) -> None:
        breaker = self.breakers[target.key]
        if exc.error_class == "client_error":
            breaker.release()  # our request was refused; the model is not down
        else:
            breaker.failure()
        self._record(
            state,
            target,
            "error",
            exc.error_class,
            str(exc),
            started=started,
            t0=t0,
            usage=usage,
            reservation=reservation,
            ttft_ms=ttft,
        )

    def _record(
        self,
        state: CallState,
        target: Target,
        status: str,
        error_class: str,
        message: str,
        **fields: Any,
    ) -> None:
        """Write one attempt to the meter and to the call's attempt list."""
        reservation = fields.pop("reservation", None)
        call = call_record(state, target, status, error_class, **fields)
        event = self.meter.record(call, state.attribution, reservation)
        usage = Usage(
            call.prompt_tokens, call.completion_tokens, call.cached_tokens, call.estimated
        )
        state.attempts.append(
            Attempt(
                call.attempt,
                call.provider,
                call.model,
                call.tier,
                status,
                error_class,
                message,
                call.latency_ms,
                usage,
                call.output_format,
                getattr(event, "id", None),
            )
        )

    def _outbound(
        self, state: CallState, target: Target, request: ChatRequest
    ) -> tuple[ChatRequest, str]:
        """The request as this target may see it: PII masked for a public model (scope = the
        trace, so placeholders agree across the calls of one answer). Returns the scope to
        restore the reply with, or "" when nothing was masked."""
        if self.masker is None or target.settings.deployment != "public":
            return request, ""
        scope = state.attribution.trace_id or state.request_id
        masked, _ = self.masker.mask_messages(request.messages, scope)
        return replace(request, messages=masked), scope

    def _result(self, state: CallState, target: Target, reply: ChatReply) -> ChatResult:
        return ChatResult(
            text=reply.text,
            provider=target.settings.name,
            model=target.model,
            tier=state.tier,
            deployment=target.settings.deployment,
            usage=reply.usage or Usage(),
            finish_reason=reply.finish_reason,
            request_id=state.request_id,
            tool_calls=reply.tool_calls,
            attempts=state.attempts,
            downgraded_from=state.downgraded_from,
        )
