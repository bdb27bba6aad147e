"""The Alembic migrations build exactly the schema the models declare, on both databases,
and running them again changes nothing."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sync.db.migrate import upgrade
from sync.db.models import Base
from sync.db.session import get_engine


def test_migrations_match_the_models(db_url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected: skipped
        with get_engine(db_url).connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert upgrade(db_url) == ("0001", "0001")  # idempotent
