"""Documents say where their text may be used (red line 3): internal, external, third_party.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN on both backends: no table rebuild, chunks untouched.
    op.add_column(
        "documents", sa.Column("usage", sa.String(16), nullable=False, server_default="internal")
    )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("usage")
