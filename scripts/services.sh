#!/usr/bin/env bash
# Make sure the services the integration tests use are up: PostgreSQL and Redis on 127.0.0.1.
# Starts them when they are installed but stopped; in CI (CI=true) a missing service is an error.
set -u
ok=1
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || { echo "PostgreSQL is not running on 127.0.0.1:5432"; ok=0; }
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not running on 127.0.0.1:6379"; ok=0; }
fi
if [ "$ok" = 0 ] && [ "${CI:-}" = "true" ]; then
  echo "services missing in CI: failing" >&2
  exit 1
fi
exit 0
