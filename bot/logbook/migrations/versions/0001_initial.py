"""The question log, the rate buckets, the daily counts and the shared meta facts.

Revision ID: 0001
Revises:
Create Date: 2025-06-01

Hand-written and frozen: later schema changes go in new revisions, so the columns are spelled
out here rather than taken from :mod:`bot.logbook.schema` (a test checks that both agree).
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("article", sa.String(255), nullable=True),
        sa.Column("cited_article", sa.String(255), nullable=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("refused", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("citations", sa.Text, nullable=False),
        sa.Column("liked", sa.Boolean, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_questions_day", "questions", ["day"])
    op.create_index("ix_questions_article", "questions", ["article"])
    op.create_index("ix_questions_cited_article", "questions", ["cited_article"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "daily_counts",
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("meta", "daily_counts", "rate_buckets", "questions"):
        op.drop_table(table)
