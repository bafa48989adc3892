"""Chat providers: one contract, a registry; the gateway never branches on a provider's name.

A provider makes ONE HTTP call per `complete` / `stream` and reports failures as
`ProviderError` with an `error_class` the gateway's retry and fallback rules understand:

    rate_limited   429 (retry_after from Retry-After, seconds)    retried, then next model
    server_error   5xx                                             retried, then next model
    timeout        no response in time                             retried, then next model
    connection     refused, reset, closed mid-body                 retried, then next model
    bad_response   malformed body or SSE stream                    next model
    client_error   other 4xx (bad request, auth)                   next model

The built-in OpenAI-compatible provider (llm/openai_chat.py) registers itself here exactly
as a plugin would: `@register_chat_provider("openai")`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from ..config import ChatProviderSettings
from .errors import ModelCallError, ModelConfigError

Message = dict[str, Any]  # OpenAI wire format: {"role": ..., "content": ...}

RETRYABLE = frozenset({"rate_limited", "server_error", "timeout", "connection"})


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # part of prompt_tokens served from the provider's prompt cache
    estimated: bool = False  # counted locally: the provider returned no usage


@dataclass
class ChatRequest:
    model: str
    messages: list[Message]
    max_tokens: int
    temperature: float | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    response_format: dict[str, Any] | None = None


@dataclass
class ChatReply:
    """What one provider call returned. `usage` is None when the provider sent none."""

    text: str
    finish_reason: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage | None = None
    provider_cost: Decimal | None = None


@dataclass
class ChatDelta:
    """One piece of a stream: text, or (last) the finish reason, tool calls and usage."""

    text: str = ""
    finish_reason: str = ""
    tool_calls: list[dict[str, Any]] | None = None
    usage: Usage | None = None
    provider_cost: Decimal | None = None


class ProviderError(ModelCallError):
    """One provider call failed; the message never contains a secret."""

    def __init__(self, error_class: str, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.error_class = error_class
        self.retry_after = retry_after  # seconds the server asked us to wait (429)

    @property
    def retryable(self) -> bool:
        return self.error_class in RETRYABLE


class ChatProvider(Protocol):
    name: str  # the [[llm.providers]] name
    deployment: str  # "private" | "public"
    json_mode: str  # "json_schema" | "json_object" | "none"

    def complete(self, request: ChatRequest) -> ChatReply:
        """One non-streaming call. Raises ProviderError."""
        ...

    def stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        """One streaming call: text deltas, then a final delta with finish reason and usage
        (usage None when the provider sent none). Raises ProviderError while iterating."""
        ...


ChatProviderFactory = Callable[[ChatProviderSettings], ChatProvider]
_REGISTRY: dict[str, ChatProviderFactory] = {}


def register_chat_provider(kind: str) -> Callable[[ChatProviderFactory], ChatProviderFactory]:
    def decorator(factory: ChatProviderFactory) -> ChatProviderFactory:
        _REGISTRY[kind] = factory
        return factory

    return decorator


def create_chat_provider(settings: ChatProviderSettings) -> ChatProvider:
    """Build one configured provider. Raises ModelConfigError naming the fix."""
    from . import openai_chat  # noqa: F401  (registers the built-in kind)

    factory = _REGISTRY.get(settings.kind)
    if factory is None:
        raise ModelConfigError(
            f"unknown chat provider kind {settings.kind!r} for provider {settings.name!r}; "
            f"set llm.providers[].kind to one of {', '.join(sorted(_REGISTRY))}"
        )
    return factory(settings)
