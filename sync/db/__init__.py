"""Database adapter: the typed ORM schema, engine and sessions, and Alembic migrations."""
