"""The schema, in SQLAlchemy 2 typed ORM: posts, versions, revisions, segments, events,
users and their web sessions, tasks, suggestions, the outbox and source cursors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A task in one of these states is open: at most one per (post, language). A ``conflict``
#: task waits for an editor (write-back found text it had not seen); it keeps its slot.
OPEN_TASK_STATES = ("queued", "claimed", "submitted", "conflict")
OPEN_STATES_SQL = "state IN ('queued', 'claimed', 'submitted', 'conflict')"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Post(Base):
    """One article in all its languages, identified by a stable key."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    source_lang: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[Version]] = relationship(back_populates="post")


class Version(Base):
    """One language edition of a post, with its origin and current revision."""

    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("post_id", "lang"), Index("ix_versions_source", "source"))

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(1024))
    origin: Mapped[str] = mapped_column(String(2048))
    external_id: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    raw_hash: Mapped[str] = mapped_column(String(64), default="")
    segment_count: Mapped[int] = mapped_column(Integer, default=0)
    date: Mapped[dt.datetime | None] = mapped_column()
    declared_source_lang: Mapped[str | None] = mapped_column(String(16))
    declared_source_hash: Mapped[str | None] = mapped_column(String(64))
    front_matter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[dt.date | None] = mapped_column(Date)
    # translations only: the source revision this version matches, and how far behind it is
    based_on_revision: Mapped[int | None] = mapped_column(Integer)
    stale_since: Mapped[dt.datetime | None] = mapped_column()
    changed_segments: Mapped[int] = mapped_column(Integer, default=0)
    added_segments: Mapped[int] = mapped_column(Integer, default=0)
    removed_segments: Mapped[int] = mapped_column(Integer, default=0)
    # translations only: how based_on_revision is known: recorded (transync saw it, or a task
    # made it), declared (source_hash), history (git), assumed (first seen, no evidence)
    baseline: Mapped[str | None] = mapped_column(String(16))
    # a placeholder the site keeps so the page exists (TRANSYNC_STUB_FIELDS, or no text at
    # all): a translation that is a stub is missing
    stub: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # words of the current revision; for a stale translation, the source words of the changed
    # and added segments (sync.words). Last, as migration 0006 added them: the columns of a
    # model are in the table's order
    words: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    stale_words: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    post: Mapped[Post] = relationship(back_populates="versions")


class Revision(Base):
    """A version's content at one revision number; its segments are kept for diffs."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("version_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # raw body: the template for write-back
    body_format: Mapped[str] = mapped_column(String(16), default="markdown")
    segment_count: Mapped[int] = mapped_column(Integer, default=0)
    # for a translation revision: the source revision it was made from, when known
    source_revision: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def revision_body(session: Any, version_id: int | None, number: int | None) -> str | None:
    """The stored body of one revision of a version; None when there is none."""
    if version_id is None or not number:
        return None
    return session.execute(
        select(Revision.body).where(Revision.version_id == version_id, Revision.number == number)
    ).scalar()


class Segment(Base):
    """One block of a revision. For translations made through transync, source_text
    records the exact source segment it translates."""

    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_revision", "revision_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))  # "meta:<field>" for front-matter fields
    text: Mapped[str] = mapped_column(Text)
    source_text: Mapped[str | None] = mapped_column(Text)
    words: Mapped[int | None] = mapped_column(Integer)  # None: not counted yet (sync.words)


class Event(Base):
    """History: a new revision, a state change, an acknowledgement, a task change."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_post", "post_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    lang: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Base):
    """A person: admin, editor or translator (translators have languages)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), default="translator")
    langs: Mapped[str] = mapped_column(String(255), default="")
    token_hash: Mapped[str | None] = mapped_column(String(255))
    token_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    ui_lang: Mapped[str | None] = mapped_column(String(16))
    # notifications (0007): where mail goes, and how often (off, daily, immediate)
    email: Mapped[str | None] = mapped_column(String(320))
    digest: Mapped[str] = mapped_column(String(16), default="daily", server_default=text("'daily'"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def languages(self) -> list[str]:
        return [x for x in self.langs.split(",") if x]


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, the table its SHA-256. Deleting the
    rows of a user signs them out everywhere at once (logout, password or role change,
    deactivation); a replayed cookie finds no row."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class Task(Base):
    """One unit of translation work: (post, target language, source revision)."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index(
            "uq_tasks_open_post_lang",
            "post_id",
            "lang",
            unique=True,
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
        # the claim's order, queued tasks only: a claim reads one index entry, not the queue
        Index(
            "ix_tasks_claim_order",
            "lang",
            text("priority DESC"),
            text("(due IS NULL)"),  # = due ASC NULLS LAST, in a form SQLite can index
            "due",
            "created_at",
            "id",
            sqlite_where=text("state = 'queued'"),
            postgresql_where=text("state = 'queued'"),
        ),
        Index("ix_tasks_post", "post_id", "lang"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    lang: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    kind: Mapped[str] = mapped_column(String(16), default="new")
    source_revision: Mapped[int] = mapped_column(Integer)
    claimed_revision: Mapped[int | None] = mapped_column(Integer)
    assignee: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column()
    priority: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[dt.date | None] = mapped_column(Date)
    source_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    # an editor's cancel: no new task for this (post, language) until the source changes
    cancelled_by_editor: Mapped[bool] = mapped_column(Boolean, default=False)
    # the source revision the task's stored suggestions were made for; None: it has none.
    # A task is due a pre-fill while this differs from source_revision.
    prefilled_revision: Mapped[int | None] = mapped_column(Integer)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    # state conflict: why write-back wrote nothing (the file changed on disk, is a symlink…),
    # and what was found there; cleared when an editor resolves it
    conflict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    submission: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    # the work in words at source_revision (sync.words), kept once done: throughput reads it.
    # Last, as migration 0006 added it: the claim's RETURNING tasks.* maps columns by place
    words: Mapped[int | None] = mapped_column(Integer)
    # saved translations of segments the source changed since they were saved (the task
    # moved to a newer revision): position -> {"text": the translation, "source": the source
    # text it translates}; offered again marked for review, never published unconfirmed.
    # Last, as migration 0010 added it.
    set_aside: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Suggestion(Base):
    """A translation-memory match for one segment of a task."""

    __tablename__ = "suggestions"
    # not unique over the text: a B-tree entry holds at most about 2,700 bytes (0002)
    __table_args__ = (Index("ix_suggestions_task", "task_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    source_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(512))


class Outbox(Base):
    """A message to publish to Celery, written in the same transaction as the change."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(String(128))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    queue: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_at: Mapped[dt.datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[dt.datetime | None] = mapped_column()


class Memory(Base):
    """Translation memory: a source segment and its translation in one language pair."""

    __tablename__ = "memory"
    __table_args__ = (
        # also the lookup index: exact matches are found by its leading columns
        UniqueConstraint("source_lang", "target_lang", "source_hash", "target_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    source_hash: Mapped[str] = mapped_column(String(16))
    target_hash: Mapped[str] = mapped_column(String(16))
    source_text: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(512))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SourceState(Base):
    """Per source: the incremental cursor, the last reconciliation and the last scan."""

    __tablename__ = "source_states"

    source: Mapped[str] = mapped_column(String(1024), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(255))
    reconciled_at: Mapped[dt.datetime | None] = mapped_column()
    last_scan_at: Mapped[dt.datetime | None] = mapped_column()
    scans: Mapped[int] = mapped_column(Integer, default=0)


# -- notifications (issue 18): webhooks, deliveries, mail -----------------------------------------


class NotifyQueue(Base):
    """Events not yet fanned out to webhooks and mail. A trigger on ``events`` (migration
    0007) adds a row in the transaction that writes the event; the fan-out deletes it in the
    transaction that writes the notifications, so each event is fanned out exactly once."""

    __tablename__ = "notify_queue"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class Webhook(Base):
    """An endpoint that receives signed deliveries (Standard Webhooks) of chosen events."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[str] = mapped_column(Text)  # comma-separated types, or "*"
    secret: Mapped[str] = mapped_column(String(128))  # whsec_…: never shown after creation
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    failing_since: Mapped[dt.datetime | None] = mapped_column()
    disabled_at: Mapped[dt.datetime | None] = mapped_column()
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class Notification(Base):
    """One event of the vocabulary that someone is told about: its body is made once, so
    every delivery and retry sends the same bytes. ``key`` makes it once per fact."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_task", "task_id"),
        Index("ix_notifications_post", "post_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[int | None] = mapped_column(Integer)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(Integer)
    lang: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Delivery(Base):
    """A notification to one webhook: pending until delivered (2xx), failed (a final
    answer, or 24 h of retries) or cancelled (the webhook was removed)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index(
            "ix_deliveries_due",
            "next_attempt_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index("ix_deliveries_webhook", "webhook_id", "id"),
        Index("ix_deliveries_notification", "notification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    first_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    lease: Mapped[str | None] = mapped_column(String(32))
    leased_until: Mapped[dt.datetime | None] = mapped_column()
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column()


class DeliveryAttempt(Base):
    """The delivery log: every attempt with its answer, latency and the next try."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (
        Index("ix_delivery_attempts_webhook", "webhook_id", "id"),
        Index("ix_delivery_attempts_delivery", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    result: Mapped[str] = mapped_column(String(16))  # delivered, retry, failed
    status: Mapped[int | None] = mapped_column(Integer)  # the HTTP status, if any
    latency_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column()


class MailItem(Base):
    """Something to tell one user by mail, waiting for their next digest (or in one)."""

    __tablename__ = "mail_items"
    __table_args__ = (
        Index(
            "ix_mail_items_pending",
            "user_id",
            "id",
            sqlite_where=text("digest_id IS NULL"),
            postgresql_where=text("digest_id IS NULL"),
        ),
        Index("ix_mail_items_notification", "notification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="SET NULL"))


class Digest(Base):
    """One mail to one user for one period: the (user, period) key makes it once, whatever
    the number of beats or workers; ``sending`` past its lease is taken over."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="sending")  # sent, empty, failed
    items: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
