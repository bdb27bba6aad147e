"""The matrix's text filter: a lenient search box, also for Turkish dotted and dotless I."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sync.matrix import Filters, Row


def titled(title: str) -> Row:
    return Row(
        post=SimpleNamespace(key="regional-rail"),
        source=SimpleNamespace(title=title, source="fs:content", origin="x.md"),
    )


@pytest.mark.parametrize("needle", ["Kısa", "KISA", "KİSA", "kısa", "kisa", "Kisa", "ISA N"])
def test_turkish_i_matches_in_either_case(needle: str) -> None:
    assert Filters(text=needle).keep(titled("Kısa Not: Bölgesel Demiryolunda"), [])
    assert Filters(text=needle).keep(titled("KISA NOT"), [])
    assert Filters(text=needle).keep(titled("KİSA NOT"), [])


def test_the_text_filter_still_filters() -> None:
    assert not Filters(text="kasa").keep(titled("Kısa Not"), [])
    assert not Filters(text="İstanbul").keep(titled("Kısa Not"), [])
    assert Filters(text="İSTANBUL").keep(titled("Why istanbul grew"), [])
    assert Filters(text="STRASSE").keep(titled("Die Straße"), [])  # casefold still applies
    assert Filters(text="rail").keep(titled("Kısa Not"), [])  # the key counts too


def test_the_doctests() -> None:
    import doctest

    import sync.matrix

    assert doctest.testmod(sync.matrix).failed == 0
