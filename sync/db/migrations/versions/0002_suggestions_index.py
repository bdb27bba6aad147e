"""suggestions: index (task_id, position) instead of a unique constraint over the text

A B-tree entry holds at most about 2,700 bytes, so the unique constraint over
(task_id, position, text) refused any suggestion for a paragraph longer than that on
PostgreSQL, and the task was never pre-filled. Pre-fill already writes each target text
once per segment; lookups only need (task_id, position).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:55:00
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_constraint('uq_suggestions_task_id', type_='unique')
        batch.create_index('ix_suggestions_task', ['task_id', 'position'])


def downgrade() -> None:
    with op.batch_alter_table('suggestions') as batch:
        batch.drop_index('ix_suggestions_task')
        batch.create_unique_constraint('uq_suggestions_task_id', ['task_id', 'position', 'text'])
