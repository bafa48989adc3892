"""Departments: a tree (each has at most one parent). Grants given to a department are
inherited by every department below it, so the tree must never contain a cycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from ..db.schema import departments, kb_grants, users
from .clock import utcnow
from .errors import Conflict, InvalidInput, NotFound


@dataclass
class Department:
    id: int
    name: str
    parent_id: int | None
    children: list[Department] = field(default_factory=list)

    def to_dict(self, *, tree: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "name": self.name, "parent_id": self.parent_id}
        if tree:
            data["children"] = [c.to_dict(tree=True) for c in self.children]
        return data


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or "/" in name:
        raise InvalidInput(
            "a department name is 1–200 characters without '/'", code="invalid_department_name"
        )
    return name


def get_department(conn: Connection, department_id: int) -> Department:
    """Raises NotFound."""
    row = conn.execute(
        select(departments.c.id, departments.c.name, departments.c.parent_id).where(
            departments.c.id == department_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no department with id {department_id}", code="department_not_found")
    return Department(int(row.id), row.name, row.parent_id)


def list_departments(conn: Connection) -> list[Department]:
    rows = conn.execute(
        select(departments.c.id, departments.c.name, departments.c.parent_id).order_by(
            departments.c.name
        )
    )
    return [Department(int(r.id), r.name, r.parent_id) for r in rows]


def department_tree(conn: Connection) -> list[Department]:
    """The roots, each with its `children` filled in recursively (sorted by name)."""
    nodes = {d.id: d for d in list_departments(conn)}
    roots: list[Department] = []
    for dept in nodes.values():
        parent = nodes.get(dept.parent_id) if dept.parent_id is not None else None
        (parent.children if parent is not None else roots).append(dept)
    return roots


def _check_unique(conn: Connection, name: str, parent_id: int | None, exclude: int = 0) -> None:
    parent_clause = (
        departments.c.parent_id.is_(None)
        if parent_id is None
        else departments.c.parent_id == parent_id
    )
    clash = conn.execute(
        select(departments.c.id).where(
            departments.c.name == name, parent_clause, departments.c.id != exclude
        )
    ).first()
    if clash is not None:
        raise Conflict(
            f"a department named {name!r} already exists there", code="department_exists"
        )


def create_department(conn: Connection, name: str, parent_id: int | None = None) -> Department:
    """Raises InvalidInput (bad name, unknown parent) or Conflict (same name, same parent)."""
    name = _name(name)
    if parent_id is not None:
        try:
            get_department(conn, parent_id)
        except NotFound as exc:
            raise InvalidInput(str(exc), code="unknown_department") from exc
    _check_unique(conn, name, parent_id)
    try:
        result = conn.execute(
            departments.insert().values(name=name, parent_id=parent_id, created_at=utcnow())
        )
    except IntegrityError as exc:
        raise Conflict(f"a department named {name!r} already exists there") from exc
    return get_department(conn, int(result.inserted_primary_key[0]))


def ancestors(conn: Connection, department_id: int) -> list[int]:
    """Ids from `department_id` up to its root, itself first."""
    parents = dict(conn.execute(select(departments.c.id, departments.c.parent_id)).all())
    chain: list[int] = []
    current: int | None = department_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def update_department(
    conn: Connection,
    department_id: int,
    *,
    name: str | None = None,
    parent_id: int | None = None,
    make_root: bool = False,
) -> Department:
    """Rename and/or move a department. A move under itself or one of its descendants
    raises Conflict (code `department_cycle`)."""
    current = get_department(conn, department_id)
    new_name = _name(name) if name is not None else current.name
    new_parent = None if make_root else (parent_id if parent_id is not None else current.parent_id)
    if new_parent is not None:
        try:
            get_department(conn, new_parent)
        except NotFound as exc:
            raise InvalidInput(str(exc), code="unknown_department") from exc
        if department_id in ancestors(conn, new_parent):
            raise Conflict(
                f"cannot move department {current.name!r} under itself or one of its own "
                f"sub-departments (部门不能移动到自己或其下级部门之下)",
                code="department_cycle",
            )
    _check_unique(conn, new_name, new_parent, exclude=department_id)
    conn.execute(
        update(departments)
        .where(departments.c.id == department_id)
        .values(name=new_name, parent_id=new_parent)
    )
    return get_department(conn, department_id)


def delete_department(conn: Connection, department_id: int) -> None:
    """Delete an empty department (no sub-departments, no members) and its grants.

    Raises NotFound, or Conflict when it is not empty."""
    dept = get_department(conn, department_id)
    if conn.execute(
        select(departments.c.id).where(departments.c.parent_id == department_id)
    ).first():
        raise Conflict(
            f"department {dept.name!r} has sub-departments; move or delete them first",
            code="department_not_empty",
        )
    if conn.execute(select(users.c.id).where(users.c.department_id == department_id)).first():
        raise Conflict(
            f"department {dept.name!r} still has members; move them first",
            code="department_not_empty",
        )
    conn.execute(
        delete(kb_grants).where(
            kb_grants.c.principal_kind == "department", kb_grants.c.principal_id == department_id
        )
    )
    conn.execute(delete(departments).where(departments.c.id == department_id))
