"""The UI's client of the HTTP API: the server's own loopback address, the user's session.

    api = Api.for_request(request)
    kbs = await api.get("/knowledge-bases")
    async for event, data in api.sse("POST", "/ask/stream", json={...}): ...

Errors come back as ApiProblem with the API's own message (already bilingual where it
matters), for the page to show with ui.notify.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

from ..api.state import SESSION_COOKIE

TIMEOUT = httpx.Timeout(120.0, connect=5.0)


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _base_url(request: Request) -> str:
    host, port = request.scope.get("server") or ("127.0.0.1", 8000)
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in str(host):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _problem(response: httpx.Response) -> ApiProblem:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    message = error.get("message") or f"HTTP {response.status_code}"
    return ApiProblem(response.status_code, error.get("code") or "", message)


@dataclass
class Api:
    base_url: str
    session: str

    @classmethod
    def for_request(cls, request: Request) -> Api:
        return cls(_base_url(request), request.cookies.get(SESSION_COOKIE, ""))

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, cookies={SESSION_COOKIE: self.session}, timeout=TIMEOUT
        )

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self._client() as client:
            response = await client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise _problem(response)
        if response.status_code == 204 or not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.content

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> Any:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PATCH", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Any:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Any:
        return await self.request("DELETE", path, **kwargs)

    async def sse(self, method: str, path: str, **kwargs: Any) -> AsyncIterator[tuple[str, Any]]:
        """Server-sent events as (event name, parsed JSON data) as they arrive."""
        async with self._client() as client:
            async with client.stream(method, path, **kwargs) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise _problem(response)
                event = "message"
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        try:
                            yield event, json.loads(data)
                        except ValueError:
                            yield event, data
                        event = "message"
