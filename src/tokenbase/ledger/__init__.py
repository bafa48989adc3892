"""The token ledger: every model call metered in CNY and attributed; budgets that reserve
before a call and settle after it; business outcomes; reports and the COGS export.

Modules: attribution (who a call is for), calls (what the gateway reports), prices (dated
price book), events (usage events + daily rollups), budgets (limits, reserve/settle/sweep),
outcomes, reports, ledger (the `Ledger` facade), errors.
"""

from .attribution import Attribution, attributed, current_attribution
from .budgets import Budget, Reservation
from .calls import CallRecord
from .errors import BudgetExceeded, LedgerError, LedgerInputError, LedgerNotFound
from .events import UsageEvent
from .ledger import Ledger
from .outcomes import Outcome

__all__ = [
    "Attribution",
    "Budget",
    "BudgetExceeded",
    "CallRecord",
    "Ledger",
    "LedgerError",
    "LedgerInputError",
    "LedgerNotFound",
    "Outcome",
    "Reservation",
    "UsageEvent",
    "attributed",
    "current_attribution",
]
