"""A WXR problem's reason is a translatable Text: the English as before, and a message id
that holds nothing of the item (its number, line, post id, language, the file's path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.i18n import Text, localize
from sync.sources.base import Problem
from sync.sources.wxr import read_wxr

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
)
ITEM = "item %(n)d at line %(line)d of %(file)s (wp:post_id %(post_id)s): %(problem)s"


def item(post_id: int, extra: str = "", title: str = "Hello") -> str:
    return (
        "<item>\n"
        f"<title>{title}</title>\n"
        f"<link>https://example.org/p{post_id}/</link>\n"
        f"<wp:post_id>{post_id}</wp:post_id>\n"
        "<wp:status>publish</wp:status>\n"
        "<wp:post_type>post</wp:post_type>\n"
        "<content:encoded><![CDATA[<p>Body</p>]]></content:encoded>\n"
        f"{extra}"
        "</item>\n"
    )


def problems(path: Path) -> list[Problem]:
    found = read_wxr(path, source=f"wxr:{path}", languages=("en", "tr", "ru"))
    return [f for f in found if isinstance(f, Problem)]


def write(tmp_path: Path, body: str, *, end: bool = True) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(HEAD + body + ("</channel>\n</rss>\n" if end else ""), encoding="utf-8")
    return path


def all_texts(value: object) -> list[Text]:
    """A Text and the Texts among its parameters, nested."""
    if not isinstance(value, Text):
        return []
    found = [value]
    for param in value.params.values():
        found += all_texts(param)
    return found


def assert_no_item_data(reason: str, *data: str) -> None:
    assert isinstance(reason, Text)
    for text in all_texts(reason):
        for value in data:
            assert value not in text.msgid, (value, text.msgid)
            if text.plural is not None:
                assert value not in text.plural


def test_a_missing_language_is_a_text_with_the_item_as_parameters(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        item(12, '<category domain="language" nicename="en"><![CDATA[English]]></category>\n')
        + item(4321),
    )
    [problem] = problems(path)
    reason = problem.reason
    assert reason == (
        f"item 2 at line {problem.line} of {path} (wp:post_id 4321): it has no language (no "
        "Polylang language category, no _wpml_import_language_code meta); assign one in "
        "WordPress and export again, or, for a site in one language, set "
        "TRANSYNC_WP_DEFAULT_LANG"
    )
    assert_no_item_data(reason, "4321", str(path), f"line {problem.line}", "item 2")
    assert isinstance(reason, Text)
    assert reason.msgid == ITEM
    assert reason.params["post_id"] == "4321"
    assert isinstance(reason.params["problem"], Text)  # the reason itself, translatable too


def test_an_element_inside_a_field_is_a_nested_text(tmp_path: Path) -> None:
    path = write(tmp_path, item(77, title="Hello <b>world</b>"))
    [problem] = problems(path)
    assert "<title> (line" in problem.reason and "holds the element <b>" in problem.reason
    assert_no_item_data(problem.reason, "77", "<title>", "<b>", str(path))


def test_an_item_with_no_post_type(tmp_path: Path) -> None:
    body = item(55).replace("<wp:post_type>post</wp:post_type>\n", "")
    [problem] = problems(write(tmp_path, body))
    assert problem.reason.endswith(
        "it has no <wp:post_type>, so it is not known to be a post; export it again with "
        "Tools → Export"
    )
    assert_no_item_data(problem.reason, "55", "item 1")


def test_a_truncated_export_is_a_fatal_text(tmp_path: Path) -> None:
    path = write(tmp_path, item(9)[:-40], end=False)
    *_, last = problems(path)
    assert last.fatal
    assert last.reason.startswith("malformed WXR: ")
    assert_no_item_data(last.reason, str(path), f"line {last.line}")
    assert isinstance(last.reason, Text)
    assert last.reason.params["line"] == last.line


@pytest.mark.parametrize("lang", ["tr", "ru"])
def test_a_reason_is_localized_with_its_parameters(tmp_path: Path, lang: str) -> None:
    path = write(
        tmp_path,
        item(8),
    )
    [problem] = problems(path)
    said = {
        ITEM: f"[{lang}] %(file)s %(line)d %(n)d %(post_id)s: %(problem)s",
        "it has no language (no Polylang language category, no %(meta)s meta); assign one "
        "in WordPress and export again, or, for a site in one language, set "
        "TRANSYNC_WP_DEFAULT_LANG": f"[{lang}] %(meta)s",
    }
    out = localize(problem.reason, lambda m: said.get(m, m), None)
    assert out == f"[{lang}] {path} {problem.line} 1 8: [{lang}] _wpml_import_language_code"
