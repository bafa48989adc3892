"""Access scopes: the set of knowledge bases and the classification ceiling a caller may read.

A scope is computed once per request from the user's own grants, the grants of their
department and of every department above it (grants are inherited down the tree), their role
and their clearance. Search applies it as a filter inside the lexical and vector queries, so a
chunk outside it is never ranked, counted or quoted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from ..db.schema import CLASSIFICATIONS


@dataclass(frozen=True)
class AccessScope:
    """Readable chunks: kb_id in `kb_ids` (None = every knowledge base) and
    classification <= `clearance`."""

    kb_ids: frozenset[int] | None
    clearance: int

    def allows(self, kb_id: int, classification: int) -> bool:
        return classification <= self.clearance and (self.kb_ids is None or kb_id in self.kb_ids)

    def allows_kb(self, kb_id: int) -> bool:
        return self.kb_ids is None or kb_id in self.kb_ids

    @property
    def empty(self) -> bool:
        return self.kb_ids is not None and not self.kb_ids

    def narrowed(self, kb_ids: set[int] | frozenset[int]) -> AccessScope:
        """This scope restricted to `kb_ids` (the knowledge bases a request names)."""
        allowed = frozenset(kb_ids) if self.kb_ids is None else self.kb_ids & frozenset(kb_ids)
        return AccessScope(allowed, self.clearance)

    def sql(self, alias: str = "c") -> str:
        """A WHERE fragment over a chunks (or documents) alias. Only integers are inlined."""
        parts = [f"{alias}.classification <= {int(self.clearance)}"]
        if self.kb_ids is not None:
            ids = ",".join(str(int(k)) for k in sorted(self.kb_ids)) or "NULL"
            parts.append(f"{alias}.kb_id IN ({ids})")
        return " AND ".join(parts)

    def describe(self) -> str:
        kbs = "all" if self.kb_ids is None else str(len(self.kb_ids))
        level = CLASSIFICATIONS.get(self.clearance, "nothing")
        return f"{kbs} knowledge bases, up to {level}"


FULL_ACCESS = AccessScope(None, max(CLASSIFICATIONS))  # the local operator at the CLI
NO_ACCESS = AccessScope(frozenset(), -1)

# The user's department and every department above it.
_DEPARTMENT_CHAIN = """
WITH RECURSIVE chain(id, parent_id) AS (
    SELECT d.id, d.parent_id FROM departments d
    JOIN users u ON u.department_id = d.id WHERE u.id = :user
    UNION
    SELECT p.id, p.parent_id FROM departments p JOIN chain ON p.id = chain.parent_id
)
"""


def _grant_levels(conn: Connection, user_id: int) -> dict[int, int]:
    """{kb_id: highest grant level} from the user's own and inherited department grants."""
    rows = conn.execute(
        text(
            _DEPARTMENT_CHAIN + "SELECT g.kb_id, max(g.level) FROM kb_grants g "
            "WHERE (g.principal_kind = 'user' AND g.principal_id = :user) "
            "OR (g.principal_kind = 'department' AND g.principal_id IN (SELECT id FROM chain)) "
            "GROUP BY g.kb_id"
        ),
        {"user": user_id},
    ).all()
    return {int(kb): int(level) for kb, level in rows}


def scope_for_user(conn: Connection, user_id: int) -> AccessScope:
    """What `user_id` may read. Admins read every knowledge base, still up to their clearance;
    an inactive or unknown user reads nothing."""
    row = conn.execute(
        text("SELECT role, clearance, active FROM users WHERE id = :id"), {"id": user_id}
    ).first()
    if row is None or not row.active:
        return NO_ACCESS
    if row.role == "admin":
        return AccessScope(None, int(row.clearance))
    return AccessScope(frozenset(_grant_levels(conn, user_id)), int(row.clearance))


def kb_level(conn: Connection, user_id: int, kb_id: int) -> int:
    """The user's grant level on one knowledge base: 0 none, 1 read, 2 write, 3 manage."""
    row = conn.execute(
        text("SELECT role, active FROM users WHERE id = :id"), {"id": user_id}
    ).first()
    if row is None or not row.active:
        return 0
    if row.role == "admin":
        return 3
    return _grant_levels(conn, user_id).get(kb_id, 0)
