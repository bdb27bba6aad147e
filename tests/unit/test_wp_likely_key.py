"""The key a WordPress post is read ahead under (sync.sources.wordpress.listing._likely_key),
before every page is in and the groups are known; and that a wrong guess is mended."""

from __future__ import annotations

from sync.sources.base import Document
from sync.sources.wordpress.listing import _likely_key
from sync.sources.wordpress.posts import _Posts, _raw_hash


def post(post_id: int, **translations: int) -> dict[str, object]:
    return {"id": post_id, "lang": "en", "translations": {"en": post_id, **translations}}


def test_a_new_group_is_guessed_by_its_first_id() -> None:
    assert _likely_key(post(12, tr=10, ru=14), {}, frozenset()) == "wp-10"
    assert _likely_key({"id": 7}, {}, frozenset()) == "wp-7"  # no translations


def test_a_translation_the_tracker_holds_gives_its_key() -> None:
    keys = {10: "energy-report", 14: "other"}
    assert _likely_key(post(12, tr=10, ru=14), keys, frozenset(keys.values())) == "energy-report"


def test_a_taken_key_is_no_guess() -> None:
    assert _likely_key(post(12, tr=10), {}, frozenset({"wp-10"})) == ""


def test_a_wrong_guess_gets_the_hash_of_the_right_key() -> None:
    item = {"id": 12, "date_gmt": "2026-01-02T03:04:05"}
    meta = {"status": "publish", "type": "post", "slug": "s"}
    doc = Document(
        source="wp:x",
        origin="https://x/?p=12",
        key="",
        lang="en",
        title="T",
        body="<p>B</p>",
        body_format="html",
        front_matter=meta,
    )
    guessed = _Posts.rekeyed(doc, item, "wp-10")
    right = _Posts.rekeyed(guessed, item, "wp-11")
    assert right.key == "wp-11"
    assert right.raw_hash == _raw_hash(
        "wp-11", "en", "publish", "post", "s", "https://x/?p=12", item["date_gmt"], "T", "<p>B</p>"
    )
    assert right.raw_hash != guessed.raw_hash
    assert _Posts.rekeyed(right, item, "wp-11") is right  # the right key: nothing made again
