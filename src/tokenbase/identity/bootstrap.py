"""The first admin: created by `tokenbase admin create`, or at the first `serve` when nobody
exists yet (username `admin`, a random one-time password printed once)."""

from __future__ import annotations

from sqlalchemy import Engine

from .passwords import generate_password
from .users import User, count_users, create_user


def ensure_first_admin(engine: Engine, username: str = "admin") -> tuple[User, str] | None:
    """Create an admin with a one-time password when the users table is empty.

    Returns (user, password) when one was created, else None. The password must be changed at
    first login (`must_change_password`)."""
    with engine.begin() as conn:
        if count_users(conn):
            return None
        password = generate_password()
        user = create_user(
            conn,
            username,
            password=password,
            display_name="Administrator",
            role="admin",
            clearance=3,
            must_change_password=True,
        )
    return user, password
