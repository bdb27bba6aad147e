"""tasks.prefilled_revision: None now means "has no suggestions"

Until now a task moved to a new source revision had its prefilled_revision set to None and
kept its older suggestions until the next pre-fill deleted them, so every pre-fill batch ran
a DELETE, whose cost grew with the table (issue 8). A moved task now keeps the revision its
suggestions were made for, and pre-fill deletes only for tasks that have one. This drops the
suggestions of tasks moved before the upgrade and not pre-filled since: they are of an older
revision, and the next pre-fill writes the current ones.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "DELETE FROM suggestions WHERE task_id IN "
        "(SELECT id FROM tasks WHERE prefilled_revision IS NULL)"))


def downgrade() -> None:
    pass  # 0002's code deletes before every pre-fill: nothing to undo
