"""Voice intents over HTTP: an utterance (text, or audio when transcription is configured)
becomes a stored structured record — at once, or as a draft (`dry_run`) the person checks and
corrects before `POST /voice/records` stores it; records are listed and exported per schema.
Users see their own records; administrators everyone's. `POST /voice/transcribe` turns audio
into text (for a spoken question), `GET /voice/capabilities` tells a client what is set up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ...ledger.attribution import attributed
from ...voice import errors as voice_errors
from ...voice.drafts import confirm_record, draft_audio, draft_record
from ...voice.service import SCENARIO, VoiceIntents
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
    dry_run: bool = Field(
        False, description="Extract only (200, nothing stored); store with POST /voice/records."
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
                        "dry_run": {"type": "boolean"},
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


async def _intent(request: Request, caller: Caller, voice: VoiceIntents) -> Any:
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
        filename, media = upload.filename or "audio", upload.content_type or ""
        if str(form.get("dry_run", "")).lower() in ("1", "true", "yes"):
            draft = await run_in_threadpool(
                lambda: draft_audio(voice, audio, filename, media, schema=name, **who)
            )
            return JSONResponse(draft.to_dict())
        outcome = await run_in_threadpool(
            lambda: voice.record_audio(audio, filename, media, schema=name, **who)
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
    if body.dry_run:
        draft = await run_in_threadpool(
            lambda: draft_record(voice, body.text, schema=body.schema_, **who)
        )
        return JSONResponse(draft.to_dict())
    outcome = await run_in_threadpool(lambda: voice.record(body.text, schema=body.schema_, **who))
    return outcome.to_dict()


@router.post("/intents", operation_id="voice_intent", status_code=201, openapi_extra=_INTENT_BODY)
async def create_intent(request: Request, caller: WriteCaller, state: State) -> Any:
    """`{"text", "schema"?, "dry_run"?}` (or multipart `file` + `schema` + `dry_run` when
    voice.transcription is configured) → the stored record: `schema`, `data`, `extracted_by`
    (model | rules), `notice` (plain words when the rules extracted it), `trace_id`;
    `transcript` for audio. With `dry_run`: 200 and the same fields with `id: null`,
    `stored: false` — nothing is stored until POST /voice/records."""
    with _errors():
        return await _intent(request, caller, _voice(state))


class RecordConfirm(BaseModel):
    schema_: str = Field(alias="schema", min_length=1, max_length=64)
    data: dict[str, Any] = Field(description="The fields as the person confirmed them.")
    utterance: str = Field("", max_length=2000, description="What was said.")
    extracted_by: Literal["model", "rules", "manual"] = Field(
        "manual", description="model | rules: the draft kept as it was; manual: corrected."
    )
    model: str = Field("", max_length=200, description="The draft's model (when 'model').")
    trace_id: str = Field("", max_length=64, description="The draft's trace id.")


@router.post("/records", operation_id="voice_record_confirm", status_code=201)
def confirm_voice_record(body: RecordConfirm, caller: WriteCaller, state: State) -> dict:
    """Store a record the person confirmed (a `dry_run` draft, maybe corrected): validated
    against its schema (422 `invalid_record` naming the field), no model call."""
    with _errors():
        record = confirm_record(
            _voice(state),
            body.schema_,
            body.data,
            body.utterance,
            extracted_by=body.extracted_by,
            model=body.model,
            trace_id=body.trace_id,
            user_id=caller.id,
            department_id=caller.user.department_id,
        )
    return record.to_dict()


@router.post("/transcribe", operation_id="voice_transcribe")
async def transcribe(file: UploadFile, caller: ReadCaller, state: State) -> dict[str, Any]:
    """Audio (multipart `file`) → `{text, model, seconds}` through the `[voice.transcription]`
    server, metered under scenario "voice"; 400 `transcription_not_configured` without one."""
    voice = _voice(state)
    audio = await file.read()

    def run() -> Any:
        with attributed(
            scenario=SCENARIO, user_id=caller.id, department_id=caller.user.department_id
        ):
            return voice.transcriber.transcribe(
                audio, file.filename or "audio", file.content_type or ""
            )

    with _errors():
        transcript = await run_in_threadpool(run)
    return {"text": transcript.text, "model": transcript.model, "seconds": transcript.seconds}


@router.get("/capabilities", operation_id="voice_capabilities")
def capabilities(caller: ReadCaller, state: State) -> dict[str, Any]:
    """What a voice client can rely on: `transcription` (audio is accepted), `max_audio_mb`,
    `extraction` (`model` when a chat model is configured, else `rules`)."""
    settings = state.platform.settings.voice.transcription
    return {
        "transcription": bool(settings.base_url),
        "max_audio_mb": settings.max_audio_mb,
        "extraction": "model" if state.platform.gateway.has_chat else "rules",
    }


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
