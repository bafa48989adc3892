"""Reversible masking: replace PII spans with numbered placeholders, and put the values back.

Placeholders are `〔<label><n>〕` (`〔手机号1〕`, or `〔PHONE_1〕` with English labels): the
lenticular brackets are rare in real text, and a label in the text's own language keeps the
sentence readable for the model ("请拨打〔手机号1〕" still reads as a phone number). The number
is per type and per scope, so the same value keeps its placeholder through a conversation.

`restore_text` accepts what models do to placeholders: spaces inside, other brackets
(【】 [] （） ()), either label language, and the same placeholder repeated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .detectors import DETECTORS, PiiSpan, canonical


@dataclass(frozen=True)
class MaskedSpan:
    """A span of the original text and the placeholder that replaced it."""

    span: PiiSpan
    placeholder: str

    def to_dict(self, with_value: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start": self.span.start,
            "end": self.span.end,
            "type": self.span.type,
            "placeholder": self.placeholder,
            "confidence": self.span.confidence,
        }
        if with_value:
            out["value"] = self.span.value
        return out


@dataclass
class MaskResult:
    """Masked text, the spans replaced (offsets in the original text), and placeholder →
    original value for the placeholders used."""

    text: str
    spans: list[MaskedSpan] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict, repr=False)  # values: never logged

    def to_dict(self, with_values: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "spans": [s.to_dict(with_values) for s in self.spans],
        }
        if with_values:
            out["mapping"] = dict(self.mapping)
        return out


def label(pii_type: str, language: str = "zh") -> str:
    for d in DETECTORS:
        if d.type == pii_type:
            return d.label_zh if language == "zh" else d.label_en
    return pii_type.upper()


def placeholder(pii_type: str, ordinal: int, language: str = "zh") -> str:
    sep = "_" if language == "en" else ""
    return f"〔{label(pii_type, language)}{sep}{ordinal}〕"


def mask_text(
    text: str,
    spans: list[PiiSpan],
    assign: Callable[[list[tuple[str, str, str]]], list[int]],
    language: str = "zh",
) -> MaskResult:
    """Replace non-overlapping `spans` (sorted by start) with placeholders numbered by
    `assign([(type, canonical value, value), ...]) -> [ordinal, ...]`."""
    if not spans:
        return MaskResult(text)
    ordinals = assign([(s.type, canonical(s.type, s.value), s.value) for s in spans])
    parts: list[str] = []
    masked: list[MaskedSpan] = []
    mapping: dict[str, str] = {}
    last = 0
    for span, ordinal in zip(spans, ordinals, strict=True):
        ph = placeholder(span.type, ordinal, language)
        parts += [text[last : span.start], ph]
        last = span.end
        masked.append(MaskedSpan(span, ph))
        mapping[ph] = span.value
    parts.append(text[last:])
    return MaskResult("".join(parts), masked, mapping)


_OPEN = "〔【[［(（"
_CLOSE = "〕】]］)）"


def _label_pattern() -> re.Pattern[str]:
    labels = {d.label_zh for d in DETECTORS} | {d.label_en for d in DETECTORS}
    alternation = "|".join(re.escape(x) for x in sorted(labels, key=len, reverse=True))
    return re.compile(
        rf"[{re.escape(_OPEN)}]\s*({alternation})\s*[_\-\s]?\s*(\d{{1,6}})\s*[{re.escape(_CLOSE)}]",
        re.IGNORECASE,
    )


_label_re: tuple[int, re.Pattern[str]] | None = None


def _placeholder_re() -> re.Pattern[str]:
    global _label_re
    if _label_re is None or _label_re[0] != len(DETECTORS):  # rebuilt if a detector is added
        _label_re = (len(DETECTORS), _label_pattern())
    return _label_re[1]


def restore_text(text: str, values: Mapping[tuple[str, int], str]) -> str:
    """Replace every placeholder whose (type, ordinal) is in `values`; leave others as they
    are (a placeholder the model invented restores to nothing it should not)."""
    by_label = {d.label_zh: d.type for d in DETECTORS}
    by_label |= {d.label_en.lower(): d.type for d in DETECTORS}

    def put_back(m: re.Match[str]) -> str:
        pii_type = by_label.get(m[1]) or by_label.get(m[1].lower())
        return values.get((pii_type or "", int(m[2])), m.group())

    return _placeholder_re().sub(put_back, text)
