"""Password login: throttle, verify, record. One code path for the API and any other caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, update

from ..db.schema import users
from . import throttle
from .errors import AuthenticationFailed, LoginLocked
from .passwords import hash_password, needs_rehash, verify_password
from .users import User, get_user_by_name, note_login, password_hash_of

WRONG_CREDENTIALS = "wrong username or password (用户名或密码错误)"


@dataclass(frozen=True)
class LoginPolicy:
    max_failures_per_user: int = 5
    max_failures_per_ip: int = 50
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)


def login(
    engine: Engine, username: str, password: str, client_ip: str, policy: LoginPolicy
) -> User:
    """Check a username and password.

    Raises LoginLocked (with `retry_after`) while the username or the address is locked, and
    AuthenticationFailed with the same message for an unknown user, a wrong password or an
    inactive account; both paths run one argon2 verification, so timing tells nothing."""
    user_key = f"user:{username.strip().lower()[:200]}"
    ip_key = f"ip:{client_ip[:200]}"
    with engine.connect() as conn:
        locked = throttle.seconds_locked(conn, [user_key, ip_key])
    if locked:
        raise _locked(locked)
    with engine.connect() as conn:
        user = get_user_by_name(conn, username.strip())
        stored = password_hash_of(conn, user.id) if user is not None else None
    ok = verify_password(stored, password) and user is not None and user.active
    if not ok:
        window, lock = policy.window, policy.lock
        with engine.begin() as conn:
            locked = max(
                throttle.record_failure(
                    conn,
                    user_key,
                    throttle.ThrottlePolicy(policy.max_failures_per_user, window, lock),
                ),
                throttle.record_failure(
                    conn, ip_key, throttle.ThrottlePolicy(policy.max_failures_per_ip, window, lock)
                ),
            )
        if locked:
            raise _locked(locked)
        raise AuthenticationFailed(WRONG_CREDENTIALS)
    assert user is not None and stored is not None
    with engine.begin() as conn:
        throttle.clear(conn, user_key)
        note_login(conn, user.id)
        if needs_rehash(stored):
            conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(password_hash=hash_password(password))
            )
    return user


def _locked(seconds: int) -> LoginLocked:
    minutes = max(1, round(seconds / 60))
    return LoginLocked(
        f"too many failed logins; try again in about {minutes} minute(s) "
        f"(登录失败次数过多，请约 {minutes} 分钟后再试)",
        retry_after=seconds,
    )
