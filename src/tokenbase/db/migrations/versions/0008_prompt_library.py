"""Prompt library: prompts, immutable versions (UPDATE refused by a trigger), labels.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

IMMUTABLE = "prompt versions are immutable: commit a new version instead"


def upgrade() -> None:
    op.create_table(
        "prompts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_by_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "prompt_id",
            sa.Integer,
            sa.ForeignKey("prompts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("variables", sa.JSON, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("prompt_id", "version", name="uq_prompt_versions_number"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "prompt_labels",
        sa.Column(
            "prompt_id",
            sa.Integer,
            sa.ForeignKey("prompts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(40), primary_key=True),
        sa.Column(
            "version_id",
            sa.Integer,
            sa.ForeignKey("prompt_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("updated_by_name", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Versions are immutable in the database too, not only in the library's API. A user
    # deleted later only clears author_id (ON DELETE SET NULL), which the trigger allows.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION prompt_versions_immutable() RETURNS trigger AS $$ BEGIN "
            "IF NEW.author_id IS NULL AND OLD.author_id IS NOT NULL AND "
            "(NEW.body::text, NEW.variables::text, NEW.params::text, NEW.message, "
            "NEW.version, NEW.prompt_id) = (OLD.body::text, OLD.variables::text, "
            "OLD.params::text, OLD.message, OLD.version, OLD.prompt_id) THEN RETURN NEW; "
            f"END IF; RAISE EXCEPTION '{IMMUTABLE}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions "
            "FOR EACH ROW EXECUTE FUNCTION prompt_versions_immutable()"
        )
    else:
        op.execute(
            "CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions "
            "WHEN NOT (NEW.author_id IS NULL AND OLD.author_id IS NOT NULL "
            "AND NEW.body IS OLD.body AND NEW.variables IS OLD.variables "
            "AND NEW.params IS OLD.params AND NEW.message IS OLD.message "
            "AND NEW.version IS OLD.version AND NEW.prompt_id IS OLD.prompt_id) "
            f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS prompt_versions_no_update ON prompt_versions")
        op.execute("DROP FUNCTION IF EXISTS prompt_versions_immutable()")
    else:
        op.execute("DROP TRIGGER IF EXISTS prompt_versions_no_update")
    op.drop_table("prompt_labels")
    op.drop_table("prompt_versions")
    op.drop_table("prompts")
