"""Search: ranked chunks the caller may read (scope applied inside the search queries)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ...ledger.attribution import attributed
from ..deps import ReadCaller, State
from ..errors import ApiError
from ..lookups import kb_not_found

router = APIRouter(tags=["search"])


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=2000)
    kbs: list[str] | None = Field(None, description="Knowledge base names; default: all readable.")
    mode: Literal["hybrid", "lexical", "dense"] = "hybrid"
    limit: int = Field(10, ge=1, le=100)


class SearchResponse(BaseModel):
    query: str
    hits: list[dict]
    degraded: str | None = Field(None, description="Why the dense channel was skipped, if it was.")


def kb_error(exc: KeyError) -> ApiError:
    """Unknown and unreadable knowledge-base names get the very same 404 body (it does not
    even repeat the name), so a caller cannot tell one from the other."""
    return kb_not_found()


@router.post("/search", operation_id="search")
def search(body: SearchRequest, caller: ReadCaller, state: State) -> SearchResponse:
    with state.platform.db.engine.connect() as conn:
        scope = caller.access_scope(conn)
    try:
        with attributed(
            user_id=caller.id, department_id=caller.user.department_id, scenario="kb.search"
        ):
            result = state.platform.searcher.search(
                body.query, body.kbs, scope=scope, limit=body.limit, mode=body.mode
            )
    except KeyError as exc:
        raise kb_error(exc) from exc
    return SearchResponse(
        query=body.query, hits=[h.to_dict() for h in result.hits], degraded=result.degraded
    )
