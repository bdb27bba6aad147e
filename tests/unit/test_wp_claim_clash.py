"""A WordPress site's own words for two posts in one language of one translation group."""

from __future__ import annotations

from sync.sources import open_source
from tests.conftest import make_settings


def test_a_wordpress_clash_says_what_to_mend_in_wordpress() -> None:
    """Two posts of one translation group in one language: the tracker's message comes from
    the site (a content tree's would say to give each file a translationKey)."""

    site = open_source("wp:https://example.org", make_settings("sqlite://"))
    said = str(site.claim_clash("wp-4", "tr", ["https://example.org/a/", "https://example.org/b/"]))
    assert "2 posts in tr in https://example.org" in said and "translation group" in said
    assert "translationKey" not in said
