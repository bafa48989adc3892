"""Deadlines for a provider stream: a first-token timeout and an idle timeout between chunks.

An HTTP read timeout cannot tell "the model is still thinking" from "the stream stalled", and
httpx fixes it for the whole response. So a small pump thread reads the provider's iterator
into a queue and the consumer waits on the queue with the deadline that applies right now.
An abandoned pump thread ends at the provider's own HTTP timeout, or at its next chunk.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

from .chat import ChatDelta, ProviderError

_ITEM, _END, _ERROR = range(3)


def with_deadlines(
    source: Iterator[ChatDelta], first_token_s: float, idle_s: float
) -> Iterator[ChatDelta]:
    """Yield from `source`; raise ProviderError("timeout") when no text arrives within
    `first_token_s` of the start, or no chunk within `idle_s` of the previous one after it."""
    items: queue.SimpleQueue[tuple[int, object]] = queue.SimpleQueue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in source:
                items.put((_ITEM, item))
                if stop.is_set():
                    break
            items.put((_END, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            items.put((_ERROR, exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    threading.Thread(target=pump, daemon=True, name="tokenbase-stream").start()
    first_deadline = time.monotonic() + first_token_s
    seen_text = False
    try:
        while True:
            wait = idle_s if seen_text else max(0.0, first_deadline - time.monotonic())
            try:
                kind, value = items.get(timeout=wait)
            except queue.Empty:
                what = (
                    f"no chunk for {idle_s:g}s" if seen_text else f"no token in {first_token_s:g}s"
                )
                raise ProviderError("timeout", f"stream timed out: {what}") from None
            if kind == _END:
                return
            if kind == _ERROR:
                raise value  # type: ignore[misc]
            assert isinstance(value, ChatDelta)
            seen_text = seen_text or bool(value.text)
            yield value
    finally:
        stop.set()
