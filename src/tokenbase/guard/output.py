"""The output filter: every sentence a model writes is checked before anyone sees it.

Checks, in order (each returns findings with an action, "block" drops the sentence):

- sensitive words: the same lexicons as the input fence, with the scenario's policy;
- system-prompt leakage: any 16 consecutive characters of one of our system prompts;
- PII that appears in neither the sources nor the question (a masked value from another
  conversation, or an invented phone number) — an answer may only repeat what it was given;
- placeholders left unrestored (`〔手机号3〕` the model made up) are removed from the text.

Citation presence for knowledge-base answers is checked where citations are validated
(kb/citations.py); a generative answer without a single valid citation is marked not found.
Text above the caller's clearance cannot reach the model (retrieval is filtered by clearance
and the red line keeps classified text in-house), so the filter does not re-check it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

LEAK_WINDOW = 16
_PLACEHOLDER = re.compile(r"〔[^〔〕]{1,12}\d+〕")
_SPACE = re.compile(r"\s+")

Action = Literal["flag", "block"]


@dataclass(frozen=True)
class OutputFinding:
    rule: str  # sensitive_word | system_prompt_leak | pii_not_in_sources | stray_placeholder
    action: Action
    detail: str  # what matched (a word, a PII type) — never a PII value

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "action": self.action, "detail": self.detail}


class OutputFilter:
    def __init__(
        self,
        *,
        sensitive: Callable[[str], list[tuple[str, str, Action | str]]] | None = None,
        detect_pii: Callable[[str], list[tuple[str, str]]] | None = None,
        system_prompts: Sequence[str] = (),
    ) -> None:
        """`sensitive(text)` -> [(word, category, action)]; `detect_pii(text)` -> [(type,
        value)]; `system_prompts`: texts that must never be echoed."""
        self._sensitive = sensitive
        self._detect_pii = detect_pii
        self._windows = _windows(system_prompts)

    def check(
        self,
        sentence: str,
        *,
        sources: Sequence[str],
        question: str,
        secrets: Sequence[str] = (),
    ) -> tuple[str, list[OutputFinding]]:
        """The sentence as it may be shown (stray placeholders removed) and the findings.
        A "block" finding means the sentence must not be shown at all. `secrets`: texts of
        this call (its system prompt as sent) that must not be echoed either."""
        windows = self._windows | _windows(secrets) if secrets else self._windows
        findings: list[OutputFinding] = []
        if self._sensitive is not None:
            for word, category, action in self._sensitive(sentence):
                if action in ("flag", "block"):
                    findings.append(OutputFinding("sensitive_word", action, f"{category}:{word}"))
        compact = _SPACE.sub("", sentence)
        if any(
            compact[i : i + LEAK_WINDOW] in windows for i in range(len(compact) - LEAK_WINDOW + 1)
        ):
            findings.append(OutputFinding("system_prompt_leak", "block", "system prompt"))
        if self._detect_pii is not None:
            given = question + "\n" + "\n".join(sources)
            for kind, value in self._detect_pii(sentence):
                if value not in given:
                    findings.append(OutputFinding("pii_not_in_sources", "block", kind))
        cleaned = _PLACEHOLDER.sub("", sentence)
        if cleaned != sentence:
            findings.append(OutputFinding("stray_placeholder", "flag", "placeholder"))
        return cleaned, findings


def _windows(texts: Sequence[str]) -> set[str]:
    return {
        compact[i : i + LEAK_WINDOW]
        for text in texts
        if len(compact := _SPACE.sub("", text)) >= LEAK_WINDOW
        for i in range(len(compact) - LEAK_WINDOW + 1)
    }


def blocked(findings: list[OutputFinding]) -> bool:
    return any(f.action == "block" for f in findings)
