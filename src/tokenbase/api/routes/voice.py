"""Voice intents over HTTP: an utterance (text, or audio when transcription is configured)
becomes a stored structured record; records are listed and exported per schema. Users see
their own records; administrators everyone's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ...voice import errors as voice_errors
from ...voice.service import VoiceIntents
from ..deps import Caller, ReadCaller, State, WriteCaller
from ..errors import ApiError

router = APIRouter(prefix="/voice", tags=["voice"])


class IntentRequest(BaseModel):
    text: str = Field(min_length=1, max_length=2000, description="What was said.")
    schema_: str | None = Field(
        None,
        alias="schema",
        max_length=64,
        description="Record schema; default: detected from the text.",
    )


_INTENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": IntentRequest.model_json_schema(by_alias=True)},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "schema": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except voice_errors.UnknownSchema as exc:
        raise ApiError(404, "unknown_schema", str(exc)) from exc
    except voice_errors.NoIntent as exc:
        raise ApiError(422, "no_intent", str(exc)) from exc
    except voice_errors.InvalidRecord as exc:
        raise ApiError(422, "invalid_record", str(exc), {"field": exc.field}) from exc
    except voice_errors.ExtractionUnavailable as exc:
        raise ApiError(503, "extraction_unavailable", str(exc)) from exc
    except voice_errors.TranscriptionError as exc:
        if not exc.configured:
            raise ApiError(400, "transcription_not_configured", str(exc)) from exc
        raise ApiError(502, "transcription_failed", str(exc)) from exc
    except voice_errors.VoiceError as exc:  # e.g. an invalid [[voice.schemas]] entry
        raise ApiError(503, "voice_unavailable", str(exc)) from exc


def _voice(state: Any) -> VoiceIntents:
    return VoiceIntents(state.platform)


async def _intent(request: Request, caller: Caller, voice: VoiceIntents) -> dict[str, Any]:
    who = {"user_id": caller.id, "department_id": caller.user.department_id}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ApiError(422, "validation_error", "send the audio as the multipart field 'file'")
        audio = await upload.read()
        schema = form.get("schema")
        name = str(schema) if isinstance(schema, str) and schema else None
        outcome = await run_in_threadpool(
            lambda: voice.record_audio(
                audio, upload.filename or "audio", upload.content_type or "", schema=name, **who
            )
        )
        return outcome.to_dict()
    try:
        body = IntentRequest.model_validate(await request.json())
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        message = f"{field}: {first['msg']}"
        raise ApiError(422, "validation_error", message, {"field": field}) from exc
    except ValueError as exc:
        raise ApiError(
            422, "validation_error", 'send JSON {"text": "…"} or multipart audio'
        ) from exc
    outcome = await run_in_threadpool(lambda: voice.record(body.text, schema=body.schema_, **who))
    return outcome.to_dict()


@router.post("/intents", operation_id="voice_intent", status_code=201, openapi_extra=_INTENT_BODY)
async def create_intent(request: Request, caller: WriteCaller, state: State) -> dict[str, Any]:
    """`{"text", "schema"?}` (or multipart `file` + `schema` when voice.transcription is
    configured) → the stored record: `schema`, `data`, `extracted_by` (model | rules), `notice`
    (plain words when the rules extracted it), `trace_id`; `transcript` for audio."""
    with _errors():
        return await _intent(request, caller, _voice(state))


def _owner(caller: Caller, user_id: int | None) -> int | None:
    """Whose records a caller may read: admins anyone's (all by default), others their own."""
    if caller.is_admin:
        return user_id
    return caller.id


@router.get("/records", operation_id="voice_records")
def list_records(
    caller: ReadCaller,
    state: State,
    schema: str | None = Query(None, max_length=64),
    user_id: int | None = Query(None, description="Admins only: one user's records."),
    limit: int = Query(50, ge=1, le=500),
    before_id: int | None = Query(None, description="Page: records older than this id."),
) -> list[dict[str, Any]]:
    """Records, newest first: the caller's own (administrators: everyone's)."""
    with _errors():
        rows = _voice(state).list(
            user_id=_owner(caller, user_id), schema=schema, limit=limit, before_id=before_id
        )
    return [r.to_dict() for r in rows]


@router.get("/records/export", operation_id="voice_records_export")
def export_records(
    caller: ReadCaller,
    state: State,
    schema: str = Query(max_length=64),
    format: Literal["csv", "jsonl"] = Query("csv"),
    user_id: int | None = Query(None, description="Admins only: one user's records."),
) -> Response:
    """Every record of one schema the caller may read: CSV (UTF-8 with BOM, one column per
    schema field, lists joined with ；) or JSONL."""
    with _errors():
        body = _voice(state).export(schema, format, user_id=_owner(caller, user_id))
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    filename = f"tokenbase-voice-{schema}.{format}"
    return Response(
        body,
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/schemas", operation_id="voice_schemas")
def list_schemas(caller: ReadCaller, state: State) -> list[dict[str, Any]]:
    """Record schemas (built-in and from config) with field titles and the JSON Schema."""
    with _errors():
        return [s.to_dict() for s in _voice(state).registry.values()]
