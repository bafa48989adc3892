"""Original files in the database, content-addressed by sha256 (= documents.content_hash).

Every replica can serve a download and every worker can re-read an upload from here, so
nothing depends on one machine's disk. Writes are idempotent: the same bytes are stored once.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, DateTime, Integer, LargeBinary, bindparam, select, text

from ..db.schema import blobs
from .catalog import utcnow

_INSERT = text(
    "INSERT INTO blobs (digest, size, data, created_at) VALUES (:digest, :size, :data, :now) "
    "ON CONFLICT (digest) DO NOTHING"
).bindparams(
    bindparam("size", type_=Integer()),
    bindparam("data", type_=LargeBinary()),
    bindparam("now", type_=DateTime(timezone=True)),
)


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_blob(conn: Connection, data: bytes, digest: str | None = None) -> str:
    """Store `data` (once per content); returns its sha256 hex digest."""
    digest = digest or digest_of(data)
    conn.execute(_INSERT, {"digest": digest, "size": len(data), "data": data, "now": utcnow()})
    return digest


def get_blob(conn: Connection, digest: str) -> bytes | None:
    """The stored bytes, or None when this content was never stored."""
    data = conn.execute(select(blobs.c.data).where(blobs.c.digest == digest)).scalar()
    return bytes(data) if data is not None else None


def has_blob(conn: Connection, digest: str) -> bool:
    return conn.execute(select(blobs.c.digest).where(blobs.c.digest == digest)).first() is not None
