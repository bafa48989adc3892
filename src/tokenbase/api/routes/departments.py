"""Departments: the tree is readable by every signed-in user (a knowledge-base manager needs
it to grant a department access); creating, moving, renaming and deleting are for admins."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from ...guard import audit
from ...identity.departments import (
    create_department,
    delete_department,
    department_tree,
    update_department,
)
from ..deps import AdminCaller, Caller, ReadCaller, State
from ..state import AppState

router = APIRouter(prefix="/departments", tags=["departments"])


class DepartmentPublic(BaseModel):
    id: int
    name: str
    parent_id: int | None


class DepartmentNode(DepartmentPublic):
    children: list[DepartmentNode] = Field(default_factory=list)


class DepartmentCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    parent_id: int | None = None


class DepartmentUpdate(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    parent_id: int | None = Field(None, description="Move under this department; 0 = make a root.")


@router.get("", operation_id="department_tree")
def get_tree(caller: ReadCaller, state: State) -> list[DepartmentNode]:
    with state.platform.db.engine.connect() as conn:
        return [DepartmentNode(**d.to_dict(tree=True)) for d in department_tree(conn)]


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_department")
def create(body: DepartmentCreate, caller: AdminCaller, state: State) -> DepartmentPublic:
    with state.platform.db.engine.begin() as conn:
        dept = create_department(conn, body.name, body.parent_id)
        _audit(conn, caller, state, "department.create", dept.id, body.model_dump())
        return DepartmentPublic(**dept.to_dict())


@router.patch("/{department_id}", operation_id="update_department")
def update(
    department_id: int, body: DepartmentUpdate, caller: AdminCaller, state: State
) -> DepartmentPublic:
    """Rename or move. A move under itself or its own sub-department is a 409
    `department_cycle`."""
    with state.platform.db.engine.begin() as conn:
        dept = update_department(
            conn,
            department_id,
            name=body.name,
            parent_id=body.parent_id or None,
            make_root=body.parent_id == 0,
        )
        _audit(conn, caller, state, "department.update", department_id, body.model_dump())
        return DepartmentPublic(**dept.to_dict())


@router.delete(
    "/{department_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_department"
)
def delete(department_id: int, caller: AdminCaller, state: State) -> None:
    with state.platform.db.engine.begin() as conn:
        delete_department(conn, department_id)
        _audit(conn, caller, state, "department.delete", department_id, {})


def _audit(
    conn: Connection, caller: Caller, state: AppState, action: str, dept: int, detail: dict
) -> None:
    audit.append(conn, caller, action, f"department:{dept}", detail, settings=state.settings)
