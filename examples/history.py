"""Generate sixty days of past translation work for the demo, so that `transync forecast`
has a pace to measure: finished tasks of the demo's posts, by its translators, with their
words and times. Seeded, so every demo shows the same history; each generated task says so
in its progress (``{"generated": "examples/history.py"}``).

    python examples/history.py [--days 60] [--seed 19]

Reads TRANSYNC_DATABASE_URL like every command. Translators must exist (ayse: Turkish, ivan:
Russian, as the demo registers them). Not for a real database: it invents the past.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random

from sqlalchemy import select

from sync.config import load_settings
from sync.db.models import Post, Task, User, utcnow
from sync.db.session import transaction

PACE = {"ayse": 900, "ivan": 700}  # words on a working day


def generate(days: int, seed: int) -> int:
    settings = load_settings()
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    today = now.date()
    made = 0
    with transaction(settings.database_url) as session:
        posts = session.execute(select(Post.id, Post.source_lang)).all()
        people = session.execute(select(User.name, User.langs).where(
            User.active.is_(True), User.role == "translator")).all()
        for name, langs in people:
            pace = PACE.get(name, 800)
            for lang in [x for x in langs.split(",") if x]:
                candidates = [pid for pid, source in posts if source != lang]
                if not candidates:
                    continue
                start = today - dt.timedelta(days=days - 1)
                owed = 0.0
                for offset in range(days - 1):  # up to yesterday
                    day = start + dt.timedelta(days=offset)
                    if day.weekday() >= 5 or rng.random() < 0.08:
                        continue  # weekends, and the odd day off
                    owed += pace * rng.lognormvariate(0, 0.3)
                    while owed > 0:
                        words = int(min(2500, max(60, rng.lognormvariate(math.log(450), 0.6))))
                        owed -= words
                        finished = dt.datetime.combine(
                            day, dt.time(rng.randint(9, 17), rng.randint(0, 59)), dt.UTC)
                        claimed = finished - dt.timedelta(hours=rng.uniform(2, 30))
                        created = claimed - dt.timedelta(hours=rng.uniform(1, 72))
                        session.add(Task(
                            post_id=rng.choice(candidates), lang=lang, state="done",
                            kind=rng.choice(("new", "update")), source_revision=1,
                            claimed_revision=1, assignee=name, words=words,
                            created_at=created, updated_at=finished, claimed_at=claimed,
                            finished_at=finished, progress={"generated": "examples/history.py"}))
                        made += 1
    return made


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--days", type=int, default=60)
    p.add_argument("--seed", type=int, default=19)
    args = p.parse_args()
    n = generate(args.days, args.seed)
    print(f"generated {n} finished tasks over the last {args.days} days (examples/history.py)")


if __name__ == "__main__":
    main()
