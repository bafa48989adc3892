"""Voice intents end to end: utterance (or audio) → schema → record → validated → stored.

    voice = VoiceIntents(platform)                       # clock injectable for tests
    outcome = voice.record("今天下午见了华东电力的王总，重点是…", user_id=3, department_id=1)
    outcome.record.data, outcome.notice                  # stored record, "" or the rules notice

Model calls are attributed to scenario "voice" with the caller's user, department and a new
trace id, which the stored record keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ..ledger.attribution import attributed
from . import records
from .schemas import RecordSchema, get_schema, load_schemas
from .transcribe import Transcriber, Transcript

if TYPE_CHECKING:
    from ..kb.platform import Platform

SCENARIO = "voice"


@dataclass
class IntentOutcome:
    record: records.VoiceRecord
    schema_title: str
    detected_by: str  # caller | rules | model
    notice: str = ""  # plain words when the rules extracted it
    transcript: Transcript | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            **self.record.to_dict(),
            "schema_title": self.schema_title,
            "detected_by": self.detected_by,
            "notice": self.notice,
        }
        if self.transcript is not None:
            out["transcript"] = self.transcript.text
        return out


class VoiceIntents:
    def __init__(self, platform: Platform, *, clock: Callable[[], datetime] | None = None):
        self.platform = platform
        self.settings = platform.settings.voice
        self._clock = clock or (lambda: datetime.now(UTC))

    @cached_property
    def registry(self) -> dict[str, RecordSchema]:
        """Raises VoiceError when a configured schema is invalid."""
        return load_schemas(self.settings)

    def schema(self, name: str) -> RecordSchema:
        return get_schema(self.registry, name)

    def today(self) -> date:
        return self._clock().astimezone(ZoneInfo(self.settings.timezone)).date()

    @cached_property
    def transcriber(self) -> Transcriber:
        return Transcriber(self.settings.transcription, self.platform.ledger)

    def record(
        self,
        text: str,
        *,
        schema: str | None = None,
        user_id: int | None = None,
        department_id: int | None = None,
        transcript: Transcript | None = None,
    ) -> IntentOutcome:
        """Extract, validate and store one record. Raises VoiceError subclasses (NoIntent,
        UnknownSchema, InvalidRecord naming the field, ExtractionUnavailable)."""
        from .drafts import draft_record  # drafts build on this class

        draft = draft_record(
            self,
            text,
            schema=schema,
            user_id=user_id,
            department_id=department_id,
            transcript=transcript,
        )
        extraction = draft.extraction
        record_schema = self.schema(extraction.schema)
        record_schema.validate(extraction.data)
        with self.platform.db.engine.begin() as conn:
            stored = records.store(
                conn,
                extraction,
                draft.utterance,
                user_id=user_id,
                department_id=department_id,
                trace_id=draft.trace_id,
                now=self._clock(),
            )
        return IntentOutcome(
            stored, record_schema.title, extraction.detection, extraction.notice, transcript
        )

    def record_audio(
        self,
        audio: bytes,
        filename: str,
        content_type: str = "",
        *,
        schema: str | None = None,
        user_id: int | None = None,
        department_id: int | None = None,
    ) -> IntentOutcome:
        """Transcribe (metered, attributed to scenario "voice"), then `record` the text."""
        with attributed(scenario=SCENARIO, user_id=user_id, department_id=department_id):
            transcript = self.transcriber.transcribe(audio, filename, content_type)
        return self.record(
            transcript.text,
            schema=schema,
            user_id=user_id,
            department_id=department_id,
            transcript=transcript,
        )

    def list(
        self,
        *,
        user_id: int | None = None,
        schema: str | None = None,
        limit: int | None = 100,
        before_id: int | None = None,
    ) -> list[records.VoiceRecord]:
        if schema is not None:
            self.schema(schema)
        with self.platform.db.engine.connect() as conn:
            return records.list_records(
                conn, user_id=user_id, schema=schema, limit=limit, before_id=before_id
            )

    def export(self, schema: str, fmt: str, *, user_id: int | None = None) -> bytes:
        """Every record of `schema` (one user's, or all) as "csv" or "jsonl" bytes."""
        record_schema = self.schema(schema)
        rows = self.list(user_id=user_id, schema=schema, limit=None)
        if fmt == "csv":
            return records.export_csv(rows, record_schema)
        if fmt == "jsonl":
            return records.export_jsonl(rows)
        raise ValueError(f"unknown export format {fmt!r}; use csv or jsonl")
