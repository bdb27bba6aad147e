"""web_sessions: server-side sessions for the web login

Issue 17: a saved session cookie kept working after logout (the session lived only in the
signed cookie). A sign-in now writes a row whose key is the SHA-256 of a random id the cookie
carries; logout, a password or role change and deactivation delete the user's rows, so a
replayed cookie finds nothing. No row is made for existing cookies: everyone signs in again
once after the upgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sync.db.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sessions',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sync.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sync.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_web_sessions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_sessions')),
    )
    with op.batch_alter_table('web_sessions') as batch:
        batch.create_index(batch.f('ix_web_sessions_user_id'), ['user_id'], unique=False)
        batch.create_index(batch.f('ix_web_sessions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions') as batch:
        batch.drop_index(batch.f('ix_web_sessions_expires_at'))
        batch.drop_index(batch.f('ix_web_sessions_user_id'))
    op.drop_table('web_sessions')
