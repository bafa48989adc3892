"""Who a model call is for: user, department, scenario, agent, task, trace.

Set once per request (API, CLI command, task run) with `attributed(...)`; everything below —
search embedding a query, the gateway calling a chat model — reads `current_attribution()`,
so no call site has to thread it through, and none can forget it.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Attribution:
    user_id: int | None = None
    department_id: int | None = None
    scenario: str = ""  # e.g. "kb.ask", "kb.search", "ingest"
    agent: str = ""
    task: str = ""
    trace_id: str = ""


_CURRENT: contextvars.ContextVar[Attribution] = contextvars.ContextVar(
    "tokenbase_attribution",
    default=Attribution(),  # noqa: B039 - frozen dataclass: immutable
)


def current_attribution() -> Attribution:
    return _CURRENT.get()


@contextmanager
def attributed(**fields: object) -> Iterator[Attribution]:
    """Within the block, model calls are attributed to the current attribution updated with
    `fields` (unset fields are inherited from the enclosing block)."""
    value = replace(_CURRENT.get(), **fields)  # type: ignore[arg-type]
    token = _CURRENT.set(value)
    try:
        yield value
    finally:
        _CURRENT.reset(token)
