"""A circuit breaker per model: in-process, thread-safe.

closed     calls pass; `failures` consecutive failures open it
open       calls are refused for `cooldown_s` (the gateway moves on to the next model)
half-open  after the cool-down ONE probe call passes; success closes the circuit, failure
           opens it for another cool-down. Other callers are refused while the probe runs.

Per process on purpose: each API replica learns a model is down from its own calls within a
few requests, and sharing state through the database would add a write to every call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(
        self, failures: int, cooldown_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._threshold = failures
        self._cooldown = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self._cooldown:
            return "open"
        return "half-open"

    def allow(self) -> bool:
        """May a call go to this model now? In half-open, True once (the probe)."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._probing:
                self._probing = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probing = False

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._probing = False

    def release(self) -> None:
        """The call that was let through never reached the model (e.g. budget block)."""
        with self._lock:
            self._probing = False
