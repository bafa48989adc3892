"""Ask: a cited answer from what the caller may read, as JSON or as a server-sent event
stream (`citations`, then one `delta` per sentence, then `done`)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ...kb.ask import Answer, ask
from ..deps import Caller, ReadCaller, State
from ..state import AppState
from .search import kb_error

router = APIRouter(prefix="/ask", tags=["ask"])

_SENTENCE = re.compile(r".+?\[\d+\]\s*", re.S)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    kbs: list[str] | None = Field(None, description="Knowledge base names; default: all readable.")


def _answer(state: AppState, caller: Caller, body: AskRequest) -> Answer:
    with state.platform.db.engine.connect() as conn:
        scope = caller.access_scope(conn)
    try:
        return ask(state.platform, body.question, body.kbs, scope=scope)
    except KeyError as exc:
        raise kb_error(exc) from exc


@router.post("", operation_id="ask")
def ask_question(body: AskRequest, caller: ReadCaller, state: State) -> dict:
    """The whole answer at once: text with [n] markers, citations and the retrieved results."""
    return _answer(state, caller, body).to_dict()


def answer_parts(answer: Answer) -> list[str]:
    """The answer split into its cited sentences (each ends with its [n])."""
    if not answer.found:
        return [answer.text]
    parts = [m.group(0) for m in _SENTENCE.finditer(answer.text)]
    rest = answer.text[sum(len(p) for p in parts) :]
    return parts + ([rest] if rest else [])


def _event(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post(
    "/stream",
    operation_id="ask_stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def ask_stream(body: AskRequest, caller: ReadCaller, state: State) -> StreamingResponse:
    """Server-sent events: `citations` (the sources), `delta` ({"text"} per sentence, in
    order), `done` (the full answer without the result list). Errors before the stream
    starts use the usual JSON error body."""
    answer = await run_in_threadpool(_answer, state, caller, body)

    async def events() -> AsyncIterator[str]:
        yield _event("citations", [c.to_dict() for c in answer.citations])
        for part in answer_parts(answer):
            yield _event("delta", {"text": part})
        done = answer.to_dict()
        done.pop("results", None)
        yield _event("done", done)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
