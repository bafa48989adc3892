"""TokenBase: a self-hosted knowledge-base agent platform with cited answers and a token ledger."""

__version__ = "0.1.0"
