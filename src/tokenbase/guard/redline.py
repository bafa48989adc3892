"""Red line 1: core data never leaves. Text classified 机密 or 绝密 never reaches a public-cloud
model, on any path that calls one.

Enforcement does not rely on each caller remembering to say what its prompt contains. Reading
classified text *taints* the current context (a context variable, like the ledger
attribution): the searcher taints it with the highest classification it returns, and so does
anything else that hands document text to a caller. The model gateway reads the taint on every
call and applies the policy (`guard.redline`):

- `private` (default): only `deployment = "private"` models may answer — the tier's own, then
  `guard.redline.private_tier`; with none, the call fails with an explanation;
- `mask`: the call may go to public models, with PII masked (confidential text still leaves:
  choose this only where the company's policy allows it);
- `refuse`: no model is called; the caller gets RedLineBlocked with an explanation.

The taint only rises within a context; `clean_context()` starts a request from level 0.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from ..db.schema import CLASSIFICATIONS
from ..llm.errors import ModelCallError

RedLineAction = Literal["private", "mask", "refuse"]

_LEVEL: contextvars.ContextVar[int] = contextvars.ContextVar("tokenbase_data_level", default=0)


def taint(level: int) -> None:
    """Record that the current context has read text of this classification level."""
    if level > _LEVEL.get():
        _LEVEL.set(level)


def data_level() -> int:
    """The highest classification read in the current context (0 公开 … 3 绝密)."""
    return _LEVEL.get()


@contextmanager
def clean_context() -> Iterator[None]:
    """A block that starts from level 0 and leaves the outer level as it was."""
    token = _LEVEL.set(0)
    try:
        yield
    finally:
        _LEVEL.reset(token)


class RedLineBlocked(ModelCallError):
    """The policy refused to send this context to a model. The message says why, in Chinese
    and English, and what to do."""


def refusal_message(level: int) -> str:
    label = CLASSIFICATIONS.get(level, str(level))
    return (
        f"资料中含{label}内容，按数据红线规定不能发送给公有云大模型（core data never leaves: "
        f"text classified {label} may not be sent to a public-cloud model); ask an "
        'administrator to add a deployment = "private" model to this tier or to '
        "guard.redline.private_tier"
    )


@dataclass(frozen=True)
class RedLinePolicy:
    min_level: int = 2  # 机密
    action: RedLineAction = "private"
    private_tier: str = ""

    def applies(self, level: int) -> bool:
        return level >= self.min_level
