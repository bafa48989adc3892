"""Agent tests reuse the API fixtures (`api_platform`: a Platform on each backend)."""

from ..api.conftest import api_platform  # noqa: F401 - re-exported fixture
