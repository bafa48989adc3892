"""Per-caller rate limiting: a token bucket per API key or signed-in user, in this process's
memory. With several replicas each counts on its own, so the effective limit is the setting
times the number of replicas behind the balancer (documented in docs/api.md)."""

from __future__ import annotations

import math
import threading
import time


class TokenBuckets:
    """`rate_per_minute` tokens per minute, bursts up to `rate_per_minute`; 0 disables."""

    def __init__(self, rate_per_minute: int, *, max_callers: int = 100_000) -> None:
        self.capacity = float(rate_per_minute)
        self.refill_per_s = rate_per_minute / 60.0
        self.max_callers = max_callers
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, updated)
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> float:
        """Spend one token; returns 0 if allowed, else the seconds until one is available."""
        if self.capacity <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, updated = self._buckets.get(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - updated) * self.refill_per_s)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[caller] = (tokens, now)
                wait = (1.0 - tokens) / self.refill_per_s
            if len(self._buckets) > self.max_callers:  # forget the idlest callers
                for key in sorted(self._buckets, key=lambda k: self._buckets[k][1])[
                    : self.max_callers // 10
                ]:
                    del self._buckets[key]
        return wait


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
