"""The tool contract: what a tool declares, what it is given, what it returns.

A tool is a name, a description for the model, a JSON Schema for its arguments and an impact:
`low` runs at once, `high` waits in the approval queue (red line 2) and the model is told so.
`spec(context)` says how the tool looks to this caller (the agents one may consult depend on
who asks), or None when it is not offered. `run(context, arguments)` gets arguments already
validated against the schema and returns a ToolOutput; it raises ToolFailed with a message the
model (and the trace) may read.

    class Clock:
        name = "clock"
        def spec(self, context): return ToolSpec("clock", "现在几点", {"type": "object"})
        def run(self, context, arguments): return ToolOutput(datetime.now().isoformat())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ...access import AccessScope
from ...search.hybrid import SearchHit

if TYPE_CHECKING:
    from ...kb.platform import Platform
    from ..registry import Agent

Impact = Literal["low", "high"]


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]  # JSON Schema of the arguments object
    impact: Impact = "low"

    def openai(self) -> dict[str, Any]:
        """The entry for the OpenAI `tools` list."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


@dataclass
class ToolContext:
    """Who is calling, for which agent, with what access. `scope` is the user's own access
    narrowed to the agent's knowledge bases: a tool reads nothing the user could not."""

    platform: Platform
    agent: Agent
    user_id: int
    department_id: int | None
    scope: AccessScope
    depth: int = 0  # 0: the agent the user asked; 1+: consulted by another agent
    trace_id: str = ""


@dataclass
class ToolOutput:
    """`text` is what the model reads; `hits` are sources the answer may cite; `data` is other
    text the answer may repeat; `level` is the classification of what `text` was drawn from
    (it taints the turn, so later rounds respect the red line)."""

    text: str
    hits: list[SearchHit] = field(default_factory=list)
    data: str = ""
    level: int = 0
    cites_hits: bool = False  # `[k]` in `text` means hits[k-1] (renumbered for the answer)
    detail: dict[str, Any] = field(default_factory=dict)  # for the trace (e.g. a record id)


class ToolFailed(Exception):
    """The tool could not do what was asked; the message says why (shown to the model)."""


class Tool(Protocol):
    name: str
    summary: str  # one line for tool lists (the model gets `spec(...).description`)

    def spec(self, context: ToolContext) -> ToolSpec | None: ...

    def run(self, context: ToolContext, arguments: dict[str, Any]) -> ToolOutput: ...
