"""Token ledger: usage events, daily rollups, budgets with counters, reservations and alerts,
business outcomes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Numeric(18, 6), nullable=nullable)


def _str(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def _int(name: str, big: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger if big else sa.Integer, nullable=False)


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at"),
        sa.Column("day", sa.Date, nullable=False),
        _str("kind", 16),
        _str("provider", 120),
        _str("model", 200),
        _str("deployment", 16),
        _str("tier", 60),
        _str("request_id", 64),
        _int("attempt"),
        _str("status", 16),
        _str("error_class", 40),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("ttft_ms", sa.Float),
        _int("prompt_tokens"),
        _int("completion_tokens"),
        _int("cached_tokens"),
        sa.Column("estimated", sa.Boolean, nullable=False),
        _money("cost_cny"),
        sa.Column("priced", sa.Boolean, nullable=False),
        _str("price_ref", 300),
        _money("provider_cost", nullable=True),
        _str("prompt_name", 200),
        _str("output_format", 16),
        sa.Column("user_id", sa.Integer),
        sa.Column("department_id", sa.Integer),
        _str("scenario", 120),
        _str("agent", 120),
        _str("task", 200),
        _str("trace_id", 64),
        sa.Column("extra", sa.JSON, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_usage_events_at", "usage_events", ["at"])
    op.create_index("ix_usage_events_request", "usage_events", ["request_id"])
    op.create_index("ix_usage_events_trace", "usage_events", ["trace_id"])
    op.create_table(
        "usage_daily",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        _int("department_id"),
        _int("user_id"),
        _str("scenario", 120),
        _str("agent", 120),
        _str("provider", 120),
        _str("model", 200),
        _str("kind", 16),
        _str("tier", 60),
        _int("calls"),
        _int("ok_calls"),
        _int("error_calls"),
        _int("blocked_calls"),
        _int("prompt_tokens", big=True),
        _int("completion_tokens", big=True),
        _int("cached_tokens", big=True),
        _money("cost_cny"),
        _int("estimated_calls"),
        _int("unpriced_calls"),
        _int("format_valid"),
        _int("format_repaired"),
        _int("format_invalid"),
        sa.Column("latency_ms_sum", sa.Float, nullable=False),
        sa.UniqueConstraint(
            "day",
            "department_id",
            "user_id",
            "scenario",
            "agent",
            "provider",
            "model",
            "kind",
            "tier",
            name="uq_usage_daily_key",
        ),
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.Integer, primary_key=True),
        _str("scope_kind", 16),
        _str("scope_value", 200),
        _str("period", 16),
        _money("hard_limit_cny"),
        _int("soft_pct"),
        _str("action", 16),
        _str("downgrade_tier", 60),
        sa.Column("active", sa.Boolean, nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint("scope_kind", "scope_value", "period", name="uq_budgets_scope_period"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "budget_usage",
        sa.Column(
            "budget_id",
            sa.Integer,
            sa.ForeignKey("budgets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("period_start", sa.Date, primary_key=True),
        _money("spent_cny"),
        _money("reserved_cny"),
    )
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("created_at"),
        _ts("expires_at"),
        sa.Column("amounts", sa.JSON, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_budget_reservations_expires", "budget_reservations", ["expires_at"])
    op.create_table(
        "budget_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "budget_id",
            sa.Integer,
            sa.ForeignKey("budgets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date, nullable=False),
        _str("kind", 16),
        _ts("at"),
        _money("spent_cny"),
        _money("limit_cny"),
        sa.UniqueConstraint("budget_id", "period_start", "kind", name="uq_budget_alerts_once"),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at"),
        sa.Column("day", sa.Date, nullable=False),
        _str("kind", 120),
        _int("count"),
        _money("value_cny"),
        _str("scenario", 120),
        _str("trace_id", 64),
        _str("task", 200),
        sa.Column("department_id", sa.Integer),
        sa.Column("user_id", sa.Integer),
        sa.Column("note", sa.Text, nullable=False),
        _str("created_by", 120),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outcomes_day", "outcomes", ["day"])


def downgrade() -> None:
    op.drop_index("ix_outcomes_day", "outcomes")
    op.drop_index("ix_budget_reservations_expires", "budget_reservations")
    op.drop_index("ix_usage_events_trace", "usage_events")
    op.drop_index("ix_usage_events_request", "usage_events")
    op.drop_index("ix_usage_events_at", "usage_events")
    for table in (
        "outcomes",
        "budget_alerts",
        "budget_reservations",
        "budget_usage",
        "budgets",
        "usage_daily",
        "usage_events",
    ):
        op.drop_table(table)
