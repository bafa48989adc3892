"""Chinese/English tokenisation for the lexical index and queries (jieba, search mode).

Both the indexed text and the query go through the same `tokenize`, so they agree. jieba's
search mode also emits the sub-words of long words ('费用报销制度' -> '费用', '报销', '制度',
'费用报销制度'), which is what lets a short query find a long compound. Glossary terms are added
to a private jieba dictionary, never to jieba's global one.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

from .glossary import Glossary

jieba.setLogLevel(logging.WARNING)

# Function words that carry no topic. Kept short on purpose: BM25's idf handles the rest.
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 把 被 对 于 之 其 这 那 有 个 吗 呢 吧 啊 么 什么 怎么 "
    "如何 哪些 哪个 多少 几 请问 一下 我 你 他 她 它 我们 你们 他们 a an the of to in on for "
    "is are was were be and or what how which who does do can i you".split()
)
_WORD_RE = re.compile(r"\w", re.UNICODE)


class Tokenizer:
    """jieba in search mode with a glossary; thread-safe after construction."""

    def __init__(self, glossary: Glossary | None = None) -> None:
        self.glossary = glossary or Glossary()
        self._jieba = jieba.Tokenizer()
        self._lock = threading.Lock()
        for term in self.glossary.terms:
            self._jieba.add_word(term, freq=None)

    def tokenize(self, text: str) -> list[str]:
        """Lower-cased tokens without punctuation, whitespace or stopwords."""
        with self._lock:  # jieba initialises lazily and is not re-entrant during init
            pieces = self._jieba.cut_for_search(text, HMM=True)
            tokens = [p.strip().lower() for p in pieces]
        return [t for t in tokens if t and _WORD_RE.search(t) and t not in STOPWORDS]

    def index_text(self, text: str) -> str:
        """Space-joined tokens, the form stored in the FTS table."""
        return " ".join(self.tokenize(text))

    def query_terms(self, query: str) -> list[list[str]]:
        """Query tokens, each with its glossary synonyms: [[token, synonym...], ...]."""
        seen: set[str] = set()
        groups: list[list[str]] = []
        for token in self.tokenize(query):
            if token in seen:
                continue
            seen.add(token)
            group = [token]
            for synonym in self.glossary.synonyms(token):
                group.extend(t for t in self.tokenize(synonym) if t not in group)
            groups.append(group)
        return groups
