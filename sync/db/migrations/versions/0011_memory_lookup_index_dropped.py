"""memory: drop ix_memory_lookup, which the unique constraint's index already is

ix_memory_lookup (source_lang, target_lang, source_hash) is the leading part of the index
behind uq_memory_source_lang (source_lang, target_lang, source_hash, target_hash): every
query the lookup index served (exact matches by source hash, a pair's newest id and row
count) is served by the unique one. Keeping both made each learned pair two random index
inserts instead of one: a first scan's translation memory (100,000 pairs for 2,000 posts
in three languages) wrote a quarter slower for it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:50:00
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_memory_lookup', table_name='memory')


def downgrade() -> None:
    op.create_index(
        'ix_memory_lookup', 'memory', ['source_lang', 'target_lang', 'source_hash'], unique=False
    )
