"""notifications: webhooks, deliveries and their log, mail items and digests; users get an
e-mail address and a digest setting; a trigger queues events for the fan-out

Issue 18. The events table stays the one record of what happened: an AFTER INSERT trigger
adds the id of every event that may concern someone (kinds task, review, state and scan) to
``notify_queue``, in the transaction that writes the event, but only while someone listens
(an active webhook, or an active user with an address whose digest is not off). The fan-out
deletes the queue rows in the transaction that writes the notifications, deliveries and mail
items, so an event is fanned out exactly once, however many writers (the tracker's batches,
planning, the claim's single statement, ``history.record``) made it.

SQLite rebuilds a table in a batch migration (``batch_alter_table``) and drops its
triggers with it: a later migration that alters ``events`` must create the trigger again
(``create_trigger`` below).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sync.db.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

KINDS = "('task', 'review', 'state', 'scan')"
LISTENING = (
    "(EXISTS (SELECT 1 FROM webhooks WHERE active AND NOT removed) OR EXISTS (SELECT 1 FROM "
    "users WHERE active AND email IS NOT NULL AND digest <> 'off'))")


def create_trigger() -> None:
    """The events → notify_queue trigger, on either database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"""
CREATE OR REPLACE FUNCTION transync_notify_queue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {LISTENING} THEN
        INSERT INTO notify_queue (event_id)
        SELECT id FROM transync_new_events WHERE kind IN {KINDS};
    END IF;
    RETURN NULL;
END $$"""))
        op.execute(sa.text(
            "CREATE TRIGGER events_notify AFTER INSERT ON events "
            "REFERENCING NEW TABLE AS transync_new_events FOR EACH STATEMENT "
            "EXECUTE FUNCTION transync_notify_queue()"))
    else:
        op.execute(sa.text(
            f"CREATE TRIGGER events_notify AFTER INSERT ON events "
            f"WHEN NEW.kind IN {KINDS} AND {LISTENING} "
            "BEGIN INSERT INTO notify_queue (event_id) VALUES (NEW.id); END"))


def drop_trigger() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("DROP TRIGGER IF EXISTS events_notify ON events"))
        op.execute(sa.text("DROP FUNCTION IF EXISTS transync_notify_queue()"))
    else:
        op.execute(sa.text("DROP TRIGGER IF EXISTS events_notify"))


def upgrade() -> None:
    ts = sync.db.models.UTCDateTime(timezone=True)
    # plain ALTER TABLE: a batch copy of users would cascade to their web sessions
    op.add_column('users', sa.Column('email', sa.String(length=320), nullable=True))
    op.add_column('users', sa.Column('digest', sa.String(length=16),
                                     server_default=sa.text("'daily'"), nullable=False))
    op.create_table(
        'notify_queue',
        sa.Column('event_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_notify_queue')),
    )
    op.create_table(
        'webhooks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2048), nullable=False),
        sa.Column('events', sa.Text(), nullable=False),
        sa.Column('secret', sa.String(length=128), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', ts, nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=True),
        sa.Column('failing_since', ts, nullable=True),
        sa.Column('disabled_at', ts, nullable=True),
        sa.Column('disabled_reason', sa.Text(), nullable=True),
        sa.Column('removed', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    )
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('lang', sa.String(length=16), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', ts, nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'],
                                name=op.f('fk_notifications_post_id_posts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('key', name=op.f('uq_notifications_key')),
    )
    op.create_index('ix_notifications_task', 'notifications', ['task_id'])
    op.create_index('ix_notifications_post', 'notifications', ['post_id', 'id'])
    op.create_table(
        'deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('webhook_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', ts, nullable=False),
        sa.Column('first_attempt_at', ts, nullable=True),
        sa.Column('lease', sa.String(length=32), nullable=True),
        sa.Column('leased_until', ts, nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', ts, nullable=False),
        sa.Column('finished_at', ts, nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_deliveries_notification_id_notifications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'],
                                name=op.f('fk_deliveries_webhook_id_webhooks'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    )
    op.create_index('ix_deliveries_due', 'deliveries', ['next_attempt_at'],
                    sqlite_where=sa.text("state = 'pending'"),
                    postgresql_where=sa.text("state = 'pending'"))
    op.create_index('ix_deliveries_webhook', 'deliveries', ['webhook_id', 'id'])
    op.create_index('ix_deliveries_notification', 'deliveries', ['notification_id'])
    op.create_table(
        'delivery_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery_id', sa.Integer(), nullable=False),
        sa.Column('webhook_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('at', ts, nullable=False),
        sa.Column('result', sa.String(length=16), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('latency_ms', sa.Float(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('next_attempt_at', ts, nullable=True),
        sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'],
                                name=op.f('fk_delivery_attempts_delivery_id_deliveries'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'],
                                name=op.f('fk_delivery_attempts_webhook_id_webhooks'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_attempts')),
    )
    op.create_index('ix_delivery_attempts_webhook', 'delivery_attempts', ['webhook_id', 'id'])
    op.create_index('ix_delivery_attempts_delivery', 'delivery_attempts', ['delivery_id'])
    op.create_table(
        'digests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('items', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', ts, nullable=False),
        sa.Column('sent_at', ts, nullable=True),
        sa.Column('message_id', sa.String(length=255), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_digests_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_digests')),
        sa.UniqueConstraint('user_id', 'period', name=op.f('uq_digests_user_id')),
    )
    op.create_table(
        'mail_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('created_at', ts, nullable=False),
        sa.Column('digest_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['digest_id'], ['digests.id'],
                                name=op.f('fk_mail_items_digest_id_digests'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_mail_items_notification_id_notifications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_mail_items_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_items')),
    )
    op.create_index('ix_mail_items_pending', 'mail_items', ['user_id', 'id'],
                    sqlite_where=sa.text("digest_id IS NULL"),
                    postgresql_where=sa.text("digest_id IS NULL"))
    op.create_index('ix_mail_items_notification', 'mail_items', ['notification_id'])
    create_trigger()


def downgrade() -> None:
    drop_trigger()
    op.drop_table('mail_items')
    op.drop_table('digests')
    op.drop_table('delivery_attempts')
    op.drop_table('deliveries')
    op.drop_table('notifications')
    op.drop_table('webhooks')
    op.drop_table('notify_queue')
    op.drop_column('users', 'digest')
    op.drop_column('users', 'email')
