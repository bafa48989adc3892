"""The HTTP API: `create_app(platform)` builds the FastAPI application (see `app.py`)."""

from .app import create_app

__all__ = ["create_app"]
