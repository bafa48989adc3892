"""Ask: retrieve, answer, cite. With no chat model configured, the answer is extractive."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select

from ..access import FULL_ACCESS, AccessScope
from ..db.schema import document_flags
from ..guard import audit, badcases
from ..guard.input import flag_document
from ..guard.output import blocked
from ..guard.redline import clean_context, taint
from ..ledger.attribution import attributed, current_attribution
from ..ledger.errors import BudgetExceeded
from ..llm.errors import ModelCallError, ModelError
from ..llm.extractive import ExtractiveAnswerer, Passage
from ..llm.results import Done
from ..prompts.builtin import answer_prompt_name
from ..search.hybrid import SearchHit, SearchResult
from .citations import SupportChecker
from .generate import CheckedSentence, SentenceStream, source_blocks
from .platform import Platform
from .tooluse import ToolBelt

_CJK = re.compile(r"[\u4e00-\u9fff]")
_SENTENCE = re.compile(r".+?\[\d+\]\s*", re.S)
SCENARIO = "kb.ask"
Audience = Literal["internal", "external"]
USAGE_REASONS = {
    "internal": "仅限内部使用 (internal use only)",
    "third_party": "第三方版权资料 (third-party copyrighted)",
}

NOT_FOUND = {
    "zh": "知识库中没有找到与这个问题相关的内容。可以换个说法，或确认相关文档已导入。",
    "en": "Nothing in the knowledge base answers this question. Try rephrasing it, or check "
    "that the relevant documents have been ingested.",
}
EXTRACTIVE_NOTE = {
    "zh": "摘录式回答：以下句子摘自原文，未经大模型改写。",
    "en": "Extractive answer: sentences quoted from the sources, not written by a model.",
}
FALLBACK_NOTE = {
    "zh": "大模型暂不可用，改为摘录式回答（{reason}）。以下句子摘自原文。",
    "en": "The chat model is unavailable ({reason}); extractive answer: sentences quoted from "
    "the sources.",
}
GENERATIVE_NOTE = {
    "zh": "由大模型根据所引资料生成；每处引用已逐句与原文核对。",
    "en": "Written by a chat model from the cited sources; each citation was checked against "
    "its source.",
}
INCOMPLETE_NOTE = {
    "zh": "回答未完成：{reason}",
    "en": "The answer is incomplete: {reason}",
}


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


@dataclass
class Citation:
    n: int
    chunk_id: int
    document_id: int
    title: str
    source: str
    location: str
    locator: dict[str, Any]
    snippet: str  # the cited sentences, verbatim
    highlights: list[tuple[int, int]]  # offsets of the cited sentences in the document text
    chunk_start: int
    chunk_end: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "title": self.title,
            "source": self.source,
            "location": self.location,
            "locator": self.locator,
            "snippet": self.snippet,
            "highlights": [list(h) for h in self.highlights],
            "chunk_start": self.chunk_start,
            "chunk_end": self.chunk_end,
        }


@dataclass
class Answer:
    question: str
    text: str
    kind: str  # "generative" | "extractive" | "not_found" | "blocked" (by the input fence)
    found: bool
    language: str
    relevance: float
    trace_id: str
    citations: list[Citation] = field(default_factory=list)
    hits: list[SearchHit] = field(default_factory=list)
    model: dict[str, str] = field(default_factory=dict)  # provider, model, tier (generative)
    citation_issues: list[dict[str, Any]] = field(default_factory=list)  # dropped citations
    fallback_reason: str = ""  # why a configured chat model was not used
    incomplete: str = ""  # why a generative answer stopped early
    audience: str = "internal"  # "external": only sources cleared for external use
    excluded_sources: list[dict[str, Any]] = field(default_factory=list)  # and which were not
    guard: dict[str, Any] = field(default_factory=dict)  # the input fence's verdict unless pass
    output_issues: list[dict[str, Any]] = field(default_factory=list)  # sentences withheld
    tool_calls: list[dict[str, Any]] = field(default_factory=list)  # what tools were called

    @property
    def note(self) -> str:
        note = self._kind_note()
        if self.excluded_sources:
            n = len(self.excluded_sources)
            note += (
                f"（对外回答：已排除{n}份未获准对外使用的资料）"
                if self.language == "zh"
                else f" (external answer: {n} source(s) not cleared for external use left out)"
            )
        return note

    def _kind_note(self) -> str:
        if self.kind == "extractive":
            if self.fallback_reason:
                return FALLBACK_NOTE[self.language].format(reason=self.fallback_reason)
            return EXTRACTIVE_NOTE[self.language]
        if self.kind == "generative":
            if self.incomplete:
                return INCOMPLETE_NOTE[self.language].format(reason=self.incomplete)
            return GENERATIVE_NOTE[self.language]
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "kind": self.kind,
            "found": self.found,
            "note": self.note,
            "relevance": round(self.relevance, 4),
            "trace_id": self.trace_id,
            "citations": [c.to_dict() for c in self.citations],
            "citation_issues": self.citation_issues,
            "model": self.model,
            "fallback_reason": self.fallback_reason,
            "incomplete": self.incomplete,
            "audience": self.audience,
            "excluded_sources": self.excluded_sources,
            "guard": self.guard,
            "output_issues": self.output_issues,
            "tool_calls": self.tool_calls,
            "results": [h.to_dict() for h in self.hits],
        }


@dataclass
class AskEvent:
    kind: Literal["citations", "delta", "done"]
    data: Any  # list[Citation] | str | Answer


def _cosine(hit: SearchHit) -> float | None:
    dense = hit.channels.get("dense")
    return dense.score if dense is not None else None


def _not_found(question: str, language: str, relevance: float, trace_id: str, hits) -> Answer:
    return Answer(
        question, NOT_FOUND[language], "not_found", False, language, relevance, trace_id, hits=hits
    )


def _extractive(
    platform: Platform,
    question: str,
    language: str,
    trace_id: str,
    found: SearchResult,
) -> Answer:
    """The offline answer: verbatim sentences of the best chunks, each with its [n]."""
    settings = platform.settings.answer
    hits = found.hits
    # The searcher embedded the question; without a working embedder, answer lexically.
    query_vector = found.query_vector
    embedder = None if found.degraded else platform.embedder
    if embedder is not None and query_vector is None:  # no vectors yet: nothing was embedded
        try:
            query_vector = embedder.embed_queries([question])[0]
        except ModelCallError:
            embedder = None
    groups = platform.tokenizer.query_terms(question)
    with platform.db.engine.connect() as conn:
        weights = platform.searcher.lexical.idf(conn, [g[0] for g in groups])
    answerer = ExtractiveAnswerer(
        platform.tokenizer.tokenize, embedder, max_sentences=settings.max_sentences
    )
    result = answerer.answer(
        question,
        groups,
        [Passage(h.text, h.start, _cosine(h)) for h in hits],
        weights,
        query_vector,
    )
    if not hits or not result.sentences or result.relevance < settings.min_relevance:
        return _not_found(question, language, result.relevance, trace_id, hits)
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for sentence in result.sentences:
        hit = hits[sentence.passage]
        if sentence.passage not in numbers:
            numbers[sentence.passage] = len(numbers) + 1
            citations.append(_citation(numbers[sentence.passage], hit, language))
        citation = citations[numbers[sentence.passage] - 1]
        citation.highlights.extend(sentence.spans)
        citation.snippet = (citation.snippet + " " + sentence.text).strip()
        parts.append(f"{sentence.text}[{citation.n}]")
    joiner = "" if language == "zh" else " "
    return Answer(
        question,
        joiner.join(parts),
        "extractive",
        True,
        language,
        result.relevance,
        trace_id,
        citations,
        hits,
    )


def _citation(n: int, hit: SearchHit, language: str) -> Citation:
    return Citation(
        n=n,
        chunk_id=hit.chunk_id,
        document_id=hit.document_id,
        title=hit.title,
        source=hit.source,
        location=hit.locator.label(language, hit.title),
        locator=hit.locator.to_dict(),
        snippet="",
        highlights=[],
        chunk_start=hit.start,
        chunk_end=hit.end,
    )


def ask_events(
    platform: Platform,
    question: str,
    kbs: list[str] | None = None,
    *,
    scope: AccessScope = FULL_ACCESS,
    audience: Audience = "internal",
    prompt_ref: str = "",
    tier: str = "",
    history: list[dict[str, str]] | None = None,
    history_level: int = 0,
    tools: ToolBelt | None = None,
    trace_id: str | None = None,
) -> Iterator[AskEvent]:
    """Answer `question` from what `scope` may read in the named knowledge bases (None = all),
    as events: `citations` (sources newly cited), `delta` (the next sentence), then `done`
    (the whole Answer). Model calls are attributed to scenario "kb.ask" and this trace.

    `audience="external"` (an answer leaving the company) uses only documents cleared for
    external use and lists the relevant ones it left out (red line 3).

    An agent passes its own prompt (`prompt_ref`, "name", "name@3" or "name:label"; it takes
    `sources` and `question`, and `history` if it declares it), its `tier`, and the
    conversation so far as chat messages (`history`, inserted before the question) with
    `history_level`, the highest classification those turns were drawn from. `tools` lets
    the model call tools between rounds (kb/tooluse.py); with tools the model is asked even
    when the search found nothing, since a tool may answer what the sources cannot. An agent
    consulted by another passes the consulting turn's `trace_id`, so one trace shows both."""
    language = language_of(question)
    trace_id = trace_id or uuid.uuid4().hex
    current = current_attribution()
    # A fresh red-line context: this call's prompt is the question and these sources only.
    with clean_context(), attributed(scenario=current.scenario or SCENARIO, trace_id=trace_id):
        settings = platform.settings.answer
        verdict = platform.fence.scan(question, scenario=current.scenario or SCENARIO)
        if verdict.action != "pass":
            _record_guard(platform, trace_id, question, verdict)
        if verdict.action == "block":
            message = verdict.message_zh if language == "zh" else verdict.message_en
            blocked_answer = Answer(
                question,
                message,
                "blocked",
                False,
                language,
                0.0,
                trace_id,
                guard=verdict.to_dict(),
            )
            yield AskEvent("done", blocked_answer)
            return
        external = audience == "external"
        found = platform.searcher.search(
            question, kbs, scope=scope, limit=settings.context_chunks * (3 if external else 1)
        )
        excluded: list[dict[str, Any]] = []
        if external:
            found.hits, excluded = _cleared_for_external(found.hits, settings.context_chunks)
        # The extractive pass is cheap and local: it gates relevance (no model call for a
        # question the sources do not touch) and is the fallback when every model fails.
        extractive = _extractive(platform, question, language, trace_id, found)
        extractive.audience, extractive.excluded_sources = audience, excluded
        extractive.guard = verdict.to_dict() if verdict.action != "pass" else {}
        with_tools = tools is not None and bool(tools.specs())
        if not _use_model(platform) or not (extractive.found or with_tools):
            yield from _replay(extractive)
            return
        # Earlier turns go to the model too: what they were drawn from taints this request.
        taint(history_level)
        agent = _AgentContext(prompt_ref, tier, history or [], tools if with_tools else None)
        yield from _generative(
            platform, question, language, trace_id, found.hits, extractive, agent
        )


@dataclass
class _AgentContext:
    prompt_ref: str = ""
    tier: str = ""
    history: list[dict[str, str]] = field(default_factory=list)
    tools: ToolBelt | None = None


def _record_guard(platform: Platform, trace_id: str, question: str, verdict: Any) -> None:
    """A block or flag by the fence becomes a bad case and an audit entry."""
    detail = {
        "action": verdict.action,
        "score": round(verdict.score, 4),
        "rules": [f.rule for f in verdict.reasons],
        "categories": sorted({f.category for f in verdict.reasons}),
    }
    who = current_attribution()
    with platform.db.engine.begin() as conn:
        badcases.record(
            conn,
            trace_id,
            f"guard_{verdict.action}",
            question=question,
            detail=detail,
            user_id=who.user_id,
        )
        actor = audit.Actor(who.user_id, f"user:{who.user_id}") if who.user_id else None
        audit.append(
            conn,
            actor,
            f"guard.{verdict.action}",
            f"trace:{trace_id}",
            detail,
            settings=platform.settings,
        )


def model_texts(platform: Platform, hits: list[SearchHit]) -> list[str]:
    """Source texts as the model may read them: instructions hidden inside a document are
    quoted and marked as data (indirect injection), and the document is flagged once."""
    texts = []
    for hit in hits:
        text, findings = platform.fence.neutralise(hit.text)
        texts.append(text)
        if findings:
            with platform.db.engine.begin() as conn:
                seen = conn.execute(
                    select(document_flags.c.id).where(document_flags.c.chunk_id == hit.chunk_id)
                ).first()
                if seen is None:
                    flag_document(conn, hit.document_id, hit.chunk_id, findings)
    return texts


def _cleared_for_external(
    hits: list[SearchHit], limit: int
) -> tuple[list[SearchHit], list[dict[str, Any]]]:
    """The hits whose documents are cleared for external use, and the documents left out."""
    kept = [h for h in hits if h.usage == "external"][:limit]
    excluded: dict[int, dict[str, Any]] = {}
    for hit in hits:
        if hit.usage != "external" and hit.document_id not in excluded:
            excluded[hit.document_id] = {
                "document_id": hit.document_id,
                "title": hit.title,
                "usage": hit.usage,
                "reason": USAGE_REASONS.get(hit.usage, hit.usage),
            }
    return kept, list(excluded.values())


def ask(
    platform: Platform,
    question: str,
    kbs: list[str] | None = None,
    *,
    scope: AccessScope = FULL_ACCESS,
    audience: Audience = "internal",
) -> Answer:
    """The whole answer at once (see `ask_events`)."""
    answer = None
    for event in ask_events(platform, question, kbs, scope=scope, audience=audience):
        if event.kind == "done":
            answer = event.data
    assert isinstance(answer, Answer)
    return answer


def _use_model(platform: Platform) -> bool:
    mode = platform.settings.answer.mode
    if mode == "extractive":
        return False
    return platform.gateway.has_chat


def _replay(answer: Answer) -> Iterator[AskEvent]:
    if answer.citations:
        yield AskEvent("citations", list(answer.citations))
    for part in answer_parts(answer):
        yield AskEvent("delta", part)
    yield AskEvent("done", answer)


def answer_parts(answer: Answer) -> list[str]:
    """An extractive answer split into its cited sentences (each ends with its [n])."""
    if not answer.found or answer.kind != "extractive":
        return [answer.text]
    parts = [m.group(0) for m in _SENTENCE.finditer(answer.text)]
    rest = answer.text[sum(len(p) for p in parts) :]
    return parts + ([rest] if rest else [])


def _generative(
    platform: Platform,
    question: str,
    language: str,
    trace_id: str,
    hits: list[SearchHit],
    extractive: Answer,
    agent: _AgentContext | None = None,
) -> Iterator[AskEvent]:
    settings = platform.settings.answer
    agent = agent or _AgentContext()
    hits = list(hits)  # tools may add sources
    checker = SupportChecker(
        platform.tokenizer.tokenize,
        platform.embedder,
        min_coverage=settings.citation_min_coverage,
        min_novel_coverage=settings.citation_min_novel_coverage,
        min_cosine=settings.citation_min_cosine,
    )
    stream = SentenceStream(hits, checker, question)
    emitter = _Emitter(platform, question, hits, language, trace_id)
    citations, parts, issues = emitter.citations, emitter.parts, emitter.issues
    model: dict[str, str] = {}
    incomplete = ""
    tool_calls: list[dict[str, Any]] = []
    try:
        # The search tainted this context with the sources' classification: the gateway's
        # red line decides which models may see them (guard/redline.py).
        # The answer prompt comes from the library (production label), and its version is
        # what the ledger records; parameters versioned with it win over answer.* settings.
        library = platform.prompts
        if agent.prompt_ref:
            version = library.resolve(agent.prompt_ref)
        else:
            version = library.get(answer_prompt_name(language))
        params = version.model_params()
        messages = _render_answer(
            library,
            version,
            source_blocks(hits, language, model_texts(platform, hits)),
            question,
            agent.history,
        )
        emitter.secrets = [m["content"] for m in messages if m["role"] == "system"]
        call = {
            "tier": params.get("tier") or agent.tier or settings.tier or None,
            "max_tokens": params.get("max_tokens") or settings.max_tokens,
            "temperature": params.get("temperature", settings.temperature),
            "prompt_name": library.ref(version),
        }
        rounds = agent.tools.rounds if agent.tools is not None else 1
        for step in range(rounds):
            # The last round gets no tools: it must answer.
            offered = agent.tools.specs() if agent.tools and step < rounds - 1 else None
            result = None
            for item in platform.gateway.stream_chat(messages, tools=offered, **call):
                if isinstance(item, Done):
                    result = item.result
                    model = {
                        "provider": result.provider,
                        "model": result.model,
                        "tier": result.tier,
                    }
                    continue
                for sentence in stream.feed(item.text):
                    yield from emitter.emit(sentence)
            if agent.tools is None or not offered or result is None or not result.tool_calls:
                break
            messages = [*messages, _assistant_calls(result.text, result.tool_calls, step)]
            for i, tool_call in enumerate(result.tool_calls):
                function = tool_call.get("function") or {}
                reply = agent.tools.call(
                    str(function.get("name", "")),
                    str(function.get("arguments") or "{}"),
                    hits,
                )
                hits.extend(reply.hits)
                emitter.data.append(reply.data)
                tool_calls.append(reply.record)
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": tool_call.get("id") or f"call_{step}_{i}",
                        "content": reply.content,
                    }
                )
        for sentence in stream.finish():
            yield from emitter.emit(sentence)
    except (ModelError, BudgetExceeded) as exc:
        if not parts:  # nothing shown yet: the offline answer stands in
            extractive.fallback_reason = _reason(exc)
            yield from _replay(extractive)
            return
        incomplete = _reason(exc)
    text = "".join(parts).strip()
    answer = Answer(
        question,
        text,
        "generative",
        bool(citations),
        language,
        extractive.relevance,
        trace_id,
        sorted(citations.values(), key=lambda c: c.n),
        hits,
        model=model,
        citation_issues=issues,
        incomplete=incomplete,
        audience=extractive.audience,
        excluded_sources=extractive.excluded_sources,
        guard=extractive.guard,
        output_issues=emitter.output_issues,
        tool_calls=tool_calls,
    )
    yield AskEvent("done", answer)


def _assistant_calls(text: str, calls: list[dict[str, Any]], step: int) -> dict[str, Any]:
    """The model's tool-calling turn, as it goes back to the model in the next round."""
    return {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {**c, "id": c.get("id") or f"call_{step}_{i}", "type": c.get("type") or "function"}
            for i, c in enumerate(calls)
        ],
    }


def _render_answer(
    library: Any, version: Any, sources: str, question: str, history: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The answer prompt's messages, with the conversation so far before the question."""
    declared = {v.name for v in version.variables}
    values = {"sources": sources, "question": question}
    if "history" in declared:
        values["history"] = "\n".join(f"{m['role']}: {m['content']}" for m in history)
    rendered = library.render(version, **{k: v for k, v in values.items() if k in declared})
    messages = [{"role": "user", "content": rendered}] if isinstance(rendered, str) else rendered
    if history and "history" not in declared:
        messages = [*messages[:-1], *history, messages[-1]]
    return messages


class _Emitter:
    """Turns checked sentences into events: the output filter first (a blocked sentence is
    withheld and recorded), then citations as sources are first cited, then the sentence."""

    def __init__(
        self,
        platform: Platform,
        question: str,
        hits: list[SearchHit],
        language: str,
        trace_id: str,
    ) -> None:
        self.platform, self.question, self.hits = platform, question, hits
        self.language, self.trace_id = language, trace_id
        self.settings = platform.settings.answer
        self.citations: dict[int, Citation] = {}  # hit index -> citation
        self.parts: list[str] = []
        self.issues: list[dict[str, Any]] = []
        self.output_issues: list[dict[str, Any]] = []
        self.secrets: list[str] = []  # the system prompt actually sent: never to be echoed
        self.data: list[str] = []  # what tools returned besides sources (may be repeated)

    def emit(self, sentence: CheckedSentence) -> Iterator[AskEvent]:
        self.issues.extend(sentence.issues)
        if not sentence.supported and self.settings.unsupported == "drop":
            return
        text, findings = self.platform.output_filter.check(
            sentence.text,
            sources=[h.text for h in self.hits] + [d for d in self.data if d],
            question=self.question,
            secrets=self.secrets,
        )
        if findings:
            self.output_issues.extend(
                {**f.to_dict(), "withheld": blocked(findings)} for f in findings
            )
        if blocked(findings):
            badcases.record(
                self.platform.db.engine,
                self.trace_id,
                "output_block",
                question=self.question,
                detail={"rules": [f.rule for f in findings]},
                user_id=current_attribution().user_id,
            )
            return
        sentence.text = text
        new = []
        for index in sentence.sources:
            hit = self.hits[index]
            if index not in self.citations:
                self.citations[index] = _citation(len(self.citations) + 1, hit, self.language)
                new.append(self.citations[index])
            span = sentence.evidence.get(index)
            if span is not None:
                start, end = hit.start + span[0], hit.start + span[1]
                citation = self.citations[index]
                if (start, end) not in citation.highlights:
                    citation.highlights.append((start, end))
                    citation.snippet = (
                        citation.snippet + " " + hit.text[span[0] : span[1]]
                    ).strip()
        if new:
            yield AskEvent("citations", new)
        self.parts.append(sentence.text)
        yield AskEvent("delta", sentence.text)


def _reason(exc: Exception) -> str:
    if isinstance(exc, BudgetExceeded):
        return f"budget: {exc}"
    return str(exc)
