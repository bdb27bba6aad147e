"""revisions.body compressed with lz4 on PostgreSQL

Every revision keeps its body, and PostgreSQL compresses a text longer than about 2 kB
before it stores it (TOAST), by default with pglz. On a first scan of 6,000 WordPress posts
(about 50 MB of bodies) pglz took 1.5 s of the server's time, during which the scan waits;
lz4 takes 0.3 s and its bodies are somewhat larger (13 → 21 MB there). Rows already stored
keep their compression; new ones use lz4. A server before PostgreSQL 14, or built without
lz4, keeps pglz. SQLite does not compress: nothing to do.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 22:40:00
"""

from __future__ import annotations

from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "DO $$ BEGIN "
        "IF current_setting('server_version_num')::int >= 140000 THEN "
        f"EXECUTE 'ALTER TABLE revisions ALTER COLUMN body SET COMPRESSION {method}'; "
        "END IF; "
        "EXCEPTION WHEN feature_not_supported THEN NULL; "  # built without lz4
        "END $$"
    )


def upgrade() -> None:
    _set_compression("lz4")


def downgrade() -> None:
    _set_compression("default")
