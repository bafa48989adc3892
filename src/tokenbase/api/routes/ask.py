"""Ask: a cited answer from what the caller may read, as JSON or as a server-sent event
stream (`citations` when sources are first cited, `delta` per checked sentence, `done`)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from ...kb.ask import Answer, AskEvent, ask_events
from ...ledger.attribution import attributed
from ..deps import Caller, ReadCaller, State
from ..state import AppState
from .search import kb_error

router = APIRouter(prefix="/ask", tags=["ask"])
logger = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    kbs: list[str] | None = Field(None, description="Knowledge base names; default: all readable.")
    audience: Literal["internal", "external"] = Field(
        "internal",
        description="'external': the answer leaves the company, so only sources cleared for "
        "external use are used, and the response lists those left out.",
    )


def _events(state: AppState, caller: Caller, body: AskRequest) -> Iterator[AskEvent]:
    """The answer's events, attributed to the caller. Runs on one thread from start to end:
    the attribution context must not hop threads between events."""
    with state.platform.db.engine.connect() as conn:
        scope = caller.access_scope(conn)
    with attributed(user_id=caller.id, department_id=caller.user.department_id):
        try:
            yield from ask_events(
                state.platform, body.question, body.kbs, scope=scope, audience=body.audience
            )
        except KeyError as exc:
            raise kb_error(exc) from exc


def _answer(state: AppState, caller: Caller, body: AskRequest) -> Answer:
    for event in _events(state, caller, body):
        if event.kind == "done":
            return event.data
    raise RuntimeError("ask produced no answer")  # pragma: no cover - ask_events always ends


@router.post("", operation_id="ask")
def ask_question(body: AskRequest, caller: ReadCaller, state: State) -> dict:
    """The whole answer at once: text with [n] markers, citations, citation issues, the model
    used (generative answers) and the retrieved results."""
    return _answer(state, caller, body).to_dict()


def _sse(name: str, data: object) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _payload(event: AskEvent) -> object:
    if event.kind == "citations":
        return [c.to_dict() for c in event.data]
    if event.kind == "delta":
        return {"text": event.data}
    done = event.data.to_dict()
    done.pop("results", None)
    return done


class _ThreadStream:
    """Runs a blocking event iterator on its own thread and hands events to the event loop.
    The first event is awaited before the response starts, so errors raised before it (an
    unknown knowledge base) still get the usual JSON error body."""

    _END = object()

    def __init__(self, source: Iterator[AskEvent]) -> None:
        self._source = source
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue = asyncio.Queue()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="ask-stream").start()

    def _put(self, item: object) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _run(self) -> None:
        try:
            for event in self._source:
                self._put(event)
                if self._stop.is_set():  # the client went away: stop calling the model
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the request task
            self._put(exc)
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()
            self._put(self._END)

    async def next(self) -> object:
        item = await self._queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def cancel(self) -> None:
        self._stop.set()


@router.post(
    "/stream",
    operation_id="ask_stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def ask_stream(body: AskRequest, caller: ReadCaller, state: State) -> StreamingResponse:
    """Server-sent events: `citations` (a list of sources, sent when first cited), `delta`
    ({"text"}: the next sentence, its citations already checked), `done` (the full answer
    without the result list). Errors before the stream starts use the usual JSON error
    body; a failure after it started is an `error` event."""
    stream = _ThreadStream(_events(state, caller, body))
    return sse_answer(stream, await stream.next())


def sse_answer(
    stream: _ThreadStream,
    first: object,
    *,
    opening: tuple[tuple[str, Any], ...] = (),
    done_extra: dict[str, Any] | None = None,
) -> StreamingResponse:
    """The answer's events as server-sent events, once the first one is in (so a failure
    before it is the usual JSON error): `opening` events first, then each AskEvent (`done`
    with `done_extra` merged in); a failure after the headers is an `error` event."""

    async def events() -> AsyncIterator[str]:
        item = first
        for name, data in opening:
            yield _sse(name, data)
        try:
            while item is not _ThreadStream._END:
                assert isinstance(item, AskEvent)
                payload = _payload(item)
                if item.kind == "done" and done_extra and isinstance(payload, dict):
                    payload.update(done_extra)
                yield _sse(item.kind, payload)
                item = await stream.next()
        except Exception as exc:  # after the headers: report in-band, the status is sent
            logger.exception("answer stream failed")
            yield _sse("error", {"code": "internal", "message": type(exc).__name__})
        finally:
            stream.cancel()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
