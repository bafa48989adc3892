"""What the fence reports: one `Finding` per rule hit, classifier hit or sensitive word, and
one `Verdict` per scanned text."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Action = Literal["pass", "flag", "block"]


@dataclass(frozen=True)
class Finding:
    """One reason: an injection rule or the classifier (`kind="injection"`), or a sensitive
    word (`kind="sensitive"`). `span` is [start, end) in the text as given; `score` in 0..1."""

    kind: Literal["injection", "sensitive"]
    rule: str
    category: str
    span: tuple[int, int]
    score: float
    matched: str = ""  # the matched text (sensitive words: the lexicon entry)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span)
        return data


@dataclass(frozen=True)
class Verdict:
    """The fence's decision on one text. `score` is the injection score (max of the rules and
    the classifier), `probability` the classifier's alone; messages are for the end user."""

    action: Action
    reasons: list[Finding]
    score: float
    message_zh: str
    message_en: str
    probability: float = 0.0
    scenario: str = ""
    source: str = "user"
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def sensitive_words(self) -> list[str]:
        return [f.matched for f in self.reasons if f.kind == "sensitive"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "score": round(self.score, 4),
            "probability": round(self.probability, 4),
            "scenario": self.scenario,
            "source": self.source,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "reasons": [f.to_dict() for f in self.reasons],
            "sensitive_words": self.sensitive_words,
        }
