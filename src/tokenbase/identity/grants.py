"""Knowledge-base grants: a user or a department gets read (1), write (2) or manage (3) on one
knowledge base. Department grants are inherited by sub-departments (see `access.scope`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update

from ..db.schema import GRANT_LEVELS, departments, kb_grants, users
from .clock import utcnow
from .errors import InvalidInput, NotFound

LEVEL_NAMES = {level: name for name, level in GRANT_LEVELS.items()}
PRINCIPAL_KINDS = ("user", "department")


@dataclass
class Grant:
    id: int
    kb_id: int
    principal_kind: str
    principal_id: int
    principal_name: str
    level: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kb_id": self.kb_id,
            "principal_kind": self.principal_kind,
            "principal_id": self.principal_id,
            "principal_name": self.principal_name,
            "level": LEVEL_NAMES[self.level],
        }


def parse_level(level: str | int) -> int:
    """'read'/'write'/'manage' or 1/2/3. Raises InvalidInput."""
    if isinstance(level, int) and level in LEVEL_NAMES:
        return level
    if str(level) in GRANT_LEVELS:
        return GRANT_LEVELS[str(level)]
    raise InvalidInput(f"unknown grant level {level!r}: use read, write or manage")


def _principal_name(conn: Connection, kind: str, principal_id: int) -> str:
    table, column = (
        (users, users.c.username) if kind == "user" else (departments, departments.c.name)
    )
    name = conn.execute(select(column).where(table.c.id == principal_id)).scalar()
    if name is None:
        raise InvalidInput(f"no {kind} with id {principal_id}", code=f"unknown_{kind}")
    return str(name)


def set_grant(
    conn: Connection, kb_id: int, principal_kind: str, principal_id: int, level: str | int
) -> Grant:
    """Grant (or change) a principal's level on a knowledge base. Raises InvalidInput."""
    if principal_kind not in PRINCIPAL_KINDS:
        raise InvalidInput("principal_kind must be 'user' or 'department'")
    level_value = parse_level(level)
    _principal_name(conn, principal_kind, principal_id)
    where = (
        kb_grants.c.kb_id == kb_id,
        kb_grants.c.principal_kind == principal_kind,
        kb_grants.c.principal_id == principal_id,
    )
    existing = conn.execute(select(kb_grants.c.id).where(*where)).scalar()
    if existing is None:
        conn.execute(
            kb_grants.insert().values(
                kb_id=kb_id,
                principal_kind=principal_kind,
                principal_id=principal_id,
                level=level_value,
                created_at=utcnow(),
            )
        )
    else:
        conn.execute(update(kb_grants).where(*where).values(level=level_value))
    return next(
        g
        for g in list_grants(conn, kb_id)
        if g.principal_kind == principal_kind and g.principal_id == principal_id
    )


def list_grants(conn: Connection, kb_id: int) -> list[Grant]:
    rows = conn.execute(
        select(
            kb_grants.c.id,
            kb_grants.c.kb_id,
            kb_grants.c.principal_kind,
            kb_grants.c.principal_id,
            kb_grants.c.level,
        )
        .where(kb_grants.c.kb_id == kb_id)
        .order_by(kb_grants.c.id)
    ).all()
    user_names = dict(conn.execute(select(users.c.id, users.c.username)).all())
    dept_names = dict(conn.execute(select(departments.c.id, departments.c.name)).all())
    return [
        Grant(
            int(r.id),
            int(r.kb_id),
            r.principal_kind,
            int(r.principal_id),
            str(
                (user_names if r.principal_kind == "user" else dept_names).get(r.principal_id, "?")
            ),
            int(r.level),
        )
        for r in rows
    ]


def remove_grant(conn: Connection, kb_id: int, grant_id: int) -> None:
    """Raises NotFound."""
    result = conn.execute(
        delete(kb_grants).where(kb_grants.c.kb_id == kb_id, kb_grants.c.id == grant_id)
    )
    if not result.rowcount:
        raise NotFound(
            f"no grant with id {grant_id} on this knowledge base", code="grant_not_found"
        )
