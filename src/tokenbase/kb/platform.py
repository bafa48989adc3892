"""One object that opens everything the CLI (and later the API) needs, from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..config import Settings
from ..db import Database, open_database
from ..guard.input import InputFence
from ..guard.output import OutputFilter
from ..guard.pii import PiiMasker
from ..guard.redline import RedLinePolicy
from ..ingest.pipeline import Ingestor
from ..ledger import Ledger
from ..llm.embeddings import Embedder, create_embedder
from ..llm.gateway import Gateway
from ..llm.metering import meter_embedder, meter_reranker
from ..llm.rerank import Reranker, create_reranker
from ..prompts.builtin import ANSWER_SYSTEM
from ..prompts.library import PromptLibrary
from ..search.glossary import Glossary
from ..search.hybrid import Searcher
from ..search.tokenizer import Tokenizer


@dataclass
class Platform:
    settings: Settings
    debug: bool = False
    _db: Database | None = field(default=None, init=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
            self._db = open_database(self.settings.db_url)
        return self._db

    @cached_property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(Glossary.load(self.settings.glossary_path))

    @cached_property
    def embedder(self) -> Embedder:  # metered and red-lined: every call passes the same gate
        s = self.settings
        embedder = meter_embedder(create_embedder(s.embedder), s.embedder, s.llm, self.ledger)
        embedder.redline_min_level = s.guard.redline.min_level
        return embedder

    @cached_property
    def reranker(self) -> Reranker | None:
        s = self.settings
        reranker = meter_reranker(create_reranker(s.reranker), s.reranker, s.llm, self.ledger)
        if reranker is not None:
            reranker.redline_min_level = s.guard.redline.min_level
        return reranker

    @cached_property
    def gateway(self) -> Gateway:
        red = self.settings.guard.redline
        policy = RedLinePolicy(red.min_level, red.action, red.private_tier)
        return Gateway(self.settings.llm, meter=self.ledger, redline=policy, masker=self.masker)

    @cached_property
    def fence(self) -> InputFence:
        """The input fence: prompt injection and sensitive words (guard/input)."""
        return InputFence(self.db.engine, self.settings.guard.input)

    @cached_property
    def output_filter(self) -> OutputFilter:
        """Checks every sentence a model writes before it is shown (guard/output.py)."""
        fence, masker = self.fence, self.masker

        def sensitive(text: str) -> list[tuple[str, str, str]]:
            policy = fence.policy()
            return [
                (f.matched, f.category, policy.sensitive(f.category))
                for f in fence.lexicon.match(text)
            ]

        def detect_pii(text: str) -> list[tuple[str, str]]:
            return [(span.type, span.value) for span in masker.detect(text)] if masker else []

        return OutputFilter(
            sensitive=sensitive, detect_pii=detect_pii, system_prompts=ANSWER_SYSTEM.values()
        )

    @cached_property
    def prompts(self) -> PromptLibrary:
        """The prompt library (built-in prompts are seeded on first use)."""
        return PromptLibrary(self.db.engine, self.settings)

    @cached_property
    def masker(self) -> PiiMasker | None:
        """PII masking for prompts bound for public models (None: guard.pii.enabled = false)."""
        pii = self.settings.guard.pii
        return PiiMasker(self.db.engine, pii, self.settings.data_dir) if pii.enabled else None

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.db.engine, self.settings.ledger)

    @cached_property
    def searcher(self) -> Searcher:
        return Searcher(self.db.engine, self.settings, self.tokenizer, self.embedder, self.reranker)

    def ingestor(self, *, embed: bool = True) -> Ingestor:
        return Ingestor(
            self.db.engine,
            self.settings,
            self.tokenizer,
            self.embedder if embed else None,
            debug=self.debug,
        )

    def close(self) -> None:
        if "searcher" in self.__dict__ and self.searcher.vectors is not None:
            self.searcher.vectors.save()
        if self._db is not None:
            self._db.engine.dispose()
