"""Users: create, look up, list, update. Roles are global (admin, member); what a member may
read comes from knowledge-base grants (see `grants.py`) and their clearance (0 公开 … 3 绝密)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError

from ..db.schema import CLASSIFICATIONS, DEFAULT_CLASSIFICATION, ROLES, departments, users
from .clock import as_utc, utcnow
from .errors import Conflict, InvalidInput, NotFound
from .passwords import check_password_policy, hash_password

_USERNAME = re.compile(r"^[\w.@-]{1,120}$")  # \w includes CJK characters


@dataclass
class User:
    id: int
    username: str
    display_name: str
    role: str
    clearance: int
    department_id: int | None
    active: bool
    must_change_password: bool
    created_at: datetime
    last_login_at: datetime | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["clearance_label"] = CLASSIFICATIONS[self.clearance]
        for key in ("created_at", "last_login_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.role,
    users.c.clearance,
    users.c.department_id,
    users.c.active,
    users.c.must_change_password,
    users.c.created_at,
    users.c.last_login_at,
)


def _user(row: Any) -> User:
    return User(
        int(row.id),
        row.username,
        row.display_name,
        row.role,
        int(row.clearance),
        row.department_id,
        bool(row.active),
        bool(row.must_change_password),
        as_utc(row.created_at),
        as_utc(row.last_login_at),
    )


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def validate_clearance(clearance: int) -> int:
    if clearance not in CLASSIFICATIONS:
        raise InvalidInput("clearance must be 0 公开, 1 内部, 2 机密 or 3 绝密")
    return clearance


def _check_department(conn: Connection, department_id: int | None) -> None:
    if department_id is None:
        return
    if conn.execute(select(departments.c.id).where(departments.c.id == department_id)).first():
        return
    raise InvalidInput(f"no department with id {department_id}", code="unknown_department")


def create_user(
    conn: Connection,
    username: str,
    *,
    password: str | None,
    display_name: str = "",
    role: str = "member",
    clearance: int = DEFAULT_CLASSIFICATION,
    department_id: int | None = None,
    must_change_password: bool = False,
) -> User:
    """Create a user. Raises InvalidInput (bad name, role, clearance, weak password) or
    Conflict (the username is taken). `password=None` creates a user who cannot log in
    with a password (API keys only) until one is set."""
    username = username.strip()
    if not _USERNAME.match(username):
        raise InvalidInput(
            "username may contain letters, digits, '.', '@', '_' and '-' (1–120 characters)",
            code="invalid_username",
        )
    validate_role(role)
    validate_clearance(clearance)
    _check_department(conn, department_id)
    if password is not None:
        check_password_policy(password)
    if get_user_by_name(conn, username) is not None:
        raise Conflict(f"a user named {username!r} already exists", code="username_taken")
    try:
        result = conn.execute(
            users.insert().values(
                username=username,
                display_name=display_name or username,
                password_hash=hash_password(password) if password is not None else None,
                role=role,
                clearance=clearance,
                department_id=department_id,
                active=True,
                must_change_password=must_change_password,
                created_at=utcnow(),
            )
        )
    except IntegrityError as exc:  # a concurrent create won the race
        raise Conflict(f"a user named {username!r} already exists", code="username_taken") from exc
    return get_user(conn, int(result.inserted_primary_key[0]))


def get_user(conn: Connection, user_id: int) -> User:
    """Raises NotFound."""
    row = conn.execute(select(*_COLUMNS).where(users.c.id == user_id)).first()
    if row is None:
        raise NotFound(f"no user with id {user_id}", code="user_not_found")
    return _user(row)


def get_user_by_name(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(*_COLUMNS).where(users.c.username == username)).first()
    return _user(row) if row is not None else None


def password_hash_of(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(*_COLUMNS).order_by(users.c.username))]


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar() or 0)


def update_user(
    conn: Connection,
    user_id: int,
    *,
    display_name: str | None = None,
    role: str | None = None,
    clearance: int | None = None,
    department_id: int | None = None,
    clear_department: bool = False,
    active: bool | None = None,
) -> User:
    """Change a user's profile, role, clearance, department or active flag.

    Raises NotFound, InvalidInput, or Conflict when the change would leave no active admin."""
    current = get_user(conn, user_id)
    values: dict[str, Any] = {}
    if display_name is not None:
        values["display_name"] = display_name
    if role is not None:
        values["role"] = validate_role(role)
    if clearance is not None:
        values["clearance"] = validate_clearance(clearance)
    if clear_department:
        values["department_id"] = None
    elif department_id is not None:
        _check_department(conn, department_id)
        values["department_id"] = department_id
    if active is not None:
        values["active"] = active
    demoted = current.is_admin and (values.get("role", "admin") != "admin" or active is False)
    if demoted and _active_admins(conn) <= 1:
        raise Conflict(
            "this is the last active admin; make another user admin first "
            "(这是最后一个管理员，请先指定另一位管理员)",
            code="last_admin",
        )
    if values:
        conn.execute(update(users).where(users.c.id == user_id).values(**values))
    if active is False:
        from .sessions import end_user_sessions

        end_user_sessions(conn, user_id)
    return get_user(conn, user_id)


def _active_admins(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(users)
            .where(users.c.role == "admin", users.c.active.is_(True))
        ).scalar()
        or 0
    )


def set_password(
    conn: Connection, user_id: int, password: str, *, must_change: bool = False
) -> None:
    """Set a new password (policy-checked). Ends the user's other sessions is the caller's
    choice (`sessions.end_user_sessions`)."""
    check_password_policy(password)
    get_user(conn, user_id)
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(password_hash=hash_password(password), must_change_password=must_change)
    )


def note_login(conn: Connection, user_id: int) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(last_login_at=utcnow()))
