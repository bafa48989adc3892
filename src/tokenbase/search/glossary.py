"""The company glossary: terms, synonyms and abbreviations, one group per line.

    # comments start with '#'
    报销 = 报账, 费用报销
    KB = 知识库, knowledge base
    云帆知库

Every term and synonym goes into the tokenizer's dictionary, so '费用报销' is never split; a
query containing any member of a group is expanded with the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class GlossaryError(ValueError):
    """A glossary line could not be read; the message names the file and line."""


@dataclass
class Glossary:
    groups: list[list[str]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None) -> Glossary:
        if path is None:
            return cls()
        return cls.parse(path.read_text(encoding="utf-8"), str(path))

    @classmethod
    def parse(cls, text: str, source: str = "glossary") -> Glossary:
        groups: list[list[str]] = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            head, _, rest = line.partition("=")
            terms = [head.strip()] + [t.strip() for t in rest.replace("，", ",").split(",")]
            terms = [t for t in terms if t]
            if not terms or not head.strip():
                raise GlossaryError(
                    f"{source}:{number}: expected 'term = synonym, synonym', got {raw!r}"
                )
            groups.append(terms)
        return cls(groups)

    @property
    def terms(self) -> list[str]:
        return [t for group in self.groups for t in group]

    def synonyms(self, term: str) -> list[str]:
        """Other members of every group containing `term` (case-insensitive)."""
        key = term.lower()
        out: list[str] = []
        for group in self.groups:
            if any(t.lower() == key for t in group):
                out.extend(t for t in group if t.lower() != key and t not in out)
        return out
