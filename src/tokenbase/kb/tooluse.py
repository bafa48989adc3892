"""The contract between an answer and the tools a caller lends it (agents/tools implements it).

`ask_events(..., tools=belt)` lets the model call tools between rounds: each call's reply is
shown to the model as a `tool` message, and the sources a tool brings back (a knowledge-base
search, another agent's cited answer) join the answer's numbered sources, so the final answer
cites them like any other source and every citation is checked the same way.

    class Belt:
        def specs(self) -> list[dict]: ...                      # OpenAI "tools" entries
        def call(self, name, arguments, sources) -> ToolReply: ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..search.hybrid import SearchHit


@dataclass
class ToolReply:
    """What one tool call gives back. `content` is what the model reads; `hits` are the new
    sources, numbered after the `sources` the call was given (a source already among them
    keeps its number and is not repeated here); `data` is other text the
    answer may repeat (the output filter treats it like a source, e.g. a CRM record's phone
    number is not an invented one); `record` is the trace entry the caller shows."""

    content: str
    hits: list[SearchHit] = field(default_factory=list)
    data: str = ""
    record: dict[str, Any] = field(default_factory=dict)


class ToolBelt(Protocol):
    rounds: int  # most model rounds in one answer; the last one is offered no tools

    def specs(self) -> list[dict[str, Any]]:
        """The tools offered, in the OpenAI `tools` format ([] = none)."""
        ...

    def call(self, name: str, arguments: str, sources: list[SearchHit]) -> ToolReply:
        """Run one tool call (`arguments` is the model's JSON text). Never raises for a bad
        call: the reply says what went wrong, so the model can correct itself."""
        ...
