"""Replay an evaluation set (JSONL from `badcases.export_jsonl`, or written by hand) against
the current configuration and report the pass rate, so a policy or prompt change can be
checked before it ships.

    cases = load_cases(Path("badcases.jsonl"))
    report = run_eval(cases, lambda q: ask(platform, q))   # kb.ask.ask, current settings
    report.pass_rate

A case passes when:

- `expected` is `guard:block`: the guard still blocks it — `ask` raises an exception the
  guard registered with `register_block_exception` (RedLineBlocked is registered), or the
  answer's `kind` is "blocked"/"refused";
- `expected` is `guard:flag`: blocked as above, or the answer carries the fence's verdict
  with action "flag" (`Answer.guard`), or another non-empty `guard_flags` / `flags`;
- `expected` is text: the answer holds its key facts — the whole text after normalising
  (case, spaces, punctuation, full-width forms, citation markers), or else every number in
  it *and* at least `min_coverage` of its words (Latin words, CJK character bigrams);
- `expected` is empty and `avoid` is set (a thumbs-down without a correction): the answer is
  found and differs from the bad one.

Errors::

    EvalError   the set cannot be read; the message names the line
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .redline import RedLineBlocked

_BLOCK_EXCEPTIONS: list[type[BaseException]] = [RedLineBlocked]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CITATION = re.compile(r"\[\d+\]")
_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
MIN_COVERAGE = 0.6


class EvalError(Exception):
    """The evaluation set is unreadable; the message names the file and line."""


def register_block_exception(exc_type: type[BaseException]) -> None:
    """Count `exc_type` raised by ask as "the guard blocked this question"."""
    if exc_type not in _BLOCK_EXCEPTIONS:
        _BLOCK_EXCEPTIONS.append(exc_type)


@dataclass
class EvalCase:
    question: str
    expected: str = ""
    kind: str = ""
    trace_id: str = ""
    created_at: str = ""
    avoid: str = ""
    line: int = 0


@dataclass
class CaseResult:
    case: EvalCase
    passed: bool
    reason: str
    answer: str = ""
    blocked: str = ""  # the guard's message when the question was blocked

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.case.line,
            "question": self.case.question,
            "expected": self.case.expected,
            "kind": self.case.kind,
            "trace_id": self.case.trace_id,
            "passed": self.passed,
            "reason": self.reason,
            "answer": self.answer,
            "blocked": self.blocked,
        }


@dataclass
class EvalReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def by_kind(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.results:
            slot = out.setdefault(r.case.kind or "-", {"total": 0, "passed": 0})
            slot["total"] += 1
            slot["passed"] += int(r.passed)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "passed": self.passed,
            "pass_rate": round(self.pass_rate, 4),
            "by_kind": self.by_kind(),
            "results": [r.to_dict() for r in self.results],
        }


def load_cases(path: Path) -> list[EvalCase]:
    """Read a JSONL evaluation set. Blank lines are skipped. Raises EvalError."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise EvalError(f"cannot read {path}: {exc.strerror or exc}") from exc
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(data, dict) or not str(data.get("question", "")).strip():
            raise EvalError(f'{path}:{number}: each line needs a "question"')
        cases.append(
            EvalCase(
                question=str(data["question"]),
                expected=str(data.get("expected") or ""),
                kind=str(data.get("kind") or ""),
                trace_id=str(data.get("trace_id") or ""),
                created_at=str(data.get("created_at") or ""),
                avoid=str(data.get("avoid") or ""),
                line=number,
            )
        )
    return cases


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", _CITATION.sub("", text)).lower()
    return _DROP.sub("", text)


def _units(text: str) -> set[str]:
    text = unicodedata.normalize("NFKC", _CITATION.sub("", text)).lower()
    units = set(_LATIN.findall(text))
    for run in _CJK_RUN.findall(text):
        units.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return units


def contains_key_facts(answer: str, expected: str, min_coverage: float = MIN_COVERAGE) -> bool:
    """True when `answer` states `expected`, or all of its numbers and most of its words."""
    if not expected.strip():
        return True
    if _normal(expected) in _normal(answer):
        return True
    plain = unicodedata.normalize("NFKC", answer)
    numbers = _NUMBER.findall(unicodedata.normalize("NFKC", expected))
    if any(n not in plain for n in numbers):
        return False
    wanted = _units(expected)
    if not wanted:
        return bool(numbers)
    return len(wanted & _units(answer)) / len(wanted) >= min_coverage


def _flags(answer: Any) -> Any:
    verdict = getattr(answer, "guard", None)  # kb.ask.Answer.guard: the fence's verdict
    if isinstance(verdict, dict) and verdict.get("action") in ("flag", "block"):
        return verdict
    return getattr(answer, "guard_flags", None) or getattr(answer, "flags", None)


def judge(case: EvalCase, answer: Any, blocked: str = "") -> tuple[bool, str]:
    """Whether `answer` (a kb.ask.Answer, or None when ask was blocked) passes `case`."""
    kind = getattr(answer, "kind", "")
    is_blocked = bool(blocked) or kind in ("blocked", "refused")
    text = getattr(answer, "text", "") or ""
    if case.expected == "guard:block":
        return (True, "still blocked") if is_blocked else (False, "no longer blocked")
    if case.expected == "guard:flag":
        if is_blocked or _flags(answer):
            return True, "still flagged"
        return False, "no longer flagged"
    if is_blocked:
        return False, f"blocked: {blocked or kind}"
    if not getattr(answer, "found", bool(text)):
        return False, "nothing found"
    if case.expected:
        if contains_key_facts(text, case.expected):
            return True, "answer holds the expected facts"
        return False, "expected facts missing"
    if case.avoid and _normal(case.avoid) == _normal(text):
        return False, "same answer as the one marked wrong"
    return True, "answer found" + (" and changed" if case.avoid else "")


AskFn = Callable[[str], Any]


def run_eval(
    cases: list[EvalCase],
    ask_fn: AskFn,
    *,
    on_result: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Ask every case's question with `ask_fn(question)` — normally `kb.ask.ask` on the
    current platform, so the current configuration answers — and judge each answer.
    `on_result` is called after each case (for a progress bar). An error other than a guard
    block fails that case with its message, not the run."""
    report = EvalReport()
    block_types = tuple(_BLOCK_EXCEPTIONS)
    for case in cases:
        try:
            answer = ask_fn(case.question)
            passed, reason = judge(case, answer)
            result = CaseResult(case, passed, reason, getattr(answer, "text", "") or "")
        except block_types as exc:
            passed, reason = judge(case, None, blocked=str(exc) or type(exc).__name__)
            result = CaseResult(case, passed, reason, blocked=str(exc))
        except Exception as exc:  # noqa: BLE001 - one failing case must not end the run
            result = CaseResult(case, False, f"error: {type(exc).__name__}: {exc}")
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    return report
