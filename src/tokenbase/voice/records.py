"""Stored voice records: one row per utterance turned into a record, owned by its user.

    record = store(conn, extraction, utterance, user_id=3, department_id=1, trace_id="…")
    rows = list_records(conn, user_id=3, schema="expense")      # user_id=None: everyone's
    body = export_csv(rows, registry["expense"])                 # bytes, UTF-8 with BOM

CSV has one column per schema property (headed by its Chinese title), lists joined with "；",
after 编号, 记录时间, 用户, 提取方式; JSONL has one record a line, with the data as an object.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from ..db.schema import users, voice_records
from .extract import Extraction
from .schemas import RecordSchema


@dataclass
class VoiceRecord:
    id: int
    user_id: int | None
    username: str
    department_id: int | None
    schema: str
    data: dict[str, Any]
    utterance: str
    extracted_by: str
    model: str
    trace_id: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "schema": self.schema,
            "data": self.data,
            "utterance": self.utterance,
            "extracted_by": self.extracted_by,
            "model": self.model,
            "user_id": self.user_id,
            "username": self.username,
            "department_id": self.department_id,
            "trace_id": self.trace_id,
            "created_at": self.created_at.isoformat(),
        }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def store(
    conn: Connection,
    extraction: Extraction,
    utterance: str,
    *,
    user_id: int | None,
    department_id: int | None,
    trace_id: str,
    now: datetime | None = None,
) -> VoiceRecord:
    """Insert one record (already validated against its schema) and return it."""
    created = now or datetime.now(UTC)
    result = conn.execute(
        insert(voice_records).values(
            user_id=user_id,
            department_id=department_id,
            schema=extraction.schema,
            data=extraction.data,
            utterance=utterance,
            extracted_by=extraction.extracted_by,
            model=extraction.model,
            trace_id=trace_id,
            created_at=created,
        )
    )
    return get_record(conn, int(result.inserted_primary_key[0]))


def _query():  # type: ignore[no-untyped-def]
    return select(voice_records, users.c.username).select_from(
        voice_records.outerjoin(users, users.c.id == voice_records.c.user_id)
    )


def _from_row(row: Any) -> VoiceRecord:
    return VoiceRecord(
        id=row.id,
        user_id=row.user_id,
        username=row.username or "",
        department_id=row.department_id,
        schema=row.schema,
        data=dict(row.data or {}),
        utterance=row.utterance,
        extracted_by=row.extracted_by,
        model=row.model,
        trace_id=row.trace_id,
        created_at=_aware(row.created_at),
    )


def get_record(conn: Connection, record_id: int) -> VoiceRecord:
    return _from_row(conn.execute(_query().where(voice_records.c.id == record_id)).one())


def list_records(
    conn: Connection,
    *,
    user_id: int | None = None,
    schema: str | None = None,
    since: datetime | None = None,
    limit: int | None = 100,
    before_id: int | None = None,
) -> list[VoiceRecord]:
    """Newest first. `user_id` restricts to one user's records (None: everyone's)."""
    query = _query().order_by(voice_records.c.id.desc())
    if user_id is not None:
        query = query.where(voice_records.c.user_id == user_id)
    if schema:
        query = query.where(voice_records.c.schema == schema)
    if since is not None:
        query = query.where(voice_records.c.created_at >= since)
    if before_id is not None:
        query = query.where(voice_records.c.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    return [_from_row(row) for row in conn.execute(query)]


FIXED_COLUMNS = ["编号", "记录时间", "用户", "提取方式"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "；".join(_cell(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def export_csv(records: list[VoiceRecord], schema: RecordSchema) -> bytes:
    """UTF-8 with a BOM (Excel opens it as UTF-8), oldest first."""
    props = schema.properties
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIXED_COLUMNS, *(p.get("title", k) for k, p in props.items())])
    for rec in sorted(records, key=lambda r: r.id):
        writer.writerow(
            [
                rec.id,
                rec.created_at.isoformat(timespec="seconds"),
                rec.username,
                rec.extracted_by,
                *(_cell(rec.data.get(k)) for k in props),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_jsonl(records: list[VoiceRecord]) -> bytes:
    """One JSON object a line (`to_dict()`), oldest first."""
    lines = [
        json.dumps(r.to_dict(), ensure_ascii=False) for r in sorted(records, key=lambda r: r.id)
    ]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")
