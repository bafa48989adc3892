"""Browser sign-in: POST /auth/login sets an HttpOnly session cookie; logout ends it."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ...guard import audit
from ...identity.errors import AuthenticationFailed
from ...identity.login import login
from ...identity.passwords import verify_password
from ...identity.sessions import create_session, end_session, end_user_sessions
from ...identity.users import get_user, password_hash_of, set_password
from ..deps import AnyCaller, State
from ..errors import ApiError
from ..state import SESSION_COOKIE, AppState
from .users import UserPublic

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=1, max_length=1000)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


class Me(UserPublic):
    via: str
    scopes: list[str]


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cookie_secure(state: AppState, request: Request) -> bool:
    """`auto`: Secure unless this is plain http to a loopback address."""
    mode = state.settings.server.cookie_secure
    if mode != "auto":
        return mode == "always"
    return not (request.url.scheme == "http" and _loopback(request.url.hostname))


@router.post("/login", operation_id="login")
async def log_in(body: LoginRequest, request: Request, response: Response, state: State) -> Me:
    """Check the password and set the session cookie. Unknown user and wrong password give
    the same 401; repeated failures lock the username and the client address (429)."""
    client = request.client.host if request.client else "unknown"
    engine = state.platform.db.engine
    try:
        user = await run_in_threadpool(
            login, engine, body.username, body.password, client, state.login_policy
        )
    except AuthenticationFailed:
        # A failed sign-in is a security event: audited (never the password). Attempts while
        # locked are not, or a locked-out attacker could flood the log.
        detail = {"username": body.username[:120], "client": client}
        await run_in_threadpool(
            audit.record, engine, None, "auth.login_failed", "", detail, settings=state.settings
        )
        raise
    ttl = timedelta(hours=state.settings.server.session_ttl_hours)

    def start() -> str:
        with engine.begin() as conn:
            audit.append(
                conn,
                user,
                "auth.login",
                f"user:{user.id}",
                {"client": client},
                settings=state.settings,
            )
            return create_session(conn, user.id, ttl)

    token = await run_in_threadpool(start)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(state, request),
        path="/",
    )
    return Me(**user.to_dict(), via="session", scopes=["admin", "read", "write"])


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, operation_id="logout")
def log_out(caller: AnyCaller, response: Response, state: State) -> None:
    if caller.session_token:
        with state.platform.db.engine.begin() as conn:
            end_session(conn, caller.session_token)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", operation_id="me")
def me(caller: AnyCaller) -> Me:
    """Who you are, how you signed in, and what this credential may do."""
    return Me(**caller.user.to_dict(), via=caller.via, scopes=sorted(caller.scopes))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, operation_id="change_password")
def change_password(body: PasswordChange, caller: AnyCaller, state: State) -> None:
    """Change your own password; your other sessions end."""
    with state.platform.db.engine.begin() as conn:
        if not verify_password(password_hash_of(conn, caller.id), body.current_password):
            raise ApiError(422, "wrong_password", "current_password is wrong (当前密码不正确)")
        set_password(conn, caller.id, body.new_password)
        end_user_sessions(conn, caller.id, keep_token=caller.session_token)
        audit.append(
            conn, caller, "auth.password_change", f"user:{caller.id}", settings=state.settings
        )
        get_user(conn, caller.id)
