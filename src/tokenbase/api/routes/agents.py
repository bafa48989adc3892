"""Agents (数字员工): list the ones the caller may use, create and change them (admins), talk
to one with memory (`POST /agents/{name}/chat`, server-sent events; the stateless
OpenAI-compatible endpoint is routes/openai_compat.py), and read the caller's own
conversations with them."""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, select

from ...agents import (
    Access,
    AgentError,
    AgentExists,
    AgentNotFound,
    AgentSpec,
    ConversationNotFound,
    InvalidAgent,
)
from ...agents.conversations import get_conversation, list_conversations, messages
from ...agents.registry import Agent, agent_for_user, create_agent, update_agent, usable_agents
from ...agents.routing import route
from ...agents.runner import AgentTurn
from ...agents.tools import check_tool_names
from ...agents.tools.trace import calls_for_trace
from ...db.schema import agents as agents_table
from ...db.schema import usage_events
from ..deps import AdminCaller, ReadCaller, State
from ..errors import ApiError
from .ask import _ThreadStream, sse_answer
from .search import kb_error

router = APIRouter(tags=["agents"])
logger = logging.getLogger(__name__)


class AccessModel(BaseModel):
    all: bool = Field(True, description="Everyone may use the agent.")
    departments: list[int] = Field([], description="Department ids (and sub-departments).")
    users: list[int] = Field([], description="User ids.")


class AgentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="ASCII slug; the OpenAI `model` id.")
    display_name: str = ""
    description: str = Field("", description="Role description (also used for routing).")
    avatar: str = Field("", description="An emoji or an image URL.")
    kbs: list[str] = Field([], description="Knowledge bases it searches; [] = all readable.")
    prompt: str = ""
    prompt_ref: str = Field("", description="Prompt in the library, '<name>:<label>'.")
    tier: str = ""
    tools: list[str] = Field([], description="Tools it may call (GET /tools lists them).")
    scenario: str = Field("", description="Ledger scenario; default 'agent.<name>'.")
    allowed: AccessModel = Field(default_factory=AccessModel)
    enabled: bool = True


class AgentUpdate(BaseModel):
    display_name: str | None = None
    description: str | None = None
    avatar: str | None = None
    kbs: list[str] | None = None
    prompt: str | None = None
    prompt_ref: str | None = None
    tier: str | None = None
    tools: list[str] | None = None
    scenario: str | None = None
    allowed: AccessModel | None = None
    enabled: bool | None = None


def agent_error(exc: AgentError) -> ApiError:
    """The HTTP error for an agent error (the project's error shape)."""
    if isinstance(exc, AgentNotFound | ConversationNotFound):
        return ApiError(404, exc.code, str(exc))
    if isinstance(exc, AgentExists):
        return ApiError(409, exc.code, str(exc))
    if isinstance(exc, InvalidAgent):
        return ApiError(422, exc.code, str(exc))
    return ApiError(400, exc.code, str(exc))


def agent_public(agent: Agent, *, admin: bool = False) -> dict[str, Any]:
    """What a user sees of an agent; administrators also see prompt, access and scenario."""
    data = agent.to_dict()
    if not admin:
        for key in ("prompt", "allowed", "created_by"):
            data.pop(key, None)
    return data


@router.get("/agents", operation_id="list_agents")
def list_agents_route(caller: ReadCaller, state: State) -> list[dict[str, Any]]:
    """The agents the caller may use."""
    with state.platform.db.engine.connect() as conn:
        agents = usable_agents(conn, caller.id)
    return [agent_public(a, admin=caller.is_admin) for a in agents]


@router.post("/agents", operation_id="create_agent", status_code=status.HTTP_201_CREATED)
def create_agent_route(body: AgentCreate, caller: AdminCaller, state: State) -> dict[str, Any]:
    """Create an agent (administrators)."""
    data = body.model_dump()
    data["allowed"] = Access(**data["allowed"])
    try:
        check_tool_names(state.settings, body.tools)
        with state.platform.db.engine.begin() as conn:
            agent = create_agent(conn, AgentSpec(**data), caller.id)
    except AgentError as exc:
        raise agent_error(exc) from exc
    return agent_public(agent, admin=True)


@router.patch("/agents/{name}", operation_id="update_agent")
def update_agent_route(
    name: str, body: AgentUpdate, caller: AdminCaller, state: State
) -> dict[str, Any]:
    """Change an agent's fields (administrators); omitted fields stay as they are."""
    changes = body.model_dump(exclude_unset=True)
    if "allowed" in changes:
        changes["allowed"] = Access(**changes["allowed"])
    try:
        check_tool_names(state.settings, changes.get("tools") or [])
        with state.platform.db.engine.begin() as conn:
            agent = update_agent(conn, name, **changes)
    except AgentError as exc:
        raise agent_error(exc) from exc
    return agent_public(agent, admin=True)


@router.get("/agents/{name}/conversations", operation_id="list_agent_conversations")
def list_conversations_route(name: str, caller: ReadCaller, state: State) -> list[dict[str, Any]]:
    """The caller's own conversations with this agent, newest first."""
    try:
        with state.platform.db.engine.connect() as conn:
            agent = agent_for_user(conn, name, caller.id)
            return [c.to_dict() for c in list_conversations(conn, agent.id, caller.id)]
    except AgentError as exc:
        raise agent_error(exc) from exc


@router.get("/conversations", operation_id="list_conversations")
def list_all_conversations_route(
    caller: ReadCaller, state: State, limit: int = Query(50, ge=1, le=500)
) -> list[dict[str, Any]]:
    """The caller's own conversations with every agent they may use, newest first, each
    with its `agent` name."""
    with state.platform.db.engine.connect() as conn:
        found = [
            (c, agent.name)
            for agent in usable_agents(conn, caller.id)
            for c in list_conversations(conn, agent.id, caller.id)
        ]
    found.sort(key=lambda pair: (pair[0].updated_at, pair[0].id), reverse=True)
    return [{**c.to_dict(), "agent": name} for c, name in found[:limit]]


@router.get("/conversations/{conversation_id}", operation_id="get_conversation")
def get_conversation_route(
    conversation_id: int, caller: ReadCaller, state: State
) -> dict[str, Any]:
    """One of the caller's conversations with its agent's name and its messages (answers carry
    their citations, and from their trace the model that wrote them and their tool calls)."""
    try:
        with state.platform.db.engine.connect() as conn:
            conversation = get_conversation(conn, conversation_id, caller.id)
            agent = conn.execute(
                select(agents_table.c.name).where(agents_table.c.id == conversation.agent_id)
            ).scalar_one()
            found = messages(conn, conversation.id)
            for message in found:
                if message["role"] == "assistant" and message["trace_id"]:
                    message.update(_trace_summary(conn, message["trace_id"]))
            return {**conversation.to_dict(), "agent": agent, "messages": found}
    except AgentError as exc:
        raise agent_error(exc) from exc


def _trace_summary(conn: Connection, trace_id: str) -> dict[str, Any]:
    """What a stored answer does not keep itself, from its trace: the chat model that wrote
    it ({} = no model call: extractive) and the tool calls it made."""
    row = conn.execute(
        select(usage_events.c.provider, usage_events.c.model)
        .where(
            usage_events.c.trace_id == trace_id,
            usage_events.c.kind == "chat",
            usage_events.c.status == "ok",
        )
        .order_by(usage_events.c.id.desc())
        .limit(1)
    ).first()
    model = {"provider": row.provider, "model": row.model} if row is not None else {}
    calls = [
        {k: c[k] for k in ("id", "tool", "arguments", "status", "approval_id", "error")}
        for c in calls_for_trace(conn, trace_id)
        if c["depth"] == 0
    ]
    return {"model": model, "tool_calls": calls}


class ChatRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    conversation_id: int | None = Field(None, description="Continue this conversation.")
    audience: Literal["internal", "external"] = Field(
        "internal", description="'external': only sources cleared for external use."
    )


@router.post(
    "/agents/{name}/chat",
    operation_id="agent_chat",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def agent_chat(
    name: str, body: ChatRequest, caller: ReadCaller, state: State
) -> StreamingResponse:
    """One turn with an agent that remembers the conversation, as server-sent events:
    `conversation` ({"id"}: new or continued), `citations`, `delta`, `done` (the answer
    with `conversation_id`, without the result list). The caller's own access applies; an
    agent they may not use, or a conversation that is not theirs with this agent, is a 404
    before the stream starts; a failure after it started is an `error` event."""
    try:
        with state.platform.db.engine.connect() as conn:
            agent = agent_for_user(conn, name, caller.id)
    except AgentError as exc:
        raise agent_error(exc) from exc
    turn = AgentTurn(
        state.platform,
        agent,
        caller.id,
        body.question,
        conversation_id=body.conversation_id,
        audience=body.audience,
    )
    stream = _ThreadStream(turn.events())
    try:
        first = await stream.next()
    except AgentError as exc:
        raise agent_error(exc) from exc
    except KeyError as exc:  # a knowledge base of the agent's is gone
        raise kb_error(exc) from exc

    return sse_answer(
        stream,
        first,
        opening=(("conversation", {"id": turn.conversation_id, "agent": agent.name}),),
        done_extra={"conversation_id": turn.conversation_id},
    )


class RouteRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    agent: str | None = Field(None, description="The user's own choice (override).")


@router.post("/agents/route", operation_id="route_question")
def route_question(body: RouteRequest, caller: ReadCaller, state: State) -> dict[str, Any]:
    """The front desk: the agent that should answer, with every agent's score (best first),
    who decided (`decided_by`: embedding, model — the tie-breaker, with `model_reason` — or
    user) and a one-line reason; `agent` overrides the choice."""
    try:
        decision = route(state.platform, body.question, caller.id, override=body.agent)
    except AgentError as exc:
        raise agent_error(exc) from exc
    return decision.to_dict()
