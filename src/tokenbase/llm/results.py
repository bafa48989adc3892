"""What the gateway returns: results of chat, streaming and structured calls, and attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .chat import Usage


@dataclass
class Attempt:
    """One try at one model within a gateway call (also written to the ledger)."""

    attempt: int  # 1-based across retries and fallbacks
    provider: str
    model: str
    tier: str
    status: str  # "ok" | "error" | "blocked"
    error_class: str = ""
    message: str = ""  # why it failed; never contains a secret or prompt text
    latency_ms: float = 0.0
    usage: Usage | None = None
    output_format: str = ""
    event_id: Any = None  # the ledger's usage event id, when the meter returns one


@dataclass
class ChatResult:
    text: str
    provider: str
    model: str
    tier: str
    deployment: str
    usage: Usage
    finish_reason: str
    request_id: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    ttft_ms: float | None = None  # streaming only
    downgraded_from: str = ""  # the tier asked for, when a budget downgraded the call


@dataclass
class JsonResult:
    value: Any
    provider: str
    model: str
    tier: str
    output_format: str  # "valid" | "repaired" (the accepted attempt's)
    usage: Usage
    request_id: str
    attempts: list[Attempt] = field(default_factory=list)
    downgraded_from: str = ""


@dataclass
class Delta:
    """Streaming: the next piece of answer text."""

    text: str


@dataclass
class Done:
    """Streaming: the last event, with the whole result (text, usage, attempts)."""

    result: ChatResult


StreamEvent = Delta | Done
