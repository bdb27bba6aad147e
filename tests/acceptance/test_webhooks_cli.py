"""`transync webhooks` as a user runs it: add prints the secret once, list and log never
show it, a bad URL or event type is refused with a clear message, remove and enable work."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.test_cli import ok, run


def test_webhooks_add_list_log_remove(tmp_path: Path) -> None:
    ok(run(tmp_path, "init"))
    added = json.loads(
        ok(
            run(
                tmp_path,
                "webhooks",
                "add",
                "https://hooks.example.org/t",
                "--events",
                "task.queued,task.submitted",
                "--json",
            )
        )
    )
    secret = added["secret"]
    assert secret and added["url"] == "https://hooks.example.org/t"
    assert set(added["events"]) == {"task.queued", "task.submitted"}
    text = ok(run(tmp_path, "webhooks", "add", "https://other.example.org/x", "--events", "*"))
    assert "shown once" in text
    listed = ok(run(tmp_path, "webhooks", "list", "--json"))
    assert secret not in listed
    hooks = json.loads(listed)["webhooks"]
    assert [h["url"] for h in hooks] == [
        "https://hooks.example.org/t",
        "https://other.example.org/x",
    ]
    assert secret not in ok(run(tmp_path, "webhooks", "list"))
    log = json.loads(ok(run(tmp_path, "webhooks", "log", str(added["id"]), "--json")))
    assert secret not in json.dumps(log)
    bad = run(tmp_path, "webhooks", "add", "https://x.example.org/", "--events", "task.eaten")
    assert bad.returncode != 0 and "task.eaten" in bad.stderr and "Traceback" not in bad.stderr
    ok(run(tmp_path, "webhooks", "remove", str(added["id"])))
    remaining = json.loads(ok(run(tmp_path, "webhooks", "list", "--json")))["webhooks"]
    assert [h["url"] for h in remaining] == ["https://other.example.org/x"]
