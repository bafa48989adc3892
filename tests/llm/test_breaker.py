"""The circuit breaker on its own, with a fake clock."""

from __future__ import annotations

import threading

from tokenbase.llm.breaker import CircuitBreaker


def test_opens_after_consecutive_failures_and_probes_once():
    now = [0.0]
    breaker = CircuitBreaker(failures=3, cooldown_s=10, clock=lambda: now[0])
    for _ in range(2):
        breaker.failure()
    breaker.success()  # consecutive: a success resets the count
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.5
    assert breaker.state == "half-open"
    assert breaker.allow() and not breaker.allow()  # one probe at a time
    breaker.success()
    assert breaker.state == "closed" and breaker.allow()


def test_a_released_probe_lets_the_next_caller_probe():
    now = [0.0]
    breaker = CircuitBreaker(failures=1, cooldown_s=1, clock=lambda: now[0])
    breaker.failure()
    now[0] = 2
    assert breaker.allow()
    breaker.release()
    assert breaker.allow()


def test_only_one_thread_gets_the_half_open_probe():
    now = [0.0]
    breaker = CircuitBreaker(failures=1, cooldown_s=1, clock=lambda: now[0])
    breaker.failure()
    now[0] = 5
    allowed: list[bool] = []
    threads = [threading.Thread(target=lambda: allowed.append(breaker.allow())) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 1
