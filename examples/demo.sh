#!/usr/bin/env bash
# The demo: the whole job on the embedded default (SQLite + Celery's SQLAlchemy transport).
# Works on a scratch copy in .demo/ so the examples stay untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=.demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
cp -r examples/content "$DEMO/content"
export TRANSYNC_DATABASE_URL="sqlite:///$DEMO/transync.db"
export TRANSYNC_BROKER_URL="sqla+sqlite:///$DEMO/broker.db"
export TRANSYNC_LOCALES_DIR="$DEMO/locales"
export TRANSYNC_SOURCES="fs:$DEMO/content"
export COLUMNS="${COLUMNS:-140}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "transync init"
transync init
step "transync scan $DEMO/content"
transync scan
step "transync status"
transync status

step "an editor changes the second paragraph of energy-security (English source)"
python3 - "$DEMO/content/en/posts/energy-security.md" examples/demo-edit.txt <<'PY'
import sys
path, edit = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8").read()
new = open(edit, encoding="utf-8").read().strip()
paras = text.split("\n\n")
i = next(i for i, p in enumerate(paras) if p.startswith("Offshore gas"))
paras[i] = new
open(path, "w", encoding="utf-8").write("\n\n".join(paras))
PY
step "transync scan (again)"
transync scan
step "transync status"
transync status
step "transync diff energy-security tr"
transync diff energy-security tr

if [ -f examples/demo-more.sh ]; then
  source examples/demo-more.sh
fi
step "done: the scratch copy is in $DEMO/"
