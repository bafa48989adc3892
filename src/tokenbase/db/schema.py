"""The relational schema as SQLAlchemy Core tables. Alembic migrations create it; code reads it.

Classification levels are stored as small integers so "clearance >= classification" is one
comparison inside a query: 0 公开 public, 1 内部 internal, 2 机密 confidential, 3 绝密 secret.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

metadata = MetaData()

CLASSIFICATIONS = {0: "公开", 1: "内部", 2: "机密", 3: "绝密"}
CLASSIFICATION_CODES = {"public": 0, "internal": 1, "confidential": 2, "secret": 3}
DEFAULT_CLASSIFICATION = 1


USAGES = {"internal": "仅限内部", "external": "可对外", "third_party": "第三方版权"}


def parse_usage(value: str) -> str:
    """Accept internal/external/third_party (or third-party) or the Chinese label."""
    text = str(value).strip().lower().replace("-", "_")
    if text in USAGES:
        return text
    for code, label in USAGES.items():
        if text == label:
            return code
    raise ValueError(
        f"unknown usage {value!r}: use internal (仅限内部), external (可对外) "
        "or third_party (第三方版权)"
    )


def parse_classification(value: str | int) -> int:
    """Accept 0–3, an English code ('internal') or the Chinese label ('内部')."""
    if isinstance(value, int) or str(value).isdigit():
        level = int(value)
        if level in CLASSIFICATIONS:
            return level
    text = str(value).strip().lower()
    if text in CLASSIFICATION_CODES:
        return CLASSIFICATION_CODES[text]
    for level, label in CLASSIFICATIONS.items():
        if text == label:
            return level
    raise ValueError(
        f"unknown classification {value!r}: use 公开/内部/机密/绝密 "
        "or public/internal/confidential/secret"
    )


knowledge_bases = Table(
    "knowledge_bases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kb_id", Integer, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),  # absolute path, URL, or sql:<url>#<query>
    Column("source_kind", String(16), nullable=False),  # file | url | sql
    Column("content_hash", String(64), nullable=False),
    Column("media_type", String(120), nullable=False, default=""),
    Column("size_bytes", Integer, nullable=False, default=0),
    Column("classification", Integer, nullable=False, default=DEFAULT_CLASSIFICATION),
    Column("licence", Text, nullable=False, default=""),
    # Where the text may be used (red line 3): internal | external | third_party.
    Column("usage", String(16), nullable=False, default="internal"),
    Column("status", String(16), nullable=False),  # indexed | ready | failed
    Column("error", Text),
    Column("parser", String(40), nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),
    Column("chunk_count", Integer, nullable=False, default=0),
    Column("ocr_pages", Integer, nullable=False, default=0),
    Column("meta", JSON, nullable=False, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kb_id", "source", name="uq_documents_kb_source"),
    sqlite_autoincrement=True,
)

chunks = Table(
    "chunks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("kb_id", Integer, nullable=False),
    Column("classification", Integer, nullable=False, default=DEFAULT_CLASSIFICATION),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("locator", JSON, nullable=False, default=dict),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("token_count", Integer, nullable=False),
    Index("ix_chunks_document", "document_id", "ordinal"),
    Index("ix_chunks_kb", "kb_id"),
    sqlite_autoincrement=True,
)

chunk_vectors = Table(
    "chunk_vectors",
    metadata,
    # seq grows with every insert: the ANN index catches up from a watermark on it.
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("chunk_id", Integer, ForeignKey("chunks.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("vector", LargeBinary, nullable=False),  # float32 little-endian, L2-normalised
    UniqueConstraint("chunk_id", name="uq_chunk_vectors_chunk"),
    Index("ix_chunk_vectors_model", "model"),
    sqlite_autoincrement=True,
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kb_id", Integer, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="SET NULL")),
    Column("source", Text, nullable=False),
    Column("source_kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # queued | running | done | failed | skipped
    Column("stage", String(16), nullable=False),  # fetch|parse|ocr|chunk|index|embed|done
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("error_code", String(40)),
    Column("error", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("options", JSON, nullable=False, default=dict),
    Column("worker", String(120)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_jobs_status", "status"),
    sqlite_autoincrement=True,
)

state = Table(
    "state",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# -- identity and access (migration 0002) ------------------------------------------------------

ROLES = ("admin", "member")  # knowledge-base owner/editor are grants, not global roles
GRANT_LEVELS = {"read": 1, "write": 2, "manage": 3}  # manage = owner, write = editor

departments = Table(
    "departments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", Integer, ForeignKey("departments.id", ondelete="RESTRICT")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("parent_id", "name", name="uq_departments_parent_name"),
    sqlite_autoincrement=True,
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(120), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, default=""),
    Column("password_hash", Text),  # argon2id; NULL = cannot log in with a password
    Column("role", String(16), nullable=False, default="member"),
    Column("clearance", Integer, nullable=False, default=DEFAULT_CLASSIFICATION),
    Column("department_id", Integer, ForeignKey("departments.id", ondelete="SET NULL")),
    Column("active", Boolean, nullable=False, default=True),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    sqlite_autoincrement=True,
)

kb_grants = Table(
    "kb_grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kb_id", Integer, ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False),
    Column("principal_kind", String(16), nullable=False),  # user | department
    Column("principal_id", Integer, nullable=False),
    Column("level", Integer, nullable=False),  # GRANT_LEVELS
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kb_id", "principal_kind", "principal_id", name="uq_kb_grants_principal"),
    Index("ix_kb_grants_principal", "principal_kind", "principal_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),  # shown in lists, used for lookup
    Column("secret_hash", String(64), nullable=False),  # sha256 of the whole key
    Column("scopes", JSON, nullable=False, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    # Shared by every replica, so throttling holds however requests are balanced.
    Column("key", String(300), primary_key=True),  # "user:<name>" or "ip:<address>"
    Column("failures", Integer, nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)

blobs = Table(
    "blobs",
    metadata,
    # Original files, content-addressed (sha256 = documents.content_hash), so every replica
    # can serve a download and a resumed job can re-read what was uploaded.
    Column("digest", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# -- token ledger (migration 0003) --------------------------------------------------------------
# Rollup and budget key columns use '' / 0 instead of NULL, so ON CONFLICT on the unique key
# works the same on SQLite and PostgreSQL. Ledger rows keep user and department ids without
# foreign keys: the ledger is history, and a deleted user's spend must stay booked.


class Money(TypeDecorator):
    """CNY as Decimal, exact to 1e-6 on both backends.

    PostgreSQL stores NUMERIC(18, 6). SQLite has no decimal type: its NUMERIC column would hold
    a float, and float sums drift (50 x 0.02 != 1.00, which would refuse the last reservation
    under a 1.00 limit), so on SQLite the same column holds integer micro-yuan. Read and write
    money through this type (the ledger's queries do); raw SQL on SQLite sees micro-yuan."""

    impl = Numeric(18, 6)
    cache_ok = True
    SCALE = Decimal(1_000_000)

    def load_dialect_impl(self, dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 6, asdecimal=True))

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        value = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if dialect.name == "sqlite":
            return int((value * self.SCALE).to_integral_value(rounding=ROUND_HALF_UP))
        return value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self.SCALE).quantize(MICRO_CNY)
        return Decimal(value).quantize(MICRO_CNY)


MICRO_CNY = Decimal("0.000001")
MONEY = Money()

usage_events = Table(
    "usage_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),  # CallRecord.started_at (UTC)
    Column("day", Date, nullable=False),  # local day (ledger.timezone) the rollup row uses
    Column("kind", String(16), nullable=False),  # chat | embedding | rerank
    Column("provider", String(120), nullable=False),
    Column("model", String(200), nullable=False),
    Column("deployment", String(16), nullable=False),  # private | public
    Column("tier", String(60), nullable=False, default=""),
    Column("request_id", String(64), nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False),  # ok | error | blocked
    Column("error_class", String(40), nullable=False, default=""),
    Column("latency_ms", Float, nullable=False, default=0.0),
    Column("ttft_ms", Float),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("cached_tokens", Integer, nullable=False, default=0),
    Column("estimated", Boolean, nullable=False, default=False),
    Column("cost_cny", MONEY, nullable=False),
    Column("priced", Boolean, nullable=False, default=True),
    Column("price_ref", String(300), nullable=False, default=""),  # which price entry
    Column("provider_cost", MONEY),
    Column("prompt_name", String(200), nullable=False, default=""),
    Column("output_format", String(16), nullable=False, default=""),
    Column("user_id", Integer),
    Column("department_id", Integer),
    Column("scenario", String(120), nullable=False, default=""),
    Column("agent", String(120), nullable=False, default=""),
    Column("task", String(200), nullable=False, default=""),
    Column("trace_id", String(64), nullable=False, default=""),
    Column("extra", JSON, nullable=False, default=dict),
    Index("ix_usage_events_at", "at"),
    Index("ix_usage_events_request", "request_id"),
    Index("ix_usage_events_trace", "trace_id"),
    sqlite_autoincrement=True,
)

ROLLUP_KEYS = (
    "day",
    "department_id",
    "user_id",
    "scenario",
    "agent",
    "provider",
    "model",
    "kind",
    "tier",
    "prompt_name",
)

usage_daily = Table(
    "usage_daily",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("department_id", Integer, nullable=False, default=0),  # 0 = none
    Column("user_id", Integer, nullable=False, default=0),  # 0 = none
    Column("scenario", String(120), nullable=False, default=""),
    Column("agent", String(120), nullable=False, default=""),
    Column("provider", String(120), nullable=False, default=""),
    Column("model", String(200), nullable=False, default=""),
    Column("kind", String(16), nullable=False, default=""),
    Column("tier", String(60), nullable=False, default=""),
    # The prompt the calls used (usage_events.prompt_name: "name@3" for a library version,
    # "" = none), so the prompt library's reports read rollups too (migration 0012).
    Column("prompt_name", String(200), nullable=False, default=""),
    Column("calls", Integer, nullable=False, default=0),
    Column("ok_calls", Integer, nullable=False, default=0),
    Column("error_calls", Integer, nullable=False, default=0),
    Column("blocked_calls", Integer, nullable=False, default=0),
    Column("prompt_tokens", BigInteger, nullable=False, default=0),
    Column("completion_tokens", BigInteger, nullable=False, default=0),
    Column("cached_tokens", BigInteger, nullable=False, default=0),
    Column("cost_cny", MONEY, nullable=False, default=0),
    Column("estimated_calls", Integer, nullable=False, default=0),
    Column("unpriced_calls", Integer, nullable=False, default=0),
    Column("format_valid", Integer, nullable=False, default=0),
    Column("format_repaired", Integer, nullable=False, default=0),
    Column("format_invalid", Integer, nullable=False, default=0),
    Column("latency_ms_sum", Float, nullable=False, default=0.0),
    UniqueConstraint(*ROLLUP_KEYS, name="uq_usage_daily_key"),
)

budgets = Table(
    "budgets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope_kind", String(16), nullable=False),  # department | scenario | user
    Column("scope_value", String(200), nullable=False),  # department/user id, or scenario
    Column("period", String(16), nullable=False),  # daily | monthly
    Column("hard_limit_cny", MONEY, nullable=False),
    Column("soft_pct", Integer, nullable=False, default=80),  # 0 = no soft alert
    Column("action", String(16), nullable=False, default="block"),  # block | downgrade
    Column("downgrade_tier", String(60), nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("scope_kind", "scope_value", "period", name="uq_budgets_scope_period"),
    sqlite_autoincrement=True,
)

budget_usage = Table(
    "budget_usage",
    metadata,
    # One counter row per budget and period: reservations are conditional UPDATEs on it.
    Column("budget_id", Integer, ForeignKey("budgets.id", ondelete="CASCADE"), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("spent_cny", MONEY, nullable=False, default=0),
    Column("reserved_cny", MONEY, nullable=False, default=0),
)

budget_reservations = Table(
    "budget_reservations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    # [[budget_id, "YYYY-MM-DD" period start, "amount"], ...]
    Column("amounts", JSON, nullable=False),
    Index("ix_budget_reservations_expires", "expires_at"),
    sqlite_autoincrement=True,
)

budget_alerts = Table(
    "budget_alerts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("budget_id", Integer, ForeignKey("budgets.id", ondelete="CASCADE"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # soft | hard
    Column("at", DateTime(timezone=True), nullable=False),
    Column("spent_cny", MONEY, nullable=False),
    Column("limit_cny", MONEY, nullable=False),
    UniqueConstraint("budget_id", "period_start", "kind", name="uq_budget_alerts_once"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),  # local day, for monthly reports
    Column("kind", String(120), nullable=False),  # "ticket resolved", "deal won", ...
    Column("count", Integer, nullable=False, default=1),
    Column("value_cny", MONEY, nullable=False, default=0),
    Column("scenario", String(120), nullable=False, default=""),
    Column("trace_id", String(64), nullable=False, default=""),
    Column("task", String(200), nullable=False, default=""),
    Column("department_id", Integer),
    Column("user_id", Integer),
    Column("note", Text, nullable=False, default=""),
    Column("created_by", String(120), nullable=False, default=""),
    Index("ix_outcomes_day", "day"),
    sqlite_autoincrement=True,
)

# -- governance: audit log, approvals, feedback, bad cases (migration 0005) ---------------------
# The audit log is append-only and hash-chained (guard/audit.py). `seq` is assigned by the
# appender from `audit_head` (one row, updated under the write lock), so it has no gaps and the
# head doubles as a record of the last entry: deleting the tail is detected too.

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_id", Integer),  # no foreign key: the log outlives users
    Column("actor", String(200), nullable=False),
    Column("action", String(120), nullable=False),
    Column("target", String(500), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("alg", String(16), nullable=False),  # sha256 | hmac-sha256
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_action", "action"),
    Index("ix_audit_log_at", "at"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(120), nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("payload", JSON, nullable=False),  # never secrets: checked on request
    Column("requested_by", Integer),  # user id; NULL = the system / CLI operator
    Column("requested_by_name", String(200), nullable=False),
    Column("required_role", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected | expired
    Column("decided_by", Integer),
    Column("decided_by_name", String(200), nullable=False, default=""),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    # After approval: "" (not run yet) | running | done | failed
    Column("execution", String(16), nullable=False, default=""),
    Column("executed_at", DateTime(timezone=True)),
    Column("result", JSON),
    Column("error", Text, nullable=False, default=""),
    Index("ix_approvals_status", "status"),
    sqlite_autoincrement=True,
)

answer_feedback = Table(
    "answer_feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("trace_id", String(64), nullable=False),
    Column("user_id", Integer),
    Column("rating", String(8), nullable=False),  # up | down
    Column("correction", Text, nullable=False, default=""),
    Column("comment", Text, nullable=False, default=""),
    Index("ix_answer_feedback_trace", "trace_id"),
    sqlite_autoincrement=True,
)

badcases = Table(
    "badcases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("trace_id", String(64), nullable=False, default=""),
    Column("kind", String(40), nullable=False),  # feedback | guard_block | guard_flag | ...
    Column("question", Text, nullable=False, default=""),
    Column("answer", Text, nullable=False, default=""),
    Column("correction", Text, nullable=False, default=""),
    Column("detail", JSON, nullable=False),
    Column("user_id", Integer),
    Column("status", String(16), nullable=False, default="open"),  # open | resolved
    Index("ix_badcases_trace", "trace_id"),
    Index("ix_badcases_created", "created_at"),
    sqlite_autoincrement=True,
)

# -- input fence (guard/input): admin lexicon entries, indirect-injection flags on documents ----
guard_lexicon = Table(
    "guard_lexicon",
    metadata,
    # Admin edits on top of the bundled lexicon: enabled=True adds a word, enabled=False hides
    # a bundled one. Every replica reads this table, so an edit reaches all of them.
    Column("id", Integer, primary_key=True),
    Column("word", String(200), nullable=False),
    Column("category", String(60), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_by", String(120), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("word", "category", name="uq_guard_lexicon_word_category"),
    sqlite_autoincrement=True,
)

guard_policies = Table(
    "guard_policies",
    metadata,
    # Admin overrides of the input fence's policies, laid over tokenbase.toml: one row per
    # scenario or agent ("*" = the defaults); `policy` holds only the fields set (the rest
    # inherit). Every replica reads this table, so an edit reaches all of them.
    Column("id", Integer, primary_key=True),
    Column("scenario", String(120), nullable=False, unique=True),
    Column("policy", JSON, nullable=False, default=dict),
    Column("updated_by", String(120), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

document_flags = Table(
    "document_flags",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
    Column("chunk_id", Integer),  # no FK: chunks are rebuilt on re-ingest, the flag stays
    Column("kind", String(40), nullable=False),  # "injection"
    Column("rule", String(120), nullable=False, default=""),
    Column("category", String(60), nullable=False, default=""),
    Column("score", Float, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_document_flags_document", "document_id"),
    sqlite_autoincrement=True,
)

pii_mappings = Table(
    "pii_mappings",
    metadata,
    # One masked value in one scope (a conversation or trace): 〔手机号3〕 = (type, ordinal).
    # The value is stored encrypted (Fernet); value_hash is an HMAC of (type, value), so the
    # same value gets the same placeholder without the database holding it in plain text.
    Column("id", Integer, primary_key=True),
    Column("scope", String(200), nullable=False),
    Column("type", String(40), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("value_hash", String(64), nullable=False),
    Column("value_enc", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("scope", "value_hash", name="uq_pii_mappings_value"),
    UniqueConstraint("scope", "type", "ordinal", name="uq_pii_mappings_placeholder"),
    Index("ix_pii_mappings_expires", "expires_at"),
    sqlite_autoincrement=True,
)

# -- agents (数字员工): digital employees, their conversations and messages --------------------
agents = Table(
    "agents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),  # the OpenAI "model" id
    Column("display_name", String(200), nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),  # role description, used to route
    Column("avatar", String(500), nullable=False, default=""),  # an emoji or an image URL
    Column("kbs", JSON, nullable=False, default=list),  # knowledge-base names; [] = all readable
    Column("prompt", Text, nullable=False, default=""),
    Column("prompt_ref", String(200), nullable=False, default=""),  # "<prompt>:<label>"
    Column("tier", String(64), nullable=False, default=""),
    Column("tools", JSON, nullable=False, default=list),  # tool names it may call
    Column("scenario", String(120), nullable=False, default=""),  # ledger; "" = agent.<name>
    Column("allowed", JSON, nullable=False, default=dict),  # {"all", "departments", "users"}
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

agent_conversations = Table(
    "agent_conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("agent_id", Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False, default=""),
    Column("summary", Text, nullable=False, default=""),  # running summary of older turns
    Column("summarised_turns", Integer, nullable=False, default=0),  # turns folded into it
    Column("summary_level", Integer, nullable=False, default=0),  # highest classification in it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_agent_conversations_user", "user_id", "agent_id"),
    sqlite_autoincrement=True,
)

agent_messages = Table(
    "agent_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "conversation_id",
        Integer,
        ForeignKey("agent_conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(16), nullable=False),  # "user" | "assistant"
    Column("content", Text, nullable=False),
    Column("citations", JSON, nullable=False, default=list),
    Column("trace_id", String(64), nullable=False, default=""),
    Column("level", Integer, nullable=False, default=0),  # highest classification it quotes
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_agent_messages_conversation", "conversation_id", "id"),
    sqlite_autoincrement=True,
)

agent_tool_calls = Table(
    "agent_tool_calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("trace_id", String(64), nullable=False),  # the turn that made the call
    Column("depth", Integer, nullable=False, default=0),  # 0: the agent asked; 1+: consulted
    Column("agent", String(64), nullable=False),
    Column("tool", String(120), nullable=False),
    Column("arguments", JSON, nullable=False, default=dict),
    # ok | error | denied (not allowed / bad arguments) | pending_approval
    Column("status", String(24), nullable=False),
    Column("result", Text, nullable=False, default=""),  # what the model was told (truncated)
    Column("error", Text, nullable=False, default=""),
    Column("approval_id", Integer, ForeignKey("approvals.id", ondelete="SET NULL")),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("latency_ms", Float, nullable=False, default=0.0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_agent_tool_calls_trace", "trace_id", "id"),
    sqlite_autoincrement=True,
)

# -- prompt library (Prompt资产库): prompts, immutable versions, labels -------------------------
prompts = Table(
    "prompts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(120), nullable=False, unique=True),  # "kb.answer.zh"
    Column("kind", String(8), nullable=False),  # text | chat (fixed for the prompt's life)
    Column("description", Text, nullable=False, default=""),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_by_name", String(200), nullable=False, default=""),  # "system", "cli:bob"
    Column("created_at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)

prompt_versions = Table(
    "prompt_versions",
    metadata,
    # Immutable: written once, never updated (a trigger refuses UPDATE on both backends).
    Column("id", Integer, primary_key=True),
    Column("prompt_id", Integer, ForeignKey("prompts.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),  # 1, 2, 3 ... per prompt
    Column("body", JSON, nullable=False),  # text: a string; chat: [{"role", "content"}, ...]
    Column("variables", JSON, nullable=False),  # [{"name", "type", "required", "default", ...}]
    Column("params", JSON, nullable=False),  # {"temperature": 0.2, "max_tokens": 800, ...}
    Column("message", Text, nullable=False, default=""),  # the commit message
    Column("author_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("author_name", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("prompt_id", "version", name="uq_prompt_versions_number"),
    sqlite_autoincrement=True,
)

prompt_labels = Table(
    "prompt_labels",
    metadata,
    Column("prompt_id", Integer, ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True),
    Column("label", String(40), primary_key=True),  # production | staging | latest | custom
    Column(
        "version_id",
        Integer,
        ForeignKey("prompt_versions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("updated_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("updated_by_name", String(200), nullable=False, default=""),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# -- voice intents (言出法随): structured records extracted from utterances --------------------
voice_records = Table(
    "voice_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),  # None: the CLI
    Column("department_id", Integer, ForeignKey("departments.id", ondelete="SET NULL")),
    Column("schema", String(64), nullable=False),  # customer_visit | task | expense | ...
    Column("data", JSON, nullable=False),  # the record, valid against its JSON Schema
    Column("utterance", Text, nullable=False),  # what was said (or transcribed)
    Column("extracted_by", String(16), nullable=False),  # "model" | "rules"
    Column("model", String(200), nullable=False, default=""),  # "<provider>/<model>"
    Column("trace_id", String(64), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_voice_records_user", "user_id", "id"),
    Index("ix_voice_records_schema", "schema", "id"),
    sqlite_autoincrement=True,
)
