"""tasks.set_aside: saved translations of segments the source changed meanwhile

A task's saved progress is kept by segment position. When the source changed and the task
moved to the newer revision, the positions were kept as they were: a paragraph inserted
above shifted every saved translation onto the wrong paragraph, and a submission then
published them there. Progress now follows its paragraphs (sync.planning.carry_progress);
what was saved for a paragraph the source changed is set aside here with the source text
it translates, and offered again marked for review. Existing rows have none.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN, never a batch copy (see 0006): the column goes last
    op.add_column('tasks', sa.Column('set_aside', sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(sa.text('ALTER TABLE tasks DROP COLUMN set_aside'))
    else:
        op.drop_column('tasks', 'set_aside')
