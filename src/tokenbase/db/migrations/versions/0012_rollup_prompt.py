"""Daily rollups keyed by prompt too: usage_daily gains `prompt_name` (the prompt version the
calls used, "" = none) in its unique key, so the prompt library's reports read rollups
instead of raw events. The rollups are derived data: they are rebuilt here from usage_events
(one INSERT ... SELECT ... GROUP BY), so existing installations get per-prompt rows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The rollup key before and after this revision (spelled out: schema.py moves on).
OLD_KEY = [
    "day",
    "department_id",
    "user_id",
    "scenario",
    "agent",
    "provider",
    "model",
    "kind",
    "tier",
]
NEW_KEY = [*OLD_KEY, "prompt_name"]
METRICS = [
    "calls",
    "ok_calls",
    "error_calls",
    "blocked_calls",
    "prompt_tokens",
    "completion_tokens",
    "cached_tokens",
    "cost_cny",
    "estimated_calls",
    "unpriced_calls",
    "format_valid",
    "format_repaired",
    "format_invalid",
    "latency_ms_sum",
]

# Lightweight tables for the backfill: only the columns it reads or writes.
usage_events = sa.table(
    "usage_events",
    sa.column("day", sa.Date),
    sa.column("department_id", sa.Integer),
    sa.column("user_id", sa.Integer),
    *(sa.column(name, sa.String) for name in ("scenario", "agent", "provider", "model")),
    *(sa.column(name, sa.String) for name in ("kind", "tier", "prompt_name")),
    sa.column("status", sa.String),
    sa.column("output_format", sa.String),
    sa.column("prompt_tokens", sa.Integer),
    sa.column("completion_tokens", sa.Integer),
    sa.column("cached_tokens", sa.Integer),
    sa.column("cost_cny", sa.Numeric(18, 6)),
    sa.column("estimated", sa.Boolean),
    sa.column("priced", sa.Boolean),
    sa.column("latency_ms", sa.Float),
)
usage_daily = sa.table("usage_daily", *(sa.column(name) for name in [*NEW_KEY, *METRICS]))


def _fill(key: list[str]) -> None:
    """Write the (empty) rollup table from the events aggregated on `key`, in SQL."""
    e = usage_events.c

    def count_if(condition) -> sa.ColumnElement:  # type: ignore[no-untyped-def]
        return sa.func.sum(sa.case((condition, 1), else_=0))

    keys = [
        sa.func.coalesce(e[name], 0) if name in ("department_id", "user_id") else e[name]
        for name in key
    ]
    metrics = [
        sa.func.count(),
        count_if(e.status == "ok"),
        count_if(e.status == "error"),
        count_if(e.status == "blocked"),
        sa.func.sum(e.prompt_tokens),
        sa.func.sum(e.completion_tokens),
        sa.func.sum(e.cached_tokens),
        sa.func.sum(e.cost_cny),
        count_if(e.estimated.is_(True)),
        count_if(e.priced.is_(False)),
        count_if(e.output_format == "valid"),
        count_if(e.output_format == "repaired"),
        count_if(e.output_format == "invalid"),
        sa.func.sum(e.latency_ms),
    ]
    op.execute(
        sa.insert(usage_daily).from_select(
            [*key, *METRICS], sa.select(*keys, *metrics).group_by(*keys)
        )
    )


def upgrade() -> None:
    # Emptied first (rebuilt below), so SQLite's batch copy of the table moves no rows.
    op.execute(sa.delete(usage_daily))
    with op.batch_alter_table("usage_daily") as batch:
        batch.add_column(
            sa.Column("prompt_name", sa.String(200), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_usage_daily_key", type_="unique")
        batch.create_unique_constraint("uq_usage_daily_key", NEW_KEY)
    _fill(NEW_KEY)


def downgrade() -> None:
    op.execute(sa.delete(usage_daily))
    with op.batch_alter_table("usage_daily") as batch:
        batch.drop_constraint("uq_usage_daily_key", type_="unique")
        batch.drop_column("prompt_name")
        batch.create_unique_constraint("uq_usage_daily_key", OLD_KEY)
    _fill(OLD_KEY)
