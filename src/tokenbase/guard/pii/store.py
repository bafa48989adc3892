"""Scoped placeholder mappings: which value 〔手机号1〕 stands for in one conversation or trace.

`DbMappingStore` keeps them in the `pii_mappings` table so every API replica sharing the
database can restore what another one masked. Values are encrypted with Fernet (AES-128-CBC +
HMAC-SHA256); the lookup "has this value a placeholder in this scope already?" uses an HMAC of
(type, value) under a key derived from the same secret, so the table never holds a value in
plain text and cannot be searched by guessing values without the key. A scope's mappings
expire `mapping_ttl_hours` after its last use and are purged.

`MemoryMappingStore` does the same in process memory (the CLI and tests).

Errors::

    PiiStoreError      base class
      PiiKeyError      the key is malformed, or cannot decrypt a stored value (replicas with
                       different keys)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ...db.schema import pii_mappings

# A process sweeps expired mappings at most this often (and on every `purge_expired` call),
# per database: maskers are cheap and may be built per request, the sweep clock is not theirs.
_SWEEP_EVERY_S = 600.0
_last_sweep: dict[str, float] = {}
_sweep_lock = threading.Lock()
_INSERT_RETRIES = 8


class PiiStoreError(Exception):
    """The mapping store cannot be used."""


class PiiKeyError(PiiStoreError):
    """The encryption key is malformed or does not match the stored values."""


@dataclass(frozen=True)
class Entry:
    """One mapping: the `ordinal`-th value of `type` in a scope."""

    type: str
    ordinal: int
    value: str


class MappingStore(Protocol):
    def assign(self, scope: str, items: list[tuple[str, str, str]]) -> list[int]:
        """The ordinal of each (type, canonical value, value) in `scope`, numbering new
        values per type; values with the same type and canonical form share an ordinal, and
        the first spelling seen is the one restored."""
        ...

    def entries(self, scope: str) -> list[Entry]:
        """Every unexpired mapping of `scope`."""
        ...

    def purge_expired(self) -> int:
        """Delete expired mappings; returns how many."""
        ...


def load_or_create_key(key_env: str, key_file: Path) -> bytes:
    """The Fernet key from env var `key_env`, else from `key_file`, created (mode 0600) if
    missing. Raises PiiKeyError for a malformed key."""
    raw = os.environ.get(key_env, "").strip() if key_env else ""
    source = f"env var {key_env}"
    if not raw:
        source = str(key_file)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        raw = key_file.read_text(encoding="ascii").strip()
    try:
        Fernet(raw)
    except ValueError as exc:
        raise PiiKeyError(
            f"the PII key in {source} is not a Fernet key (32 url-safe base64 bytes); create "
            'one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from exc
    return raw.encode("ascii")


class _Cipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        # A separate key for lookup hashes, so the hash never reveals anything about the
        # encryption key itself.
        self._hash_key = hmac.new(key, b"tokenbase-pii-lookup", hashlib.sha256).digest()

    def lookup_hash(self, pii_type: str, value: str) -> str:
        return hmac.new(self._hash_key, f"{pii_type}\0{value}".encode(), "sha256").hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise PiiKeyError(
                "a stored PII mapping cannot be decrypted with this key: every replica must "
                "use the same key (set the env var named by guard.pii.key_env)"
            ) from exc


class DbMappingStore:
    """Mappings in the `pii_mappings` table, shared by every process on the database."""

    def __init__(self, engine: Engine, key: bytes, ttl_hours: float) -> None:
        self.engine = engine
        self._cipher = _Cipher(key)
        self._ttl = timedelta(hours=ttl_hours)
        self._db_key = engine.url.render_as_string(hide_password=True)

    def assign(self, scope: str, items: list[tuple[str, str, str]]) -> list[int]:
        if not items:
            return []
        self._maybe_sweep()
        hashes = [self._cipher.lookup_hash(t, key) for t, key, _ in items]
        for _ in range(_INSERT_RETRIES):
            try:
                return self._assign_once(scope, items, hashes)
            except IntegrityError:
                continue  # another replica numbered the same value or ordinal first: re-read
        raise PiiStoreError(f"could not number PII values in scope {scope!r}: too much contention")

    def _assign_once(
        self, scope: str, items: list[tuple[str, str, str]], hashes: list[str]
    ) -> list[int]:
        now = datetime.now(UTC)
        t = pii_mappings.c
        with self.engine.begin() as conn:
            known = dict(
                conn.execute(
                    select(t.value_hash, t.ordinal).where(
                        t.scope == scope, t.value_hash.in_(set(hashes)), t.expires_at > now
                    )
                ).all()
            )
            # An expired row still holds its (scope, hash) slot until purged: drop it now.
            if len(known) < len(set(hashes)):
                conn.execute(
                    delete(pii_mappings).where(
                        t.scope == scope, t.value_hash.in_(set(hashes)), t.expires_at <= now
                    )
                )
            next_ordinal: dict[str, int] = {}
            ordinals: list[int] = []
            for (pii_type, _, value), value_hash in zip(items, hashes, strict=True):
                if value_hash not in known:
                    if pii_type not in next_ordinal:
                        top = conn.execute(
                            select(func.max(t.ordinal)).where(t.scope == scope, t.type == pii_type)
                        ).scalar()
                        next_ordinal[pii_type] = (top or 0) + 1
                    known[value_hash] = next_ordinal[pii_type]
                    next_ordinal[pii_type] += 1
                    conn.execute(
                        insert(pii_mappings).values(
                            scope=scope,
                            type=pii_type,
                            ordinal=known[value_hash],
                            value_hash=value_hash,
                            value_enc=self._cipher.encrypt(value),
                            created_at=now,
                            expires_at=now + self._ttl,
                        )
                    )
                ordinals.append(known[value_hash])
            # Using a scope keeps all of it alive: a long conversation must restore its start.
            conn.execute(
                update(pii_mappings)
                .where(and_(t.scope == scope, t.expires_at > now))
                .values(expires_at=now + self._ttl)
            )
        return ordinals

    def entries(self, scope: str) -> list[Entry]:
        t = pii_mappings.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.type, t.ordinal, t.value_enc).where(
                    t.scope == scope, t.expires_at > datetime.now(UTC)
                )
            ).all()
        return [Entry(r.type, r.ordinal, self._cipher.decrypt(r.value_enc)) for r in rows]

    def purge_expired(self) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(pii_mappings).where(pii_mappings.c.expires_at <= datetime.now(UTC))
            )
        _last_sweep[self._db_key] = time.monotonic()
        return result.rowcount or 0

    def _maybe_sweep(self) -> None:
        last = _last_sweep.get(self._db_key)
        if last is not None and time.monotonic() - last < _SWEEP_EVERY_S:
            return
        if _sweep_lock.acquire(blocking=False):
            try:
                _last_sweep[self._db_key] = time.monotonic()  # claim it before the DELETE
                self.purge_expired()
            finally:
                _sweep_lock.release()


class MemoryMappingStore:
    """Mappings in process memory, same numbering rules; nothing persists."""

    def __init__(self, ttl_hours: float = 72) -> None:
        self._ttl_s = ttl_hours * 3600
        # scope -> (expiry, {(type, canonical): (ordinal, value)})
        self._scopes: dict[str, tuple[float, dict[tuple[str, str], tuple[int, str]]]] = {}
        self._lock = threading.Lock()

    def assign(self, scope: str, items: list[tuple[str, str, str]]) -> list[int]:
        with self._lock:
            _, mapping = self._live(scope)
            out = []
            for pii_type, key, value in items:
                if (pii_type, key) not in mapping:
                    ordinal = 1 + sum(1 for t, _ in mapping if t == pii_type)
                    mapping[(pii_type, key)] = (ordinal, value)
                out.append(mapping[(pii_type, key)][0])
            self._scopes[scope] = (time.monotonic() + self._ttl_s, mapping)
            return out

    def entries(self, scope: str) -> list[Entry]:
        with self._lock:
            _, mapping = self._live(scope)
            return [Entry(t, n, v) for (t, _), (n, v) in mapping.items()]

    def purge_expired(self) -> int:
        with self._lock:
            now = time.monotonic()
            dead = [s for s, (expires, _) in self._scopes.items() if expires <= now]
            count = sum(len(self._scopes[s][1]) for s in dead)
            for s in dead:
                del self._scopes[s]
            return count

    def _live(self, scope: str) -> tuple[float, dict[tuple[str, str], tuple[int, str]]]:
        expires, mapping = self._scopes.get(scope, (0.0, {}))
        if expires and expires <= time.monotonic():
            return 0.0, {}
        return expires, mapping
