"""Agent tools: a typed contract (contract.py), the built-ins (kb_search, ask_agent,
record_item), HTTP tools from OpenAPI files (http.py), the belt an agent's turn lends to the
answer (belt.py) and the trace of every call (trace.py)."""

from ...guard.approvals import register_executor
from .belt import APPROVAL_KIND, AgentToolBelt, run_approved_call
from .contract import Tool, ToolContext, ToolFailed, ToolOutput, ToolSpec
from .http import HttpTool, HttpToolError
from .toolbox import check_tool_names, known_tools
from .trace import calls_for_trace, tool_report

# Approved high-impact calls run through the approval queue's executor registry.
register_executor(APPROVAL_KIND, run_approved_call)

__all__ = [
    "APPROVAL_KIND",
    "AgentToolBelt",
    "HttpTool",
    "HttpToolError",
    "Tool",
    "ToolContext",
    "ToolFailed",
    "ToolOutput",
    "ToolSpec",
    "calls_for_trace",
    "check_tool_names",
    "known_tools",
    "tool_report",
]
