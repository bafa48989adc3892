"""Ledger errors.

LedgerError
 ├── BudgetExceeded     a hard budget limit stops this call (action "block"), or says which
 │                      cheaper tier to use instead (action "downgrade")
 ├── LedgerInputError   bad input: unknown scope, period, month, negative amount, ...
 └── LedgerNotFound     no budget or outcome with that id
"""

from __future__ import annotations


class LedgerError(Exception):
    pass


class BudgetExceeded(LedgerError):
    def __init__(
        self, message: str, *, budget_id: int, action: str, downgrade_tier: str = ""
    ) -> None:
        super().__init__(message)
        self.budget_id = budget_id
        self.action = action  # "block" | "downgrade"
        self.downgrade_tier = downgrade_tier


class LedgerInputError(LedgerError):
    """Bad input to a ledger command (unknown budget scope, invalid period, month, amount);
    the message says what was wrong and what to use instead."""


class LedgerNotFound(LedgerError):
    """No budget / outcome with that id."""
