"""Voice records confirmed by the user before they are stored: extract a draft (nothing is
stored), let the person check and correct the fields, then store what they confirmed.

    draft = draft_record(voice, "提醒我明天下午三点给华东电力回电话", user_id=3)
    draft.to_dict()   # {"id": None, "stored": False, "schema": "task", "data": {...}, ...}
    record = confirm_record(voice, "task", fields, utterance, extracted_by="rules", ...)

The draft's model calls are metered and attributed exactly like `VoiceIntents.record` (scenario
"voice", a new trace id that the confirmed record keeps). Confirming runs no model: the fields
are validated against the schema (InvalidRecord names the field) and stored as the caller's.
`extracted_by` says who produced the stored fields: "model" or "rules" when the person kept
the draft as it was, "manual" when they changed it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..ledger.attribution import attributed
from . import records
from .extract import Extraction, extract
from .service import SCENARIO, VoiceIntents
from .transcribe import Transcript

EXTRACTED_BY = ("model", "rules", "manual")


@dataclass
class Draft:
    extraction: Extraction
    schema_title: str
    utterance: str
    trace_id: str
    transcript: Transcript | None = None

    def to_dict(self) -> dict[str, Any]:
        """The shape of a stored record (POST /voice/intents), with `id: null` and
        `stored: false`."""
        out = {
            "id": None,
            "stored": False,
            "schema": self.extraction.schema,
            "schema_title": self.schema_title,
            "data": self.extraction.data,
            "utterance": self.utterance,
            "extracted_by": self.extraction.extracted_by,
            "model": self.extraction.model,
            "detected_by": self.extraction.detection,
            "notice": self.extraction.notice,
            "trace_id": self.trace_id,
        }
        if self.transcript is not None:
            out["transcript"] = self.transcript.text
        return out


def draft_record(
    voice: VoiceIntents,
    text: str,
    *,
    schema: str | None = None,
    user_id: int | None = None,
    department_id: int | None = None,
    transcript: Transcript | None = None,
) -> Draft:
    """Extract a record without storing it. Raises what `VoiceIntents.record` raises, except
    InvalidRecord: an incomplete draft is for the person to complete."""
    text = text.strip()
    if schema is not None:
        voice.schema(schema)
    trace_id = uuid.uuid4().hex
    gateway = voice.platform.gateway
    with attributed(
        scenario=SCENARIO, user_id=user_id, department_id=department_id, trace_id=trace_id
    ):
        extraction = extract(
            text,
            voice.registry,
            gateway if gateway.has_chat else None,
            today=voice.today(),
            schema=schema,
            tier=voice.settings.tier,
            timezone=voice.settings.timezone,
        )
    title = voice.schema(extraction.schema).title
    return Draft(extraction, title, text, trace_id, transcript)


def draft_audio(
    voice: VoiceIntents,
    audio: bytes,
    filename: str,
    content_type: str = "",
    *,
    schema: str | None = None,
    user_id: int | None = None,
    department_id: int | None = None,
) -> Draft:
    """Transcribe (metered, scenario "voice"), then `draft_record` the text."""
    with attributed(scenario=SCENARIO, user_id=user_id, department_id=department_id):
        transcript = voice.transcriber.transcribe(audio, filename, content_type)
    return draft_record(
        voice,
        transcript.text,
        schema=schema,
        user_id=user_id,
        department_id=department_id,
        transcript=transcript,
    )


def confirm_record(
    voice: VoiceIntents,
    schema: str,
    data: dict[str, Any],
    utterance: str,
    *,
    extracted_by: str = "manual",
    model: str = "",
    trace_id: str = "",
    user_id: int | None = None,
    department_id: int | None = None,
    now: datetime | None = None,
) -> records.VoiceRecord:
    """Validate the confirmed fields against `schema` and store them. Raises UnknownSchema,
    InvalidRecord (naming the field)."""
    record_schema = voice.schema(schema)
    record_schema.validate(data)
    how = extracted_by if extracted_by in EXTRACTED_BY else "manual"
    extraction = Extraction(schema, data, how, model if how == "model" else "")
    with voice.platform.db.engine.begin() as conn:
        return records.store(
            conn,
            extraction,
            utterance.strip(),
            user_id=user_id,
            department_id=department_id,
            trace_id=trace_id or uuid.uuid4().hex,
            now=now,
        )
