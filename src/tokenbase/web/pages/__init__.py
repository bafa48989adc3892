"""One module per area; importing them registers their pages."""

from . import home, placeholder  # noqa: F401
