"""The Celery side of transync: the app, its configuration and beat schedule, and thin tasks."""
