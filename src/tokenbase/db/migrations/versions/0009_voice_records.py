"""Voice intents: structured records extracted from utterances.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "voice_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column(
            "department_id", sa.Integer, sa.ForeignKey("departments.id", ondelete="SET NULL")
        ),
        sa.Column("schema", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("utterance", sa.Text, nullable=False),
        sa.Column("extracted_by", sa.String(16), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_voice_records_user", "voice_records", ["user_id", "id"])
    op.create_index("ix_voice_records_schema", "voice_records", ["schema", "id"])


def downgrade() -> None:
    op.drop_index("ix_voice_records_schema", table_name="voice_records")
    op.drop_index("ix_voice_records_user", table_name="voice_records")
    op.drop_table("voice_records")
