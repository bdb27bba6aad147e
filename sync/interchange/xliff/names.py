"""The names XLIFF files use: namespaces, transync's metadata, and the states a target can
be in (shared by the writer and the reader)."""

from __future__ import annotations

XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF11 = "urn:oasis:names:tc:xliff:document:1.1"
XLIFF20 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF21 = "urn:oasis:names:tc:xliff:document:2.1"
MTC = "urn:oasis:names:tc:xliff:matches:2.0"
MDA = "urn:oasis:names:tc:xliff:metadata:2.0"
TS = "urn:transync:xliff"
XML = "http://www.w3.org/XML/1998/namespace"
VERSIONS = ("1.2", "2.0")
TASK_META = "X-Transync-Task"
HASH_META = "X-Transync-Source-Hash"
NEEDS_REVIEW_12 = frozenset(
    {
        "new",
        "needs-translation",
        "needs-adaptation",
        "needs-l10n",
        "needs-review-translation",
        "needs-review-adaptation",
        "needs-review-l10n",
    }
)
DONE_20 = frozenset({"translated", "reviewed", "final"})
