"""Database adapter: the typed ORM schema, engine and sessions, and Alembic migrations."""

#: How long a SQLite connection waits for another's write lock before it gives up ("database
#: is locked"): the engines' and the quick rescan's (sync.matrixdb) alike.
BUSY_SECONDS = 60
