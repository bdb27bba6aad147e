"""What a scan read and changed: its report, as the command line prints it and `scan
--json` gives it. Pure: a no-change rescan makes one without the database layer
(sync.quickscan)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.sources.base import SKIP_REASONS, Problem


@dataclass
class ScanReport:
    """What a scan read and changed."""

    sources: list[str] = field(default_factory=list)
    files: int = 0
    unchanged: int = 0
    new_posts: int = 0
    new_versions: int = 0
    new_revisions: int = 0
    deleted: int = 0
    restored: int = 0
    state_changes: int = 0
    problems: list[Problem] = field(default_factory=list)
    touched_posts: set[int] = field(default_factory=set)
    failed_sources: set[str] = field(default_factory=set)  # unreadable: nothing applied
    #: (post, language) of versions that appeared, changed or went away in this scan
    revised: set[tuple[int, str]] = field(default_factory=set)
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))
    #: how the based-on revisions of translations first seen in this scan are known
    baselines: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "files": self.files,
            "unchanged": self.unchanged,
            "new_posts": self.new_posts,
            "new_versions": self.new_versions,
            "new_revisions": self.new_revisions,
            "deleted": self.deleted,
            "restored": self.restored,
            "state_changes": self.state_changes,
            "skipped": dict(self.skipped),
            "baselines": dict(sorted(self.baselines.items())),
            "errors": [
                {"origin": p.origin, "line": p.line, "reason": p.reason, "source": p.source}
                for p in self.problems
            ],
        }
