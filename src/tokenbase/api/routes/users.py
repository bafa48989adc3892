"""Users (administrators only): create, list, view, change role/clearance/department,
deactivate, reset a password."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from ...guard import audit
from ...identity.passwords import generate_password
from ...identity.sessions import end_user_sessions
from ...identity.users import create_user, get_user, list_users, set_password, update_user
from ..deps import AdminCaller, State

router = APIRouter(prefix="/users", tags=["users"])


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    clearance: int
    clearance_label: str
    department_id: int | None
    active: bool
    must_change_password: bool
    created_at: str
    last_login_at: str | None


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=120)
    password: str | None = Field(
        None,
        min_length=8,
        max_length=1000,
        description="Omit to generate a one-time password (returned once; must be changed).",
    )
    display_name: str = Field("", max_length=200)
    role: Literal["admin", "member"] = "member"
    clearance: int = Field(1, ge=0, le=3, description="0 公开, 1 内部, 2 机密, 3 绝密")
    department_id: int | None = None


class UserCreated(UserPublic):
    one_time_password: str | None = Field(
        None, description="Only when the password was generated; shown this once."
    )


class UserUpdate(BaseModel):
    display_name: str | None = Field(None, max_length=200)
    role: Literal["admin", "member"] | None = None
    clearance: int | None = Field(None, ge=0, le=3)
    department_id: int | None = Field(None, description="A department id; 0 removes it.")
    active: bool | None = None
    password: str | None = Field(
        None, min_length=8, max_length=1000, description="A new password (must be changed)."
    )


@router.get("", operation_id="list_users")
def list_all_users(caller: AdminCaller, state: State) -> list[UserPublic]:
    with state.platform.db.engine.connect() as conn:
        return [UserPublic(**u.to_dict()) for u in list_users(conn)]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_user")
def create_new_user(body: UserCreate, caller: AdminCaller, state: State) -> UserCreated:
    generated = generate_password() if body.password is None else None
    with state.platform.db.engine.begin() as conn:
        user = create_user(
            conn,
            body.username,
            password=body.password or generated,
            display_name=body.display_name,
            role=body.role,
            clearance=body.clearance,
            department_id=body.department_id,
            must_change_password=generated is not None,
        )
        audit.append(
            conn,
            caller,
            "user.create",
            f"user:{user.id}",
            body.model_dump(exclude={"password"}),
            settings=state.settings,
        )
    return UserCreated(**user.to_dict(), one_time_password=generated)


@router.get("/{user_id}", operation_id="get_user")
def get_one_user(user_id: int, caller: AdminCaller, state: State) -> UserPublic:
    with state.platform.db.engine.connect() as conn:
        return UserPublic(**get_user(conn, user_id).to_dict())


@router.patch("/{user_id}", operation_id="update_user")
def update_one_user(
    user_id: int, body: UserUpdate, caller: AdminCaller, state: State
) -> UserPublic:
    with state.platform.db.engine.begin() as conn:
        user = update_user(
            conn,
            user_id,
            display_name=body.display_name,
            role=body.role,
            clearance=body.clearance,
            department_id=body.department_id or None,
            clear_department=body.department_id == 0,
            active=body.active,
        )
        if body.password is not None:
            set_password(conn, user_id, body.password, must_change=True)
            end_user_sessions(conn, user_id)
            user = get_user(conn, user_id)
        audit.append(
            conn,
            caller,
            "user.update",
            f"user:{user_id}",
            body.model_dump(exclude_none=True, exclude={"password"})
            | ({"password_reset": True} if body.password else {}),
            settings=state.settings,
        )
    return UserPublic(**user.to_dict())
