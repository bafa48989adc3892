"""PII masking: the persistent, scoped mapping store (encrypted values, HMAC lookups, expiry).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pii_mappings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("value_enc", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "value_hash", name="uq_pii_mappings_value"),
        sa.UniqueConstraint("scope", "type", "ordinal", name="uq_pii_mappings_placeholder"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_pii_mappings_expires", "pii_mappings", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_pii_mappings_expires", table_name="pii_mappings")
    op.drop_table("pii_mappings")
