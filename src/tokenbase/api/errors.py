"""One JSON error shape for every HTTP error: `{"error": {"code", "message", "details"}}`.

ApiError(status, code, message, details, headers)   raised by routes and dependencies
├── identity errors      translated by status: NotFound 404, Conflict 409,
│                        InvalidInput 422, AuthenticationFailed 401, LoginLocked 429
├── FastAPI / Starlette  404 unknown route, 405 wrong method, 422 validation (names the
│                        field), any other HTTPException
└── anything else        500 `internal_error`; the traceback goes to the server log with
                         the request id, the client gets only the id (see middleware.py)
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..guard.audit import AuditError
from ..identity import errors as identity_errors

log = logging.getLogger("tokenbase.api")

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An HTTP error with a stable code and a message a person can act on."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def unauthenticated(
    message: str = "sign in or send an API key (请登录或提供 API 密钥)",
) -> ApiError:
    return ApiError(401, "unauthenticated", message, headers={"WWW-Authenticate": "Bearer"})


def forbidden(message: str, code: str = "forbidden") -> ApiError:
    return ApiError(403, code, message)


def not_found(what: str = "resource", code: str = "not_found") -> ApiError:
    """The one 404 body for a thing that does not exist *or* that the caller may not read."""
    return ApiError(404, code, f"{what} not found (未找到)")


_IDENTITY_STATUS: list[tuple[type[identity_errors.IdentityError], int]] = [
    (identity_errors.NotFound, 404),
    (identity_errors.Conflict, 409),
    (identity_errors.InvalidInput, 422),
    (identity_errors.AuthenticationFailed, 401),
    (identity_errors.LoginLocked, 429),
]


def _field(loc: tuple | list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie") and len(parts) > 1:
        return ".".join(parts[1:]) if parts[0] == "body" else f"{parts[0]}.{'.'.join(parts[1:])}"
    return ".".join(parts)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(identity_errors.IdentityError)
    async def _identity_error(
        _request: Request, exc: identity_errors.IdentityError
    ) -> JSONResponse:
        status = next((s for cls, s in _IDENTITY_STATUS if isinstance(exc, cls)), 400)
        headers: dict[str, str] = {}
        if isinstance(exc, identity_errors.LoginLocked):
            headers["Retry-After"] = str(exc.retry_after)
            return error_response(
                status, exc.code, str(exc), {"retry_after": exc.retry_after}, headers
            )
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return error_response(status, exc.code, str(exc), None, headers)

    @app.exception_handler(AuditError)
    async def _audit_error(_request: Request, exc: AuditError) -> JSONResponse:
        # A misconfigured audit key must not pass as a crash: the change was not made.
        return error_response(503, "audit_unavailable", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": _field(err.get("loc", ())),
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        first = problems[0] if problems else {"field": "", "message": "invalid request"}
        message = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more)"
        return error_response(422, "validation_error", message, _jsonable(problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = STATUS_CODES.get(exc.status_code, "http_error")
        if exc.status_code == 404:
            message = f"no such endpoint: {request.method} {request.url.path} (see /docs)"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, code, message, None, dict(exc.headers or {}))
