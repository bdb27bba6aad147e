"""The UI's own catalogs (domain transync): complete in Turkish and Russian, placeholders
intact, in step with the templates and code, compiled, and used by every page."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from sync.db.session import transaction
from sync.queue import claim
from sync.scanning import run_scan
from sync.web.i18n import UI_LOCALES
from tests.conftest import ROOT
from tests.web.site import Site, change_energy_source

LANGS = ("tr", "ru")


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with (UI_LOCALES / lang / "LC_MESSAGES" / "transync.po").open("rb") as f:
        return read_po(f, locale=lang, domain="transync")


def message_ids(cat) -> set:  # type: ignore[no-untyped-def]
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in cat if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_is_complete_and_its_placeholders_match(lang: str) -> None:
    cat = catalog(lang)
    assert len(message_ids(cat)) > 150
    for m in cat:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"{lang}: untranslated {m.id!r}"
        assert not m.fuzzy, f"{lang}: fuzzy {m.id!r}"
    problems = [(m.id, errors) for m, errors in cat.check() if errors]
    assert problems == []
    if lang == "ru":
        assert cat.num_plurals == 3


def test_catalogs_are_in_step_with_the_sources() -> None:
    """Every marked string of the templates and code is in the catalogs, and nothing else:
    run `pybabel extract` and `pybabel update` (see babel.cfg) when this fails."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={
            "_": None,
            "gettext": None,
            "ngettext": (1, 2),
            "N_": None,
            "t_": None,
            "nt_": (1, 2),
        },
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    for lang in ("en", *LANGS):
        ids = message_ids(catalog(lang))
        assert sorted(map(str, found - ids)) == [], f"{lang}: not in the catalog"
        assert sorted(map(str, ids - found)) == [], f"{lang}: no longer used"


@pytest.mark.parametrize("lang", ("en", *LANGS))
def test_compiled_catalogs_are_current(lang: str) -> None:
    buf = io.BytesIO()
    write_mo(buf, catalog(lang), use_fuzzy=False)
    mo = UI_LOCALES / lang / "LC_MESSAGES" / "transync.mo"
    assert mo.read_bytes() == buf.getvalue(), "run: pybabel compile -D transync -d locales"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is missing")
@pytest.mark.parametrize("lang", ("en", *LANGS))
def test_msgfmt_check(lang: str) -> None:
    po = UI_LOCALES / lang / "LC_MESSAGES" / "transync.po"
    subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)], check=True)


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_renders_in(lang: str, site: Site) -> None:
    """A translation whose placeholders do not fit would fail here, on a real page."""
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    with transaction(site.settings.database_url) as session:
        claim(session, site.settings, "ayse", "tr")
    root = site.login("root", headers={"Accept-Language": lang})
    for path in (
        "/",
        "/posts/energy-security",
        "/tasks?lang=tr",
        "/review",
        "/my",
        "/account",
        "/users",
        "/tasks/1",
        "/no/such/page",
        "/?state=nothing",
    ):
        page = root.get(path)
        assert page.status_code in (200, 404, 422), (path, page.status_code)
        assert f'<html lang="{lang}">' in page.text, path
    ayse = site.login("ayse", headers={"Accept-Language": lang})
    for path in ("/my", "/tasks/1"):
        assert ayse.get(path).status_code == 200
    page = root.get("/").text
    assert {"tr": "Durum", "ru": "Состояние"}[lang] in page
    assert {"tr": "%67 güncel", "ru": "актуально 67%"}[lang] in page  # tr: 4 of 6 current


def _error_classes() -> list[type]:
    import sync.people  # noqa: F401 - its errors (UserExists, LastAdmin) are subclasses too
    import sync.web.auth  # noqa: F401 - CSRFError
    from sync.errors import TransyncError

    found, todo = [], [TransyncError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return [
        c
        for c in found
        if c.__module__.startswith("sync.")
        and c.__module__.rsplit(".", 1)[0] in ("sync", "sync.web")
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_errors_default_messages_are_translated(lang: str) -> None:
    """An error raised without a message says its docstring (babel.cfg's extractor finds
    it), in the reader's language on a page."""
    from sync.i18n import Text

    ids = message_ids(catalog(lang))
    for cls in _error_classes():
        message = cls().message
        assert isinstance(message, Text), cls
        assert message.msgid in ids, f"{lang}: {cls.__name__}'s default message"
