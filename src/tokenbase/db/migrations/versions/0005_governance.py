"""Governance: the hash-chained audit log (with its head row), approvals, answer feedback and
bad cases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GENESIS = "0" * 64  # prev_hash of the first audit entry (guard/audit.py)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=False)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        _ts("at"),
        sa.Column("actor_id", sa.Integer),
        _str("actor", 200),
        _str("action", 120),
        _str("target", 500),
        sa.Column("detail", sa.JSON, nullable=False),
        _str("alg", 16),
        _str("prev_hash", 64),
        _str("hash", 64),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        _str("hash", 64),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True),
        _str("kind", 120),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.Integer),
        _str("requested_by_name", 200),
        _str("required_role", 16),
        _str("status", 16),
        sa.Column("decided_by", sa.Integer),
        _str("decided_by_name", 200),
        sa.Column("reason", sa.Text, nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("decided_at", nullable=True),
        _str("execution", 16),
        _ts("executed_at", nullable=True),
        sa.Column("result", sa.JSON),
        sa.Column("error", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_approvals_status", "approvals", ["status"])
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at"),
        _str("trace_id", 64),
        sa.Column("user_id", sa.Integer),
        _str("rating", 8),
        sa.Column("correction", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_answer_feedback_trace", "answer_feedback", ["trace_id"])
    op.create_table(
        "badcases",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("created_at"),
        _str("trace_id", 64),
        _str("kind", 40),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("correction", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("user_id", sa.Integer),
        _str("status", 16),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_badcases_trace", "badcases", ["trace_id"])
    op.create_index("ix_badcases_created", "badcases", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_badcases_created", "badcases")
    op.drop_index("ix_badcases_trace", "badcases")
    op.drop_table("badcases")
    op.drop_index("ix_answer_feedback_trace", "answer_feedback")
    op.drop_table("answer_feedback")
    op.drop_index("ix_approvals_status", "approvals")
    op.drop_table("approvals")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_index("ix_audit_log_action", "audit_log")
    op.drop_table("audit_log")
