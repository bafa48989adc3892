"""PII detection and reversible masking for Chinese text.

    masker = PiiMasker(engine, settings.guard.pii, settings.data_dir)
    masked = masker.mask("请联系张伟先生，手机13812345678", scope=trace_id)
    masked.text                     # "请联系〔姓名1〕先生，手机〔手机号1〕"
    masker.restore(model_answer, scope=trace_id)

The gateway masks with `mask_messages` before a call to a `public` provider and restores the
answer with `restore`. Mappings live in the database (`pii_mappings`), encrypted, so another
replica can restore what this one masked.

Errors::

    UnknownPiiType   (ValueError) a type name no detector provides
    PiiStoreError    the mapping store cannot be used
      PiiKeyError    the encryption key is malformed or does not match stored values
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from ...config import ConfigError, PiiSettings
from .detectors import (
    DETECTORS,
    Detector,
    PiiSpan,
    UnknownPiiType,
    detect,
    detector_types,
    register_detector,
)
from .masking import MaskedSpan, MaskResult, mask_text, placeholder, restore_text
from .store import (
    DbMappingStore,
    MappingStore,
    MemoryMappingStore,
    PiiKeyError,
    PiiStoreError,
    load_or_create_key,
)

__all__ = [
    "DETECTORS",
    "Detector",
    "MaskResult",
    "MaskedSpan",
    "PiiKeyError",
    "PiiMasker",
    "PiiSpan",
    "PiiStoreError",
    "UnknownPiiType",
    "detect",
    "detector_types",
    "placeholder",
    "register_detector",
]


class PiiMasker:
    """Detects PII and masks it with placeholders that are consistent within a scope.

    `engine=None` keeps mappings in process memory (the CLI, one-off tools). Raises
    ConfigError when `settings.types` names an unknown type.
    """

    def __init__(self, engine: Engine | None, settings: PiiSettings, data_dir: Path) -> None:
        self.settings = settings
        unknown = sorted(set(settings.types) - set(detector_types()))
        if unknown:
            raise ConfigError(
                f"guard.pii.types: unknown PII type(s) {', '.join(unknown)}; "
                f"known: {', '.join(detector_types())}"
            )
        self.store: MappingStore
        if engine is None:
            self.store = MemoryMappingStore(settings.mapping_ttl_hours)
        else:
            key_file = Path(settings.key_file) if settings.key_file else data_dir / "pii.key"
            key = load_or_create_key(settings.key_env, key_file)
            self.store = DbMappingStore(engine, key, settings.mapping_ttl_hours)

    def detect(self, text: str, types: set[str] | None = None) -> list[PiiSpan]:
        """PII spans of `types` (default: guard.pii.types) at or above guard.pii.min_confidence,
        non-overlapping, sorted by start. Raises UnknownPiiType."""
        return detect(text, self._types(types), self.settings.min_confidence)

    def mask(self, text: str, scope: str, types: set[str] | None = None) -> MaskResult:
        """Replace PII with placeholders numbered per type within `scope` (a conversation or
        trace id): the same value always gets the same placeholder there."""
        scope = _check_scope(scope)
        spans = self.detect(text, types)
        return mask_text(
            text,
            spans,
            lambda items: self.store.assign(scope, items),
            self.settings.placeholder_language,
        )

    def mask_messages(
        self, messages: list[dict[str, Any]], scope: str, types: set[str] | None = None
    ) -> tuple[list[dict[str, Any]], MaskResult]:
        """Mask the `content` of each OpenAI-style message: a string, or the `text` of each
        `{"type": "text"}` part of a list, and the `arguments` of an assistant's `tool_calls`
        (other parts and fields are copied unchanged).
        Returns new messages and one MaskResult whose `spans`/`mapping` cover all of them (its
        `text` is the last masked text). Raises TypeError for a message that is not a dict."""
        out: list[dict[str, Any]] = []
        combined = MaskResult("")

        def masked(text: str) -> str:
            result = self.mask(text, scope, types)
            combined.text = result.text
            combined.spans.extend(result.spans)
            combined.mapping.update(result.mapping)
            return result.text

        for message in messages:
            if not isinstance(message, dict):
                raise TypeError(f"messages must be dicts, got {type(message).__name__}")
            content = message.get("content")
            if isinstance(content, str) and content:
                out.append({**message, "content": masked(content)})
            elif isinstance(content, list):
                parts = [
                    {**part, "text": masked(part["text"])}
                    if isinstance(part, dict) and isinstance(part.get("text"), str)
                    else part
                    for part in content
                ]
                out.append({**message, "content": parts})
            else:
                out.append(dict(message))
            if message.get("tool_calls"):  # arguments the model wrote earlier go back to it
                out[-1]["tool_calls"] = [_mask_arguments(c, masked) for c in message["tool_calls"]]
        return out, combined

    def restore(self, text: str, scope: str) -> str:
        """Put the original values back for every placeholder of `scope` found in `text`
        (spacing, other brackets and repeats tolerated; unknown placeholders are left)."""
        scope = _check_scope(scope)
        if "〔" not in text and not any(c in text for c in "【[［(（"):
            return text
        values = {(e.type, e.ordinal): e.value for e in self.store.entries(scope)}
        return restore_text(text, values) if values else text

    def purge_expired(self) -> int:
        """Delete expired mappings now (each process also sweeps every 10 minutes)."""
        return self.store.purge_expired()

    def _types(self, types: Iterable[str] | None) -> list[str]:
        chosen = list(self.settings.types if types is None else types)
        for t in chosen:
            if t not in detector_types():
                raise UnknownPiiType(
                    f"unknown PII type {t!r}; known: {', '.join(detector_types())}"
                )
        return chosen


def _check_scope(scope: str) -> str:
    if not isinstance(scope, str) or not scope.strip() or len(scope) > 200:
        raise ValueError("scope must be a non-empty string of at most 200 characters")
    return scope


def _mask_arguments(call: Any, masked: Any) -> Any:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("arguments"), str):
        return call
    return {**call, "function": {**function, "arguments": masked(function["arguments"])}}
