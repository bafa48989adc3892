"""Agent templates (智能体超市): the shipped templates, export an agent as one JSON file, and
create an agent from a template (agents/templates.py describes the file)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query, Response, status

from ...agents import AgentError
from ...agents.templates import (
    InvalidTemplate,
    TemplateTooLarge,
    export_agent,
    import_template,
    list_builtin_templates,
    load_builtin_template,
)
from ..deps import AdminCaller, ReadCaller, State
from ..errors import ApiError
from .agents import agent_error, agent_public

router = APIRouter(tags=["agents"])


def template_error(exc: AgentError) -> ApiError:
    """A template error as HTTP: 413 too large, 422 a bad template, else as agent errors."""
    if isinstance(exc, TemplateTooLarge):
        return ApiError(413, exc.code, str(exc))
    if isinstance(exc, InvalidTemplate):
        return ApiError(422, exc.code, str(exc))
    return agent_error(exc)


@router.get("/agent-templates", operation_id="list_agent_templates")
def list_agent_templates(caller: ReadCaller) -> list[dict[str, Any]]:
    """The shipped agent templates: key, name, avatar, description, tools, sample knowledge."""
    return [t.to_dict() for t in list_builtin_templates()]


@router.get("/agents/{name}/export", operation_id="export_agent")
def export_agent_route(
    name: str,
    caller: AdminCaller,
    state: State,
    knowledge: Annotated[
        bool, Query(description="Include the documents of the agent's knowledge bases.")
    ] = False,
) -> Response:
    """The agent as a template file (administrators): settings, tool names, its prompt's
    versions and labels, and with `knowledge=true` its documents. Who may use it is not
    exported."""
    try:
        data = export_agent(state.platform, name, include_knowledge=knowledge)
    except AgentError as exc:
        raise template_error(exc) from exc
    filename = f"{name}.agent.json"
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
        media_type="application/json",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.post(
    "/agent-templates/import",
    operation_id="import_agent_template",
    status_code=status.HTTP_201_CREATED,
)
def import_agent_template(
    caller: AdminCaller,
    state: State,
    body: Annotated[
        dict[str, Any],
        Body(
            description="A template file's JSON, or "
            '`{"template": "<key>" or {template}, "name": "...", "knowledge": true}`.'
        ),
    ],
    name: Annotated[str | None, Query(description="Name the agent this.")] = None,
    knowledge: Annotated[bool, Query(description="Ingest the sample knowledge.")] = True,
) -> dict[str, Any]:
    """Create an agent from a template (administrators): the prompt is reused when identical
    or added as new versions, sample knowledge is ingested into new knowledge bases, and tools
    this installation lacks are dropped with a warning. Returns the agent and what was done."""
    data: Any = body
    if "format" not in body and "template" in body:
        data = body["template"]
        name = body.get("name") or name
        knowledge = bool(body.get("knowledge", knowledge))
    try:
        if isinstance(data, str):
            data = load_builtin_template(data)
        result = import_template(
            state.platform, data, name=name, created_by=caller.id, knowledge=knowledge
        )
    except AgentError as exc:
        raise template_error(exc) from exc
    return {**result.to_dict(), "agent": agent_public(result.agent, admin=True)}
