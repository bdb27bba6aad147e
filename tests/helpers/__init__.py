"""Test helpers: real service processes (redis-server, Celery workers and beat) and probes."""
