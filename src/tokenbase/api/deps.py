"""Request dependencies: who is calling (API key or session cookie), what they may do, and
the per-caller rate limit. `Annotated` aliases keep route signatures short:

    def list_things(caller: ReadCaller, state: State) -> ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from ..access import AccessScope, kb_level, scope_for_user
from ..identity.keys import SCOPES, authenticate_key
from ..identity.sessions import resolve_session
from ..identity.users import User, get_user
from .errors import ApiError, forbidden, unauthenticated
from .ratelimit import retry_after_header
from .state import SESSION_COOKIE, AppState

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer tb_…`")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Set by POST /auth/login."
)
# While a user must change their password, a session may only do this much.
PASSWORD_CHANGE_PATHS = {"/auth/me", "/auth/password", "/auth/logout"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def get_state(request: Request) -> AppState:
    return request.app.state.tb


State = Annotated[AppState, Depends(get_state)]


@dataclass(frozen=True)
class Caller:
    """The authenticated user, with the scopes this credential carries."""

    user: User
    scopes: frozenset[str]
    via: str  # "session" | "key"
    key_id: int | None = None
    session_token: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin and "admin" in self.scopes

    def require_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise forbidden(
                f"this API key lacks the '{scope}' scope (API 密钥权限不足); "
                "create a key with that scope",
                code="insufficient_scope",
            )

    def access_scope(self, conn: Connection) -> AccessScope:
        return scope_for_user(conn, self.user.id)

    def kb_level(self, conn: Connection, kb_id: int) -> int:
        return kb_level(conn, self.user.id, kb_id)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # not a browser form/fetch from another site (those always send Origin)
    return urlsplit(origin).netloc == request.headers.get("host", "")


def get_caller(
    request: Request,
    state: State,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Caller:
    """Authenticate the request. 401 without valid credentials; 429 over the rate limit."""
    engine = state.platform.db.engine
    if bearer is not None:
        with engine.begin() as conn:
            key = authenticate_key(conn, bearer.credentials)  # AuthenticationFailed -> 401
            user = get_user(conn, key.user_id)
        caller = Caller(user, key.scopes, "key", key_id=key.id)
        bucket = f"key:{key.id}"
    elif cookie:
        with engine.begin() as conn:
            user_id = resolve_session(conn, cookie)
            if user_id is None:
                raise unauthenticated(
                    "your session has ended; sign in again (会话已过期，请重新登录)"
                )
            user = get_user(conn, user_id)
        if request.method in UNSAFE_METHODS and not _same_origin(request):
            raise forbidden("cross-site request refused (跨站请求被拒绝)", code="cross_site")
        if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
            raise forbidden(
                "change your password first: POST /auth/password (请先修改密码)",
                code="password_change_required",
            )
        caller = Caller(user, frozenset(SCOPES), "session", session_token=cookie)
        bucket = f"user:{user.id}"
    else:
        raise unauthenticated()
    wait = state.buckets.take(bucket)
    if wait > 0:
        retry = retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests; retry in {retry} s (请求过于频繁)",
            {"retry_after": int(retry)},
            headers={"Retry-After": retry},
        )
    return caller


AnyCaller = Annotated[Caller, Depends(get_caller)]


def _read_caller(caller: AnyCaller) -> Caller:
    caller.require_scope("read")
    return caller


def _write_caller(caller: AnyCaller) -> Caller:
    caller.require_scope("write")
    return caller


def _admin_caller(caller: AnyCaller) -> Caller:
    if not caller.user.is_admin:
        raise forbidden("only administrators may do this (仅管理员可操作)", code="admin_required")
    caller.require_scope("admin")
    return caller


ReadCaller = Annotated[Caller, Depends(_read_caller)]
WriteCaller = Annotated[Caller, Depends(_write_caller)]
AdminCaller = Annotated[Caller, Depends(_admin_caller)]
