"""Search: ranked chunks the caller may read (scope applied inside the search queries), and
the instance's glossary (terms, synonyms, abbreviations) that queries are expanded with."""

from __future__ import annotations

import hashlib
import os
from typing import Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from ...guard import audit
from ...ledger.attribution import attributed
from ...search.glossary import Glossary, GlossaryError
from ..deps import AdminCaller, ReadCaller, State
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


class GlossaryPublic(BaseModel):
    text: str = Field(description="The glossary file: one group a line, `term = synonym, ...`.")
    groups: list[list[str]] = Field(description="The parsed groups, each led by its term.")
    terms: int = Field(description="Terms and synonyms in all groups.")


class GlossaryUpdate(BaseModel):
    text: str = Field(max_length=1_000_000)


def _glossary_text(state) -> str:  # type: ignore[no-untyped-def]
    path = state.settings.glossary_path
    return path.read_text(encoding="utf-8") if path is not None and path.is_file() else ""


def _glossary_public(text: str, glossary: Glossary) -> GlossaryPublic:
    return GlossaryPublic(text=text, groups=glossary.groups, terms=len(glossary.terms))


@router.get("/glossary", operation_id="get_glossary")
def get_glossary(caller: ReadCaller, state: State) -> GlossaryPublic:
    """The glossary of this instance (one for all knowledge bases: `search.glossary`, or
    <data_dir>/glossary.txt)."""
    text = _glossary_text(state)
    return _glossary_public(text, Glossary.parse(text))


@router.put("/glossary", operation_id="set_glossary")
async def set_glossary(body: GlossaryUpdate, caller: AdminCaller, state: State) -> GlossaryPublic:
    """Replace the glossary (administrators; audited as `glossary.update`). Queries use the
    new synonyms at once; new terms join the word-segmentation dictionary at the next start,
    and documents already indexed keep their segmentation until they are ingested again.
    A line that cannot be read: 422 `invalid_glossary` naming the line."""
    try:
        glossary = Glossary.parse(body.text, "glossary")
    except GlossaryError as exc:
        raise ApiError(422, "invalid_glossary", f"{exc} (术语表格式错误)") from exc
    path = state.settings.glossary_path or state.settings.data_dir / "glossary.txt"

    def write() -> None:
        before = _glossary_text(state)
        with state.platform.db.engine.begin() as conn:  # no audit entry, no new file
            audit.append(
                conn,
                caller,
                "glossary.update",
                "glossary",
                {
                    "groups": len(glossary.groups),
                    "before_sha256": hashlib.sha256(before.encode()).hexdigest(),
                    "sha256": hashlib.sha256(body.text.encode()).hexdigest(),
                },
                settings=state.settings,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(path.name + ".tmp")
            temporary.write_text(body.text, encoding="utf-8")
            os.replace(temporary, path)

    await run_in_threadpool(write)
    state.platform.tokenizer.glossary = glossary  # query expansion uses it from now on
    return _glossary_public(body.text, glossary)
