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

stats() {  # msgfmt --statistics for each language, when gettext is installed
  for lang in en tr ru; do
    printf '%s: ' "$lang"
    if command -v msgfmt >/dev/null; then
      msgfmt --check --statistics -o /dev/null "$DEMO/locales/$lang/LC_MESSAGES/posts.po"
    else
      echo "(install gettext for msgfmt --statistics)"
    fi
  done
}
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

step "start a Celery worker on the embedded broker (SQLite transport)"
transync worker --pool solo --loglevel warning > "$DEMO/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT
transync dispatch
sleep 3
step "transync tasks  (the queue; pre-fill ran on the worker)"
transync tasks

step "register translators"
transync translators add ayse --langs tr
transync translators add ivan --langs ru
transync translators list

step "words: what the queue holds (transync tasks --sort words), priced at TRANSYNC_WORD_RATE"
export TRANSYNC_WORD_RATE="tr=0.08,ru=0.07"
transync tasks --sort words
step "sixty days of past work, generated (examples/history.py), so the forecast has a pace"
python3 examples/history.py
step "transync forecast  (when each queue clears if nothing new arrives; docs/forecast.md)"
transync forecast

step "ayse claims the next Turkish task (highest priority first) and submits a Markdown file"
transync claim --as ayse --lang tr
transync submit 1 --as ayse examples/translations/digital-public-services.tr.md
step "ivan claims the next Russian task and submits"
transync claim --as ivan --lang ru
transync submit 2 --as ivan examples/translations/grain-corridor.ru.md
transync status

step "transync export: every language as a gettext catalog"
transync export
stats
step "the stale paragraph is fuzzy in the Russian catalog, with the old source as #| msgid"
grep -B3 -A6 '^#, fuzzy' "$DEMO/locales/ru/LC_MESSAGES/posts.po" > "$DEMO/fuzzy.txt" || true
head -24 "$DEMO/fuzzy.txt"

step "ayse does the stale energy-security task in a PO editor: transync po → translate → transync submit"
TASK=$(transync claim --as ayse --lang tr --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
transync task "$TASK" > "$DEMO/task.txt"  # (no pipe into head: pipefail would stop the demo)
head -12 "$DEMO/task.txt"
transync po "$TASK" -o "$DEMO/energy-security.tr.po"
python3 - "$DEMO/energy-security.tr.po" examples/translations/energy-security.tr.md <<'PY'
# A translator's PO editor, played by polib: fill every entry from a finished translation.
import sys, polib
from sync.frontmatter import parse_document
from sync.segments import analyze_markdown
po = polib.pofile(sys.argv[1])
meta, body, _ = parse_document(open(sys.argv[2], "rb").read(), origin=sys.argv[2])
done = [s.text for s in analyze_markdown(meta["title"], body).segments]
for entry, text in zip(po, done):
    entry.msgstr = text
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
po.save()
print(f"translated {len(done)} entries in {sys.argv[1]}")
PY
transync submit "$TASK" --as ayse "$DEMO/energy-security.tr.po"
transync export
stats
transync status
step "done: the scratch copy is in $DEMO/"
