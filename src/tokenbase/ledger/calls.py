"""What the model gateway tells the ledger about one attempt at one model call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

CallKind = Literal["chat", "embedding", "rerank", "transcription"]


@dataclass
class CallRecord:
    kind: CallKind
    provider: str  # provider name from config, e.g. "deepseek"; "local" for bundled models
    model: str  # model name as the provider knows it, e.g. "deepseek-chat"
    deployment: Literal["private", "public"]
    started_at: datetime  # timezone-aware UTC
    request_id: str  # one per gateway call; retries and fallbacks share it
    attempt: int = 1  # 1-based across retries and fallbacks of one request
    tier: str = ""
    latency_ms: float = 0.0
    ttft_ms: float | None = None  # time to first token (streaming)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # part of prompt_tokens served from the provider's cache
    estimated: bool = False  # tokens counted locally: the provider returned no usage
    status: Literal["ok", "error", "blocked"] = "ok"
    error_class: str = ""  # "", rate_limited, server_error, timeout, connection, bad_response,
    # format_error, budget_blocked, circuit_open
    provider_cost: Decimal | None = None  # cost the provider reported, if any
    prompt_name: str = ""  # prompt template id, for format-error rates per prompt
    output_format: Literal["", "valid", "repaired", "invalid"] = ""  # structured output only
    extra: dict[str, str] = field(default_factory=dict)  # never prompt or response text
