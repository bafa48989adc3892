"""Identity and access: departments, users, grants, API keys, sessions, login throttling,
original-file blobs; an index for the vector staleness scan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("departments.id", ondelete="RESTRICT")),
        _ts("created_at"),
        sa.UniqueConstraint("parent_id", "name", name="uq_departments_parent_name"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(120), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("clearance", sa.Integer, nullable=False),
        sa.Column(
            "department_id", sa.Integer, sa.ForeignKey("departments.id", ondelete="SET NULL")
        ),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        _ts("created_at"),
        _ts("last_login_at", nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "kb_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "kb_id",
            sa.Integer,
            sa.ForeignKey("knowledge_bases.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("principal_kind", sa.String(16), nullable=False),
        sa.Column("principal_id", sa.Integer, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        _ts("created_at"),
        sa.UniqueConstraint(
            "kb_id", "principal_kind", "principal_id", name="uq_kb_grants_principal"
        ),
    )
    op.create_index("ix_kb_grants_principal", "kb_grants", ["principal_kind", "principal_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("prefix", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        _ts("created_at"),
        _ts("expires_at", nullable=True),
        _ts("revoked_at", nullable=True),
        _ts("last_used_at", nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("last_seen_at"),
    )
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        _ts("first_at"),
        _ts("locked_until", nullable=True),
    )
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_chunk_vectors_model", "chunk_vectors", ["model"])


def downgrade() -> None:
    op.drop_index("ix_chunk_vectors_model", "chunk_vectors")
    for table in (
        "blobs",
        "login_failures",
        "sessions",
        "api_keys",
        "kb_grants",
        "users",
        "departments",
    ):
        op.drop_table(table)
