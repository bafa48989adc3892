"""Input fence: administrators' policy overrides (guard_policies), laid over tokenbase.toml.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_policies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario", sa.String(120), nullable=False, unique=True),
        sa.Column("policy", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("guard_policies")
