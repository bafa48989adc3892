"""Sensitive-word lexicons with categories, matched with Aho-Corasick (pyahocorasick).

The bundled list (`data/lexicon_default.tsv`: 违法违规, 涉密词 placeholders, 辱骂) is a
starting point. Admins add words, or hide bundled ones, with `tokenbase guard lexicon add/rm`;
those edits are rows of `guard_lexicon`, so every replica on the same database shares them.
Each `Lexicon` caches its automaton and re-reads the table at most every `refresh_s` seconds
(or at once after an edit through it, or on `refresh()`).

Matching runs on the normalised text (case, fullwidth and zero-width folded), so "ＳＢ玩意"
and "傻\u200b逼" match; spans point into the original text. Overlapping entries all report.

Errors::

    LexiconError        bad word or category (empty, too long), or pyahocorasick is missing
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import Engine, delete, insert, select, update

from ...db.schema import guard_lexicon
from .findings import Finding
from .normalize import Normalised, normalise

DEFAULT_FILE = "lexicon_default.tsv"
MAX_WORD = 200
MAX_CATEGORY = 60


class LexiconError(Exception):
    """A lexicon edit or load failed; the message says why."""


@dataclass(frozen=True)
class LexiconEntry:
    word: str
    category: str
    source: str  # "bundled" | "database"
    enabled: bool = True


def load_bundled() -> list[LexiconEntry]:
    """The entries of the bundled default lexicon file."""
    ref = resources.files("tokenbase.guard.input") / "data" / DEFAULT_FILE
    entries = []
    for line in ref.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, category = line.partition("\t")
        if word.strip() and category.strip():
            entries.append(LexiconEntry(word.strip(), category.strip(), "bundled"))
    return entries


def _automaton(entries: list[LexiconEntry]):  # type: ignore[no-untyped-def]
    try:
        import ahocorasick
    except ImportError as exc:  # a runtime dependency; a broken install lacks it
        raise LexiconError(
            "sensitive-word matching needs pyahocorasick: pip install pyahocorasick"
        ) from exc
    automaton = ahocorasick.Automaton()
    by_key: dict[str, list[tuple[str, str]]] = {}
    for entry in entries:
        key = normalise(entry.word).text
        if key:
            by_key.setdefault(key, []).append((entry.word, entry.category))
    for key, values in by_key.items():
        automaton.add_word(key, (len(key), values))
    if len(automaton):
        automaton.make_automaton()
    return automaton


class Lexicon:
    """Bundled entries plus the database's edits, compiled into one automaton."""

    def __init__(
        self, engine: Engine | None, *, bundled: bool = True, refresh_s: float = 5.0
    ) -> None:
        self.engine = engine
        self.refresh_s = refresh_s
        self._bundled = load_bundled() if bundled else []
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._entries: list[LexiconEntry] = []
        self._automaton = None

    # -- reading ---------------------------------------------------------------------------
    def _db_rows(self) -> list[LexiconEntry]:
        if self.engine is None:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(guard_lexicon.c.word, guard_lexicon.c.category, guard_lexicon.c.enabled)
            ).all()
        return [LexiconEntry(r.word, r.category, "database", bool(r.enabled)) for r in rows]

    def refresh(self) -> None:
        """Re-read the database edits and rebuild the automaton now."""
        db_rows = self._db_rows()
        hidden = {(e.word, e.category) for e in db_rows if not e.enabled}
        added = [e for e in db_rows if e.enabled]
        bundled = [e for e in self._bundled if (e.word, e.category) not in hidden]
        seen = {(e.word, e.category) for e in bundled}
        entries = bundled + [e for e in added if (e.word, e.category) not in seen]
        automaton = _automaton(entries)
        with self._lock:
            self._entries, self._automaton = entries, automaton
            self._loaded_at = time.monotonic()

    def _current(self):  # type: ignore[no-untyped-def]
        if time.monotonic() - self._loaded_at >= self.refresh_s or self._automaton is None:
            self.refresh()
        return self._automaton

    def entries(self) -> list[LexiconEntry]:
        """Active entries (bundled minus hidden, plus added), refreshed from the database."""
        self.refresh()
        return list(self._entries)

    def match(self, text: str, norm: Normalised | None = None) -> list[Finding]:
        """Every lexicon entry found in `text`, as `Finding(kind="sensitive")`."""
        automaton = self._current()
        if automaton is None or not len(automaton):
            return []
        norm = norm or normalise(text)
        findings = []
        for end, (length, values) in automaton.iter(norm.text):
            span = norm.span(end - length + 1, end + 1)
            for word, category in values:
                findings.append(Finding("sensitive", "lexicon", category, span, 1.0, word))
        return findings

    # -- editing (admins) ------------------------------------------------------------------
    def _check(self, word: str, category: str) -> tuple[str, str]:
        word, category = word.strip(), category.strip()
        if not word or len(word) > MAX_WORD:
            raise LexiconError(f"a lexicon word must be 1-{MAX_WORD} characters, got {word!r}")
        if not category or len(category) > MAX_CATEGORY:
            raise LexiconError(f"a category must be 1-{MAX_CATEGORY} characters")
        if self.engine is None:
            raise LexiconError("this lexicon has no database: edits need one")
        return word, category

    def add(self, word: str, category: str, *, by: str = "") -> bool:
        """Add a word (or un-hide a bundled one). False if it was already active."""
        word, category = self._check(word, category)
        assert self.engine is not None
        with self.engine.begin() as conn:
            row = conn.execute(
                select(guard_lexicon.c.id, guard_lexicon.c.enabled).where(
                    guard_lexicon.c.word == word, guard_lexicon.c.category == category
                )
            ).first()
            bundled = any(e.word == word and e.category == category for e in self._bundled)
            if row is None:
                if bundled:
                    return False
                conn.execute(
                    insert(guard_lexicon).values(
                        word=word,
                        category=category,
                        enabled=True,
                        created_by=by,
                        created_at=datetime.now(UTC),
                    )
                )
            elif row.enabled:
                return False
            elif bundled:  # un-hide: the bundled entry is active again
                conn.execute(delete(guard_lexicon).where(guard_lexicon.c.id == row.id))
            else:
                conn.execute(
                    update(guard_lexicon).where(guard_lexicon.c.id == row.id).values(enabled=True)
                )
        self.refresh()
        return True

    def remove(self, word: str, category: str | None = None, *, by: str = "") -> int:
        """Remove a word (every category unless one is given): added words are deleted,
        bundled ones hidden. Returns how many entries stopped being active."""
        word = word.strip()
        if self.engine is None:
            raise LexiconError("this lexicon has no database: edits need one")
        self.refresh()
        targets = [e for e in self._entries if e.word == word and category in (None, e.category)]
        with self.engine.begin() as conn:
            for entry in targets:
                if entry.source == "database":
                    conn.execute(
                        delete(guard_lexicon).where(
                            guard_lexicon.c.word == entry.word,
                            guard_lexicon.c.category == entry.category,
                        )
                    )
                else:
                    conn.execute(
                        insert(guard_lexicon).values(
                            word=entry.word,
                            category=entry.category,
                            enabled=False,
                            created_by=by,
                            created_at=datetime.now(UTC),
                        )
                    )
        self.refresh()
        return len(targets)
