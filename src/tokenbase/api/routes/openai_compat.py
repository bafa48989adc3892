"""The OpenAI-compatible endpoint: any OpenAI client can talk to an agent.

    GET  /v1/models             the agents the caller may use (OpenAI list shape), and
                                "auto" (the front desk) when there is at least one
    POST /v1/chat/completions   model = agent name, or "auto"; `stream` true or false

Authentication: a TokenBase API key, `Authorization: Bearer tb_…` (read scope). The last
`user` message is the question; earlier user/assistant messages are the conversation so far
(the endpoint is stateless: nothing is stored as a TokenBase conversation); system messages
are ignored — the agent's own prompt applies.

`model="auto"` sends the question to the front desk (agents/routing.py): the last user message
is routed among the agents the caller may use, and the chosen agent answers. The response's
`model` is the chosen agent's name, and `tokenbase.route` says who chose it and why. The
routing call to a tie-breaker model (if any) is metered under scenario "agent.route" and is
not part of the response's `usage`, which counts the answer only.

Extensions to OpenAI's shapes (documented in docs/api.md):
- `choices[0].message.citations`: [{n, title, location, snippet, document_id, chunk_id,
  url_path}] — the sources behind the [n] markers in the content;
- streaming: a last chunk before `data: [DONE]` whose `choices[0].delta` is empty and which
  carries `citations` (and `usage`) at the top level;
- `tokenbase`: {trace_id, kind, found, note} on the response / the last chunk; with
  `model="auto"` also `agent` (the chosen agent) and `route` (RouteDecision.to_dict():
  agent, decided_by, reason, model_reason, tied, scores, …).

Errors on these paths use OpenAI's error shape, `{"error": {"message", "type", "code",
"param"}}`, instead of the project's `{"error": {"code", "message", "details"}}`, because
OpenAI clients parse that shape to raise their own exceptions.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from ...agents import AgentError, AgentTurn
from ...agents.conversations import Turn
from ...agents.registry import Agent, agent_for_user, usable_agents
from ...agents.routing import RouteDecision, route
from ...agents.runner import citation_dict
from ...db.schema import usage_events
from ...identity import errors as identity_errors
from ...kb.ask import Answer, AskEvent
from ...tokens import count_tokens
from ..deps import Caller, State, get_caller
from ..errors import ApiError
from .ask import _ThreadStream

router = APIRouter(prefix="/v1", tags=["openai"])
logger = logging.getLogger(__name__)

AUTO = "auto"  # the front desk's model id
AUTO_MODEL = {
    "id": AUTO,
    "object": "model",
    "created": 0,
    "owned_by": "tokenbase",
    "display_name": "前台",
    "description": "前台：按问题自动选择最合适的数字员工 (front desk: routes each question to "
    "the best agent; tokenbase.route in the response says which and why)",
    "avatar": "🛎️",
}

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.headers: dict[str, str] = {}

    def response(self) -> JSONResponse:
        body = {
            "error": {
                "message": self.message,
                "type": ERROR_TYPES.get(self.status, "server_error"),
                "code": self.code,
                "param": self.param,
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str
    messages: list[ChatMessage]
    stream: bool = False
    audience: Literal["internal", "external"] = "internal"  # a TokenBase extension


def _authenticate(request: Request, state: State) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise OpenAIError(
            401,
            "send a TokenBase API key: Authorization: Bearer tb_… (create one with "
            "`tokenbase key create` or POST /keys)",
            "missing_api_key",
        )
    credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())
    try:
        caller = get_caller(request, state, credentials, None)
        caller.require_scope("read")
    except identity_errors.IdentityError as exc:
        raise OpenAIError(401, "invalid API key (API 密钥无效)", "invalid_api_key") from exc
    except ApiError as exc:
        error = OpenAIError(exc.status, exc.message, exc.code)
        error.headers = exc.headers
        raise error from exc
    return caller


async def _guarded(handler: Any) -> Any:
    try:
        return await handler()
    except OpenAIError as exc:
        return exc.response()


@router.get("/models", operation_id="openai_list_models")
async def list_models(request: Request, state: State) -> Any:
    """The agents the caller may use, as OpenAI models (plus display name, description,
    avatar), led by "auto" (the front desk) when there is at least one."""

    async def handler() -> dict[str, Any]:
        caller = _authenticate(request, state)
        with state.platform.db.engine.connect() as conn:
            agents = usable_agents(conn, caller.id)
        models = [AUTO_MODEL] if agents else []
        return {"object": "list", "data": [*models, *(_model(a) for a in agents)]}

    return await _guarded(handler)


def _model(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.name,
        "object": "model",
        "created": 0,
        "owned_by": "tokenbase",
        "display_name": agent.display_name,
        "description": agent.description,
        "avatar": agent.avatar,
    }


def _parse(raw: bytes) -> ChatRequest:
    try:
        body = ChatRequest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise OpenAIError(400, f"{field}: {first['msg']}", "invalid_request", field) from exc
    if not body.messages or body.messages[-1].role != "user" or not body.messages[-1].text():
        raise OpenAIError(
            400, "the last message must be a user message with text", "invalid_request", "messages"
        )
    return body


def history_of(messages: list[ChatMessage]) -> list[Turn]:
    """Earlier user/assistant messages as turns (system and tool messages are skipped)."""
    turns: list[Turn] = []
    for message in messages:
        if message.role == "user":
            turns.append(Turn(message.text(), ""))
        elif message.role == "assistant" and turns:
            turns[-1].answer = message.text()
    return turns


def _routed(state: State, caller: Caller, body: ChatRequest) -> RouteDecision:
    """The front desk's choice for the last user message (model "auto")."""
    try:
        return route(state.platform, body.messages[-1].text(), caller.id)
    except AgentError as exc:
        raise OpenAIError(
            404, "no agent is available to you for model 'auto'", "model_not_found", "model"
        ) from exc


def _turn(state: State, caller: Caller, body: ChatRequest, agent: Agent | None) -> AgentTurn:
    if agent is None:
        try:
            with state.platform.db.engine.connect() as conn:
                agent = agent_for_user(conn, body.model, caller.id)
        except AgentError as exc:
            raise OpenAIError(
                404, f"the model '{body.model}' does not exist", "model_not_found", "model"
            ) from exc
    return AgentTurn(
        state.platform,
        agent,
        caller.id,
        body.messages[-1].text(),
        history=history_of(body.messages[:-1]),
        store=False,
        audience=body.audience,
    )


def usage_for(state: State, answer: Answer, prompt: str) -> dict[str, Any]:
    """Token usage from the ledger events of the answer's trace (chat calls); when the
    answer needed no model call (extractive), counted locally and marked `estimated`."""
    with state.platform.db.engine.connect() as conn:
        row = conn.execute(
            select(
                func.count(),
                func.coalesce(func.sum(usage_events.c.prompt_tokens), 0),
                func.coalesce(func.sum(usage_events.c.completion_tokens), 0),
            ).where(usage_events.c.trace_id == answer.trace_id, usage_events.c.kind == "chat")
        ).one()
    calls, prompt_tokens, completion_tokens = int(row[0]), int(row[1]), int(row[2])
    estimated = calls == 0
    if estimated:
        prompt_tokens, completion_tokens = count_tokens(prompt), count_tokens(answer.text)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "estimated": estimated,
    }


def _finish_reason(answer: Answer) -> str:
    return "content_filter" if answer.kind == "blocked" else "stop"


def _extra(answer: Answer, decision: RouteDecision | None = None) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "trace_id": answer.trace_id,
        "kind": answer.kind,
        "found": answer.found,
        "note": answer.note,
    }
    if answer.tool_calls:
        extra["tool_calls"] = answer.tool_calls
    if decision is not None:
        extra["agent"] = decision.agent.name
        extra["route"] = decision.to_dict()
    return extra


@router.post("/chat/completions", operation_id="openai_chat_completions")
async def chat_completions(request: Request, state: State) -> Any:
    """A chat completion from an agent (see the module docstring for the extensions)."""

    async def handler() -> Any:
        caller = _authenticate(request, state)
        body = _parse(await request.body())
        decision = None
        if body.model == AUTO:  # embeddings, maybe a model call: off the event loop
            decision = await run_in_threadpool(_routed, state, caller, body)
        turn = _turn(state, caller, body, decision.agent if decision else None)
        model = turn.agent.name
        created = int(time.time())
        if body.stream:
            return await _stream(state, turn, model, created, decision)
        answer = await _run(turn)
        message = {
            "role": "assistant",
            "content": answer.text,
            "citations": [citation_dict(c) for c in answer.citations],
        }
        return {
            "id": f"chatcmpl-{answer.trace_id}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(answer)}],
            "usage": usage_for(state, answer, turn.question),
            "tokenbase": _extra(answer, decision),
        }

    return await _guarded(handler)


async def _run(turn: AgentTurn) -> Answer:
    """The whole turn, run on one worker thread (the attribution context must not hop)."""
    stream = _ThreadStream(turn.events())
    while (await stream.next()) is not _ThreadStream._END:
        pass
    assert turn.answer is not None
    return turn.answer


def _chunk(chunk_id: str, model: str, created: int, delta: dict, finish: str | None) -> dict:
    return {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _data(payload: object) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


async def _stream(
    state: State, turn: AgentTurn, model: str, created: int, decision: RouteDecision | None
) -> StreamingResponse:
    stream = _ThreadStream(turn.events())
    first = await stream.next()
    chunk_id = f"chatcmpl-{int(time.time() * 1000)}"

    async def events() -> AsyncIterator[str]:
        item = first
        yield _data(_chunk(chunk_id, model, created, {"role": "assistant"}, None))
        try:
            while item is not _ThreadStream._END:
                assert isinstance(item, AskEvent)
                if item.kind == "delta":
                    delta = {"content": item.data}
                    yield _data(_chunk(chunk_id, model, created, delta, None))
                elif item.kind == "done":
                    answer: Answer = item.data
                    last = _chunk(chunk_id, model, created, {}, _finish_reason(answer))
                    last["citations"] = [citation_dict(c) for c in answer.citations]
                    last["usage"] = usage_for(state, answer, turn.question)
                    last["tokenbase"] = _extra(answer, decision)
                    yield _data(last)
                item = await stream.next()
        except Exception as exc:  # after the headers: report in-band, the status is sent
            logger.exception("chat completion stream failed")
            yield _data({"error": {"message": type(exc).__name__, "type": "server_error"}})
        finally:
            stream.cancel()
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
