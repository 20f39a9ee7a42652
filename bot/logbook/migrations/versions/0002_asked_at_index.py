"""An index on ``questions.asked_at``: retention deletes by it, hourly, while holding the write lock.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_questions_asked_at", "questions", ["asked_at"])


def downgrade() -> None:
    op.drop_index("ix_questions_asked_at", table_name="questions")
