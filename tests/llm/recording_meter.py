"""A small in-memory implementation of the gateway's Meter protocol, for unit tests.

It records every CallRecord and can be told to refuse reservations with BudgetExceeded, the
way the ledger does when a hard budget is reached. End-to-end tests use the real Ledger.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tokenbase.ledger.attribution import Attribution
from tokenbase.ledger.calls import CallRecord
from tokenbase.ledger.errors import BudgetExceeded


@dataclass
class Event:
    id: int
    call: CallRecord
    attribution: Attribution
    reservation: Any


@dataclass
class RecordingMeter:
    block_action: str = ""  # "", "block" or "downgrade"
    downgrade_tier: str = ""
    events: list[Event] = field(default_factory=list)
    reservations: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reserve(self, **kwargs: Any) -> Any:
        with self._lock:
            self.reservations.append(kwargs)
            if self.block_action and kwargs["tier"] != self.downgrade_tier:
                raise BudgetExceeded(
                    "department budget 研发部 monthly hard limit reached",
                    budget_id=7,
                    action=self.block_action,
                    downgrade_tier=self.downgrade_tier,
                )
            return f"reservation-{len(self.reservations)}"

    def record(self, call: CallRecord, attribution: Attribution, reservation: Any = None) -> Event:
        with self._lock:
            event = Event(len(self.events) + 1, call, attribution, reservation)
            self.events.append(event)
            return event

    @property
    def calls(self) -> list[CallRecord]:
        return [e.call for e in self.events]
