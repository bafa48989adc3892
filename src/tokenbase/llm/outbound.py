"""PII masking on the way to a public model and restoration on the way back.

Every prompt bound for a `public` provider has its PII replaced by placeholders
(`〔手机号1〕`), consistent within the call's trace, and the reply — whole, or streamed delta by
delta — has the placeholders turned back into the values before anyone sees it. The masker
itself (detectors, the encrypted mapping store) lives in guard/pii.
"""

from __future__ import annotations

from typing import Any, Protocol

OPEN, CLOSE = "〔", "〕"
MAX_PENDING = 40  # a placeholder is short: an unclosed bracket longer than this is just text


class Masker(Protocol):
    def mask_messages(
        self, messages: list[dict[str, Any]], scope: str
    ) -> tuple[list[dict[str, Any]], Any]: ...

    def restore(self, text: str, scope: str) -> str: ...


class StreamRestorer:
    """Restores placeholders in a stream of text pieces; a placeholder split across pieces
    (`〔手机` + `号1〕`) is held back until it closes."""

    def __init__(self, masker: Masker, scope: str) -> None:
        self._masker, self._scope = masker, scope
        self._pending = ""

    def feed(self, text: str) -> str:
        buffered = self._pending + text
        cut = buffered.rfind(OPEN)
        if cut != -1 and CLOSE not in buffered[cut:] and len(buffered) - cut <= MAX_PENDING:
            ready, self._pending = buffered[:cut], buffered[cut:]
        else:
            ready, self._pending = buffered, ""
        return self._masker.restore(ready, self._scope) if ready else ""

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return self._masker.restore(rest, self._scope) if rest else ""


def restore_tool_calls(masker: Masker, calls: list[dict[str, Any]], scope: str) -> list[dict]:
    """Tool calls with placeholders in their arguments put back to the real values: the tool
    runs on what the user meant, not on `〔手机号1〕`."""
    restored = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            arguments = masker.restore(function["arguments"], scope)
            call = {**call, "function": {**function, "arguments": arguments}}
        restored.append(call)
    return restored
