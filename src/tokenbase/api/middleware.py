"""ASGI middleware: request ids, access metrics, a request-body size limit, and the last
line of defence that turns an unhandled exception into the JSON 500 (never a traceback)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_body

log = logging.getLogger("tokenbase.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body past the limit. An HTTPException, so FastAPI's body
    parsing passes it through unchanged to the JSON error handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is over the {limit / 1e6:.0f} MB limit (server.max_upload_mb); "
            "split the upload (上传内容过大)",
        )


class RequestContext:
    """Request id, metrics and the error fallback around the whole application."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        observe: Callable[[str, str, int, float], None],
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = {"code": 500, "sent": False}
        limit = self.max_body_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(limit)
            await self.app(scope, limited_receive, tagged_send)
        except BodyTooLarge as exc:
            if not status["sent"]:
                await _send_json(
                    tagged_send,
                    413,
                    error_body("payload_too_large", str(exc.detail), {"limit_bytes": limit}),
                )
        except Exception:
            log.exception(
                "unhandled error in %s %s [request %s]", scope["method"], scope["path"], request_id
            )
            if not status["sent"]:
                await _send_json(
                    tagged_send,
                    500,
                    error_body(
                        "internal_error",
                        f"internal error; quote request id {request_id} to the administrator "
                        "(服务器内部错误)",
                        {"request_id": request_id},
                    ),
                )
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            self.observe(scope["method"], template, status["code"], time.perf_counter() - started)


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
