"""--lang names a configured language: any other (a typo, another case) is a wrong command
line, exit 64 with the configured languages named, never an empty answer with exit 0."""

from __future__ import annotations

import pytest

from sync.config import Settings
from tests.helpers.tracking import transync


@pytest.mark.parametrize(
    "args",
    [
        ("tasks", "--lang", "TR"),
        ("status", "--lang", "xx"),
        ("status", "--json", "--lang", "tr", "--lang", "de"),
        ("claim", "--as", "ayse", "--lang", "xx"),
        ("forecast", "--lang", "xx"),
        ("export", "--lang", "xx"),
    ],
)
def test_an_unconfigured_language_is_a_usage_error(
    settings: Settings, args: tuple[str, ...]
) -> None:
    code, out, err = transync(settings, *args)
    assert code == 64, (code, out, err)
    assert "is not configured" in err and "en, tr, ru" in err, err
    assert "Traceback" not in out + err


def test_a_configured_language_is_taken(settings: Settings) -> None:
    code, out, err = transync(settings, "tasks", "--lang", "tr", "--json")
    assert code == 0, (out, err)
