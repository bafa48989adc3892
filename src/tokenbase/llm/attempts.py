"""One gateway call's state, and how one attempt becomes a CallRecord.

Kept apart from the Gateway's control flow: the retry decision (`retry_delay`), the token
estimates used when a provider sends no usage, and the record every attempt writes.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..config import ChatProviderSettings, LLMSettings
from ..ledger.attribution import Attribution
from ..ledger.calls import CallRecord
from ..tokens import count_tokens
from .chat import Message, ProviderError, Usage
from .results import Attempt


@dataclass(frozen=True)
class Target:
    key: str  # "provider/model"
    model: str
    settings: ChatProviderSettings


@dataclass
class CallState:
    """One gateway call: shared by its retries and fallbacks."""

    tier: str
    pinned: str
    prompt_name: str
    attribution: Attribution
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: list[Attempt] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    downgraded_from: str = ""
    private_only: bool = False  # the context is classified 机密 or above: private models only


class ModelDone(Exception):
    """This model failed for this call; the router moves on to the next one."""


class Downgrade(Exception):
    def __init__(self, tier: str) -> None:
        self.tier = tier


def estimate_prompt_tokens(messages: list[Message]) -> int:
    """Local token estimate of all message contents (text parts of multimodal content too)."""
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            total += count_tokens(content)
        elif isinstance(content, list):
            total += sum(
                count_tokens(str(p.get("text", ""))) for p in content if isinstance(p, dict)
            )
    return total


def retry_delay(settings: LLMSettings, exc: ProviderError, retry: int) -> float | None:
    """Seconds to wait before retry number `retry + 1` at the same model, or None to move on
    to the next model (not retryable, retries used up, or Retry-After above backoff_max_s)."""
    if not exc.retryable or retry >= settings.max_retries:
        return None
    if exc.retry_after is not None:
        return exc.retry_after if exc.retry_after <= settings.backoff_max_s else None
    delay = min(settings.backoff_max_s, settings.backoff_base_s * 2**retry)
    return delay * random.uniform(0.5, 1.0)  # jitter: concurrent callers do not retry in step


def failure_reason(settings: LLMSettings, exc: ProviderError, retry: int) -> str:
    reason = f"{exc.error_class}: {exc}"
    if exc.retryable and retry < settings.max_retries and exc.retry_after is not None:
        reason += f" (asked to wait {exc.retry_after:g}s, more than llm.backoff_max_s)"
    return reason


def call_record(
    state: CallState,
    target: Target,
    status: str,
    error_class: str,
    *,
    started: datetime | None = None,
    t0: float | None = None,
    usage: Usage | None = None,
    provider_cost: Any = None,
    output_format: str = "",
    ttft_ms: float | None = None,
    extra: dict[str, str] | None = None,
) -> CallRecord:
    """The ledger's record of one attempt (never prompt or reply text, never a key)."""
    usage = usage or Usage()
    return CallRecord(
        kind="chat",
        provider=target.settings.name,
        model=target.model,
        deployment=target.settings.deployment,
        started_at=started or datetime.now(UTC),
        request_id=state.request_id,
        attempt=len(state.attempts) + 1,
        tier=state.tier,
        latency_ms=(time.perf_counter() - t0) * 1000 if t0 is not None else 0.0,
        ttft_ms=ttft_ms,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        cached_tokens=usage.cached_tokens,
        estimated=usage.estimated,
        status=status,  # type: ignore[arg-type]
        error_class=error_class,
        provider_cost=provider_cost,
        prompt_name=state.prompt_name,
        output_format=output_format,  # type: ignore[arg-type]
        extra=extra or {},
    )


def estimate_usage(prompt_tokens: int, text: str, tool_calls: list[dict[str, Any]] | None) -> Usage:
    completion = count_tokens(text) + sum(
        count_tokens(str((c.get("function") or {}).get("arguments", ""))) for c in tool_calls or []
    )
    return Usage(prompt_tokens, completion, 0, estimated=True)


def drain(events: Iterator[Any]) -> Any:
    """Run a routing generator that never yields (non-streaming calls) to its return value."""
    try:
        next(events)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("a non-streaming call yielded a stream event")  # pragma: no cover
