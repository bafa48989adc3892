"""Agent errors.

AgentError
├── AgentNotFound         no such agent (or the caller may not use it: same message)
├── AgentExists           the name is taken
├── InvalidAgent          a bad name, unknown knowledge base or unknown principal
└── ConversationNotFound  no such conversation for this user and agent
"""

from __future__ import annotations


class AgentError(Exception):
    code = "agent_error"


class AgentNotFound(AgentError):
    code = "unknown_agent"


class AgentExists(AgentError):
    code = "agent_exists"


class InvalidAgent(AgentError):
    code = "invalid_agent"


class ConversationNotFound(AgentError):
    code = "unknown_conversation"
