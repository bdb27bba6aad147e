"""versions.baseline and versions.stub; segments.kind takes front-matter fields; tasks may
be in conflict

Issue 14: a translation says how its based-on revision is known (recorded, declared,
history, assumed), and a placeholder translation (a stub) counts as missing. Front-matter
fields are segments whose kind names the field (``meta:linkTitle``): 16 characters are not
enough. Issue 15: write-back that finds text it has not seen writes nothing and leaves the
task in ``conflict``, which is an open state (one open task per post and language).

Existing translations get the baseline their rows can show: ``declared`` when the file
declares a source_hash, ``recorded`` when a task wrote a revision of it or an editor
acknowledged it, else ``assumed`` (they were taken as current when first seen).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

OLD_OPEN = "state IN ('queued', 'claimed', 'submitted')"
NEW_OPEN = "state IN ('queued', 'claimed', 'submitted', 'conflict')"


def upgrade() -> None:
    # plain ALTER TABLE, never a batch copy: on SQLite a batch drops and recreates the table,
    # and dropping `versions` would cascade to every revision and segment
    op.add_column('versions', sa.Column('baseline', sa.String(length=16), nullable=True))
    op.add_column('versions', sa.Column('stub', sa.Boolean(), server_default=sa.text('false'),
                                        nullable=False))
    # segments: a copy is safe (no table refers to it); SQLite cannot widen a column in place
    with op.batch_alter_table('segments') as batch:
        batch.alter_column('kind', existing_type=sa.String(length=16),
                           type_=sa.String(length=64), existing_nullable=False)
    # tasks: plain statements too (a copy would cascade to suggestions)
    op.add_column('tasks', sa.Column('conflict', sa.JSON(), nullable=True))
    op.drop_index('uq_tasks_open_post_lang', table_name='tasks',
                  sqlite_where=sa.text(OLD_OPEN), postgresql_where=sa.text(OLD_OPEN))
    op.create_index('uq_tasks_open_post_lang', 'tasks', ['post_id', 'lang'], unique=True,
                    sqlite_where=sa.text(NEW_OPEN), postgresql_where=sa.text(NEW_OPEN))
    translations = (
        "versions.lang <> COALESCE((SELECT source_lang FROM posts "
        "WHERE posts.id = versions.post_id), '')")
    op.execute(sa.text(
        f"UPDATE versions SET baseline = 'declared' WHERE {translations} "
        "AND declared_source_hash IS NOT NULL"))
    op.execute(sa.text(
        f"UPDATE versions SET baseline = 'recorded' WHERE {translations} AND baseline IS NULL "
        "AND (EXISTS (SELECT 1 FROM revisions r WHERE r.version_id = versions.id "
        "AND r.source_revision IS NOT NULL) OR EXISTS (SELECT 1 FROM events e "
        "WHERE e.post_id = versions.post_id AND e.lang = versions.lang AND e.kind = 'ack'))"))
    op.execute(sa.text(
        f"UPDATE versions SET baseline = 'assumed' WHERE {translations} AND baseline IS NULL"))


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of versions or tasks
    # would cascade to revisions, segments and suggestions
    op.execute(sa.text("UPDATE tasks SET state = 'submitted' WHERE state = 'conflict'"))
    op.drop_index('uq_tasks_open_post_lang', table_name='tasks',
                  sqlite_where=sa.text(NEW_OPEN), postgresql_where=sa.text(NEW_OPEN))
    op.create_index('uq_tasks_open_post_lang', 'tasks', ['post_id', 'lang'], unique=True,
                    sqlite_where=sa.text(OLD_OPEN), postgresql_where=sa.text(OLD_OPEN))
    op.drop_column('tasks', 'conflict')
    with op.batch_alter_table('segments') as batch:
        batch.alter_column('kind', existing_type=sa.String(length=64),
                           type_=sa.String(length=16), existing_nullable=False)
    op.drop_column('versions', 'stub')
    op.drop_column('versions', 'baseline')
