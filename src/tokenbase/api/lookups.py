"""Permission-checked lookups shared by the routes.

A knowledge base, document, chunk or job the caller may not read is reported exactly like
one that does not exist (same status, same body), so nobody can probe for names or ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from ..db.schema import knowledge_bases
from ..identity.grants import LEVEL_NAMES
from .deps import Caller
from .errors import forbidden, not_found


@dataclass
class KbRef:
    id: int
    name: str
    description: str
    level: int  # the caller's grant level: 1 read, 2 write, 3 manage


def kb_not_found():  # type: ignore[no-untyped-def]
    return not_found("knowledge base", "kb_not_found")


def find_kb(conn: Connection, caller: Caller, name: str, min_level: int = 1) -> KbRef:
    """The knowledge base named `name` if the caller may read it (404 otherwise, whether or
    not it exists); 403 when they may read it but need `min_level` (write or manage)."""
    row = conn.execute(
        select(knowledge_bases.c.id, knowledge_bases.c.name, knowledge_bases.c.description).where(
            knowledge_bases.c.name == name
        )
    ).first()
    if row is None:
        raise kb_not_found()
    level = caller.kb_level(conn, int(row.id))
    if level < 1:
        raise kb_not_found()
    if level < min_level:
        raise forbidden(
            f"you need '{LEVEL_NAMES[min_level]}' access to knowledge base {name!r} "
            f"(需要该知识库的{LEVEL_NAMES[min_level]}权限)",
            code="kb_access_denied",
        )
    return KbRef(int(row.id), row.name, row.description, level)


def require_level(conn: Connection, caller: Caller, kb_id: int, min_level: int) -> None:
    """For an object the caller can already read: 403 unless they hold `min_level` on its KB."""
    if caller.kb_level(conn, kb_id) < min_level:
        raise forbidden(
            f"you need '{LEVEL_NAMES[min_level]}' access to this knowledge base "
            f"(需要该知识库的{LEVEL_NAMES[min_level]}权限)",
            code="kb_access_denied",
        )
