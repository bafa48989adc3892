"""One way to build an HTTP client for a model API: base URL, key from an env var, timeout."""

from __future__ import annotations

import os

import httpx

from .errors import ModelConfigError


def api_client(base_url: str, api_key_env: str, timeout_s: float, section: str) -> httpx.Client:
    """A client with `Authorization: Bearer $<api_key_env>` when a key variable is named.

    The key is read from the environment only (never from config) and never logged.
    Raises ModelConfigError naming `<section>.api_key_env` when the variable is unset.
    """
    headers = {}
    if api_key_env:
        key = os.environ.get(api_key_env)
        if not key:
            raise ModelConfigError(
                f"environment variable {api_key_env} ({section}.api_key_env) is not set"
            )
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)
