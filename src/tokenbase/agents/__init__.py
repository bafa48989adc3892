"""Digital employees (数字员工): agents with their own knowledge, tools, memory and routing.

- `registry`: agents (name = the OpenAI model id, knowledge bases, prompt, tier, who may use it)
- `conversations`: per-user conversations, memory (recent turns + running summary)
- `runner`: one turn, within the user's own access scope ∩ the agent's knowledge bases
"""

from .errors import AgentError, AgentExists, AgentNotFound, ConversationNotFound, InvalidAgent
from .registry import Access, Agent, AgentSpec, create_agent, get_agent, list_agents
from .runner import AgentTurn

__all__ = [
    "Access",
    "Agent",
    "AgentError",
    "AgentExists",
    "AgentNotFound",
    "AgentSpec",
    "AgentTurn",
    "ConversationNotFound",
    "InvalidAgent",
    "create_agent",
    "get_agent",
    "list_agents",
]
