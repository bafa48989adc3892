"""Which tools exist: the built-ins and the HTTP tools declared in `[[agents.http_tools]]`.

    tools = known_tools(settings)          # {"kb_search": KbSearch(), "crm_lookup": HttpTool}
    check_tool_names(settings, ["kb_search", "nope"])   # raises UnknownTool

HTTP tools are built once per distinct configuration (their OpenAPI files are read then): a
broken declaration fails with HttpToolError naming the entry and what to fix.
"""

from __future__ import annotations

import threading

from ...config import Settings
from ..errors import InvalidAgent
from .builtin import BUILTIN_TOOLS
from .contract import Tool
from .http import HttpTool, HttpToolError

_CACHE: dict[str, dict[str, Tool]] = {}
_LOCK = threading.Lock()


def known_tools(settings: Settings) -> dict[str, Tool]:
    """Every tool an agent may list, by name (built-ins first)."""
    declared = settings.agents.http_tools
    key = "|".join(t.model_dump_json() for t in declared)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    tools: dict[str, Tool] = {tool.name: tool for tool in BUILTIN_TOOLS}
    for index, entry in enumerate(declared):
        if entry.name in tools:
            raise HttpToolError(
                f"agents.http_tools[{index}]: the name {entry.name!r} is already taken "
                f"(built-in or declared twice); choose another"
            )
        tools[entry.name] = HttpTool(entry, index)
    with _LOCK:
        _CACHE[key] = tools
    return tools


def check_tool_names(settings: Settings, names: list[str]) -> None:
    """Raise InvalidAgent for a tool name that no built-in or declared HTTP tool has."""
    known = known_tools(settings)
    if unknown := [n for n in names if n not in known]:
        raise InvalidAgent(
            f"unknown tool(s): {', '.join(unknown)}; known: {', '.join(known)} "
            "(declare HTTP tools in [[agents.http_tools]])"
        )
