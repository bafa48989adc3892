"""The OpenAI-compatible chat provider: POST {base_url}/chat/completions, JSON or SSE.

Speaks to DeepSeek, DashScope (Qwen, compatible mode), Volcano Ark (Doubao), Ollama, vLLM,
Xinference and anything else with the OpenAI wire format. Sync httpx: one pooled client per
provider, shared by threads (see docs/design-notes.md, "Model gateway").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..config import ChatProviderSettings
from .chat import ChatDelta, ChatReply, ChatRequest, ProviderError, Usage, register_chat_provider
from .http import api_client


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def parse_usage(payload: Any) -> tuple[Usage | None, Decimal | None]:
    """Usage and provider-reported cost from a response's `usage` object, if any."""
    if not isinstance(payload, dict):
        return None, None
    details = payload.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, dict) else None
    if cached is None:
        cached = payload.get("prompt_cache_hit_tokens")  # DeepSeek's name for it
    usage = Usage(
        prompt_tokens=int(payload.get("prompt_tokens") or 0),
        completion_tokens=int(payload.get("completion_tokens") or 0),
        cached_tokens=int(cached or 0),
    )
    cost = None
    if isinstance(payload.get("cost"), int | float | str):  # e.g. OpenRouter-style gateways
        try:
            cost = Decimal(str(payload["cost"]))
        except InvalidOperation:
            cost = None
    return usage, cost


class OpenAIChatProvider:
    def __init__(self, settings: ChatProviderSettings) -> None:
        self.name = settings.name
        self.deployment = settings.deployment
        self.json_mode = settings.json_mode
        self._settings = settings
        section = f"llm.providers[{settings.name}]"
        self._client = api_client(
            settings.base_url, settings.api_key_env, settings.timeout_s, section
        )
        # Kept only to scrub it from anything a server echoes back into an error message.
        self._secret = os.environ.get(settings.api_key_env, "") if settings.api_key_env else ""

    def _body(self, request: ChatRequest, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": request.messages,
            "max_tokens": request.max_tokens,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.tools and self._settings.tools:
            body["tools"] = request.tools
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        if request.response_format is not None:
            body["response_format"] = request.response_format
        if stream:
            body["stream"] = True
            if self._settings.stream_usage:
                body["stream_options"] = {"include_usage": True}
        return body

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _status_error(self, response: httpx.Response) -> ProviderError:
        try:
            response.read()
            detail = response.text[:300]
            body = response.json()
            error = body.get("error", body) if isinstance(body, dict) else body
            detail = str(error.get("message", detail) if isinstance(error, dict) else error)[:300]
        except (ValueError, httpx.HTTPError):
            pass
        status = response.status_code
        message = self._scrub(f"HTTP {status}: {detail}")
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            return ProviderError("rate_limited", message, retry_after=retry_after)
        if status >= 500:
            return ProviderError("server_error", message)
        if status == 408:
            return ProviderError("timeout", message)
        return ProviderError("client_error", message)

    def _transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection"
        return ProviderError(kind, self._scrub(f"{type(exc).__name__}: {exc}"))

    def complete(self, request: ChatRequest) -> ChatReply:
        try:
            response = self._client.post("/chat/completions", json=self._body(request, False))
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc
        if response.status_code >= 400:
            raise self._status_error(response)
        try:
            payload = response.json()
            choice = payload["choices"][0]
            message = choice["message"]
            text = message.get("content") or ""
            if not isinstance(text, str):
                raise TypeError("content is not a string")
            tool_calls = message.get("tool_calls") or []
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderError(
                "bad_response", f"malformed chat completion ({type(exc).__name__})"
            ) from exc
        usage, cost = parse_usage(payload.get("usage"))
        return ChatReply(text, choice.get("finish_reason") or "", tool_calls, usage, cost)

    def stream(self, request: ChatRequest) -> Iterator[ChatDelta]:
        body = self._body(request, True)
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code >= 400:
                    raise self._status_error(response)
                yield from self._events(response)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from exc

    def _events(self, response: httpx.Response) -> Iterator[ChatDelta]:
        finish, usage, cost = "", None, None
        calls: dict[int, dict[str, Any]] = {}
        done = False
        for line in response.iter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, ": keep-alive" comments, event:/id: fields
            data = line[5:].strip()
            if data == "[DONE]":
                done = True
                break
            try:
                chunk = json.loads(data)
                if chunk.get("usage"):
                    usage, cost = parse_usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    finish = choice.get("finish_reason") or finish
                    for call in delta.get("tool_calls") or []:
                        _merge_tool_call(calls, call)
                    if delta.get("content"):
                        yield ChatDelta(text=str(delta["content"]))
            except (ValueError, TypeError, AttributeError) as exc:
                raise ProviderError(
                    "bad_response", f"malformed stream chunk ({type(exc).__name__})"
                ) from exc
        if not done and not finish:
            raise ProviderError("bad_response", "stream ended without a finish reason or [DONE]")
        tool_calls = [calls[i] for i in sorted(calls)] or None
        yield ChatDelta(
            finish_reason=finish, tool_calls=tool_calls, usage=usage, provider_cost=cost
        )


def _merge_tool_call(calls: dict[int, dict[str, Any]], part: dict[str, Any]) -> None:
    """Streamed tool calls arrive in pieces keyed by index; arguments are concatenated."""
    entry = calls.setdefault(
        int(part.get("index", 0)),
        {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
    )
    entry["id"] = part.get("id") or entry["id"]
    function = part.get("function") or {}
    entry["function"]["name"] += function.get("name") or ""
    entry["function"]["arguments"] += function.get("arguments") or ""


register_chat_provider("openai")(OpenAIChatProvider)
