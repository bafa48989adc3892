"""One module per area; importing them registers their pages."""

from . import (  # noqa: F401
    account,
    agents,
    chat,
    governance,
    home,
    knowledge,
    ledger,
    people,
    prompts,
)
