"""Storage: engine, schema (SQLAlchemy Core tables) and Alembic migrations."""

from .engine import Database, open_database

__all__ = ["Database", "open_database"]
