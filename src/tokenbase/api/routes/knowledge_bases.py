"""Knowledge bases: list the readable ones, create (the creator manages it), and grants."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ...db.schema import chunks, documents, knowledge_bases
from ...guard import audit
from ...identity.grants import LEVEL_NAMES, list_grants, remove_grant, set_grant
from ...identity.users import get_user_by_name
from ..deps import ReadCaller, State, WriteCaller
from ..errors import ApiError
from ..lookups import find_kb

router = APIRouter(prefix="/knowledge-bases", tags=["knowledge bases"])


class KnowledgeBaseCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\s][^/]*$")
    description: str = Field("", max_length=2000)


class KnowledgeBasePublic(BaseModel):
    id: int
    name: str
    description: str
    documents: int = Field(description="Documents the caller may read (their clearance).")
    chunks: int
    access: Literal["read", "write", "manage"]


class GrantCreate(BaseModel):
    principal_kind: Literal["user", "department"]
    principal: str = Field(
        min_length=1, description="A username, or a department id for principal_kind=department."
    )
    level: Literal["read", "write", "manage"]


class GrantPublic(BaseModel):
    id: int
    kb_id: int
    principal_kind: str
    principal_id: int
    principal_name: str
    level: str


def _summaries(conn, ids: dict[int, int], clearance: int) -> list[KnowledgeBasePublic]:  # type: ignore[no-untyped-def]
    if not ids:
        return []
    doc_counts = dict(
        conn.execute(
            select(documents.c.kb_id, func.count())
            .where(documents.c.kb_id.in_(ids), documents.c.classification <= clearance)
            .group_by(documents.c.kb_id)
        ).all()
    )
    chunk_counts = dict(
        conn.execute(
            select(chunks.c.kb_id, func.count())
            .where(chunks.c.kb_id.in_(ids), chunks.c.classification <= clearance)
            .group_by(chunks.c.kb_id)
        ).all()
    )
    rows = conn.execute(
        select(knowledge_bases.c.id, knowledge_bases.c.name, knowledge_bases.c.description)
        .where(knowledge_bases.c.id.in_(ids))
        .order_by(knowledge_bases.c.name)
    )
    return [
        KnowledgeBasePublic(
            id=r.id,
            name=r.name,
            description=r.description,
            documents=doc_counts.get(r.id, 0),
            chunks=chunk_counts.get(r.id, 0),
            access=LEVEL_NAMES[ids[r.id]],
        )
        for r in rows
    ]


@router.get("", operation_id="list_knowledge_bases")
def list_knowledge_bases(caller: ReadCaller, state: State) -> list[KnowledgeBasePublic]:
    """The knowledge bases the caller may read, with what they may do in each."""
    with state.platform.db.engine.connect() as conn:
        scope = caller.access_scope(conn)
        all_ids = [int(i) for i in conn.execute(select(knowledge_bases.c.id)).scalars()]
        ids = {i: caller.kb_level(conn, i) for i in all_ids if scope.allows_kb(i)}
        return _summaries(conn, {i: lv for i, lv in ids.items() if lv > 0}, scope.clearance)


@router.post("", status_code=status.HTTP_201_CREATED, operation_id="create_knowledge_base")
def create_knowledge_base(
    body: KnowledgeBaseCreate, caller: WriteCaller, state: State
) -> KnowledgeBasePublic:
    """Create a knowledge base; the creator gets the manage grant on it."""
    from ...ingest.catalog import utcnow

    try:
        with state.platform.db.engine.begin() as conn:
            if conn.execute(
                select(knowledge_bases.c.id).where(knowledge_bases.c.name == body.name)
            ).first():
                raise ApiError(409, "kb_exists", f"a knowledge base named {body.name!r} exists")
            kb_id = int(
                conn.execute(
                    knowledge_bases.insert().values(
                        name=body.name, description=body.description, created_at=utcnow()
                    )
                ).inserted_primary_key[0]
            )
            set_grant(conn, kb_id, "user", caller.id, "manage")
            audit.append(
                conn,
                caller,
                "kb.create",
                f"kb:{kb_id}",
                {"name": body.name},
                settings=state.settings,
            )
    except IntegrityError as exc:
        raise ApiError(409, "kb_exists", f"a knowledge base named {body.name!r} exists") from exc
    return KnowledgeBasePublic(
        id=kb_id,
        name=body.name,
        description=body.description,
        documents=0,
        chunks=0,
        access="manage",
    )


@router.get("/{kb}", operation_id="get_knowledge_base")
def get_knowledge_base(kb: str, caller: ReadCaller, state: State) -> KnowledgeBasePublic:
    with state.platform.db.engine.connect() as conn:
        ref = find_kb(conn, caller, kb)
        return _summaries(conn, {ref.id: ref.level}, caller.access_scope(conn).clearance)[0]


@router.get("/{kb}/grants", operation_id="list_grants")
def list_kb_grants(kb: str, caller: ReadCaller, state: State) -> list[GrantPublic]:
    """Who may read, write or manage this knowledge base (managers only)."""
    with state.platform.db.engine.connect() as conn:
        ref = find_kb(conn, caller, kb, min_level=3)
        return [GrantPublic(**g.to_dict()) for g in list_grants(conn, ref.id)]


@router.put("/{kb}/grants", operation_id="set_grant")
def set_kb_grant(kb: str, body: GrantCreate, caller: WriteCaller, state: State) -> GrantPublic:
    """Grant (or change) a user's or department's level (managers only)."""
    with state.platform.db.engine.begin() as conn:
        ref = find_kb(conn, caller, kb, min_level=3)
        if body.principal_kind == "user":
            user = get_user_by_name(conn, body.principal)
            if user is None:
                raise ApiError(422, "unknown_user", f"no user named {body.principal!r}")
            principal_id = user.id
        else:
            if not body.principal.isdigit():
                raise ApiError(422, "validation_error", "principal: a department id is a number")
            principal_id = int(body.principal)
        audit.append(
            conn,
            caller,
            "grant.set",
            f"kb:{ref.id}",
            {**body.model_dump(), "principal_id": principal_id},
            settings=state.settings,
        )
        return GrantPublic(
            **set_grant(conn, ref.id, body.principal_kind, principal_id, body.level).to_dict()
        )


@router.delete(
    "/{kb}/grants/{grant_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="remove_grant"
)
def remove_kb_grant(kb: str, grant_id: int, caller: WriteCaller, state: State) -> None:
    with state.platform.db.engine.begin() as conn:
        ref = find_kb(conn, caller, kb, min_level=3)
        remove_grant(conn, ref.id, grant_id)
        audit.append(
            conn,
            caller,
            "grant.remove",
            f"kb:{ref.id}",
            {"grant_id": grant_id},
            settings=state.settings,
        )
