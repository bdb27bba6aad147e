"""Alembic environment: runs against the connection transync hands it."""

from __future__ import annotations

from alembic import context

from sync.db.models import Base

config = context.config
connection = config.attributes.get("connection")


def run() -> None:
    if connection is None:
        from sync.db.session import get_engine

        with get_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
