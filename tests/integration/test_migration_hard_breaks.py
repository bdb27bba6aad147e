"""Migration 0009: a database scanned before hard line breaks were kept in segment texts gets
them, with the source texts its translations record, and keeps every revision; a revision an
older transync read otherwise is left alone. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from sync.config import Settings
from sync.db.migrate import head, upgrade
from sync.db.session import dispose_all, get_engine
from tests.helpers.tracking import scan
from tests.integration.test_migrations_keep_data import counts, migrate

SOURCE = "---\ntitle: Contact\n---\n\nStreet 12  \nAnkara\\\nTürkiye\n\nPlain text.\n"
OTHER = "---\ntitle: Verse\n---\n\nLine one  \nline two\n"
NEW_TEXT = "Street 12\\\nAnkara\\\nTürkiye"
OLD_TEXT = "Street 12 Ankara\\ Türkiye"  # what the scan stored before (the backslash stayed)


def segments(engine, key: str, lang: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [
            (t, s)
            for t, s in conn.execute(
                text(
                    "SELECT s.text, s.source_text FROM segments s "
                    "JOIN revisions r ON r.id = s.revision_id "
                    "JOIN versions v ON v.id = r.version_id JOIN posts p ON p.id = v.post_id "
                    "WHERE p.key = :k AND v.lang = :l ORDER BY r.number, s.position"
                ),
                {"k": key, "l": lang},
            )
        ]


def test_stored_segments_get_their_hard_breaks(settings: Settings, tmp_path: Path) -> None:
    content = tmp_path / "content"
    for lang in ("en", "tr"):
        (content / lang / "posts").mkdir(parents=True)
    (content / "en/posts/contact.md").write_text(SOURCE, encoding="utf-8")
    (content / "tr/posts/contact.md").write_text(
        "---\ntitle: İletişim\n---\n\nCadde 12  \nAnkara\\\nTürkiye\n\nDüz metin.\n",
        encoding="utf-8",
    )
    (content / "en/posts/verse.md").write_text(OTHER, encoding="utf-8")
    assert not scan(settings, content).problems
    url = settings.database_url
    engine = get_engine(url)
    assert segments(engine, "posts/contact", "en")[1] == (NEW_TEXT, None)

    # the database as an older transync left it: flattened texts; the Turkish version made
    # through transync (its segments record the source text); a verse read otherwise
    migrate(engine, url, "0008", down=True)
    with engine.begin() as conn:
        conn.execute(text("UPDATE segments SET text = :old WHERE text = :new"),
                     {"old": OLD_TEXT, "new": NEW_TEXT})  # fmt: skip
        conn.execute(
            text("UPDATE segments SET text = 'Cadde 12 Ankara\\ Türkiye' WHERE text LIKE 'Cadde%'")
        )
        conn.execute(
            text(
                "UPDATE segments SET source_text = :old WHERE text LIKE 'Cadde%' "
                "OR text = 'Düz metin.'"
            ),
            {"old": OLD_TEXT},
        )
        conn.execute(text("UPDATE segments SET text = 'Another reading' WHERE text LIKE 'Line%'"))
    before = counts(engine)
    dispose_all()

    assert upgrade(url)[1] == head()
    engine = get_engine(url)
    assert counts(engine) == before
    assert segments(engine, "posts/contact", "en") == [
        ("Contact", None),
        (NEW_TEXT, None),
        ("Plain text.", None),
    ]
    tr = segments(engine, "posts/contact", "tr")
    assert tr[1] == ("Cadde 12\\\nAnkara\\\nTürkiye", NEW_TEXT)
    # a source text that is not the changed segment's is the same text, renamed too: the
    # old text named the source segment, wherever the translation has it
    assert tr[2] == ("Düz metin.", NEW_TEXT)
    assert segments(engine, "posts/verse", "en")[1] == ("Another reading", None)


def test_a_block_read_otherwise_leaves_the_others_their_breaks(
    settings: Settings, tmp_path: Path
) -> None:
    """A page with a definition list, which an older transync read as one paragraph 'Term :
    definition': that paragraph stays as it was read, and the address above it still gets
    its breaks (the whole page was left flattened, and a write-back joined the address)."""
    content = tmp_path / "content"
    (content / "en" / "posts").mkdir(parents=True)
    (content / "en/posts/contact.md").write_text(
        SOURCE.replace("Plain text.", "Hours\n: Monday to Friday"), encoding="utf-8"
    )
    assert not scan(settings, content).problems
    url = settings.database_url
    engine = get_engine(url)
    migrate(engine, url, "0008", down=True)
    with engine.begin() as conn:
        conn.execute(text("UPDATE segments SET text = :old WHERE text = :new"),
                     {"old": OLD_TEXT, "new": NEW_TEXT})  # fmt: skip
        conn.execute(text("DELETE FROM segments WHERE kind = 'definition'"))
        conn.execute(
            text(
                "UPDATE segments SET kind = 'paragraph', text = 'Hours : Monday to Friday' "
                "WHERE kind = 'term'"
            )
        )
    dispose_all()

    assert upgrade(url)[1] == head()
    assert segments(get_engine(url), "posts/contact", "en") == [
        ("Contact", None),
        (NEW_TEXT, None),
        ("Hours : Monday to Friday", None),
    ]
