"""What an administrator chooses from when configuring an agent, beyond the agents
themselves: the model tiers an agent's `tier` may name (`GET /agent-tiers`).

An agent's tier is not checked when it is saved (a tier can be configured later), but a
tier that is not configured fails every answer; the editor offers these instead of a
free-text field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import AdminCaller, State

router = APIRouter(tags=["agents"])


@router.get("/agent-tiers", operation_id="list_agent_tiers")
def list_agent_tiers(caller: AdminCaller, state: State) -> list[dict[str, Any]]:
    """The configured model tiers (`llm.tiers`, or one `llm.default_tier` of every model when
    none are declared), in order: `name`, `models` ('<provider>/<model>', tried in turn),
    `default` (the tier used when an agent names none). Empty without a chat model."""
    default = state.settings.llm.default_tier
    return [
        {"name": name, "models": models, "default": name == default}
        for name, models in state.platform.gateway.tiers.items()
    ]
