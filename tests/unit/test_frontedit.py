"""Tests for sync.frontedit: front matter edited in place, string leaves, key lines."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sync.frontedit.keylines
import sync.frontedit.leaves
from sync.errors import FrontMatterError
from sync.frontedit import edit_document, key_lines, replace_leaves, string_leaves
from sync.frontmatter import parse_document

DATA = Path(__file__).parent.parent / "data" / "frontmatter"
YAML_POST = (DATA / "hugo-post.yaml.md").read_text(encoding="utf-8")
TOML_POST = (DATA / "hugo-post.toml.md").read_text(encoding="utf-8")
JSON_POST = (DATA / "hugo-post.json.md").read_text(encoding="utf-8")
PLAIN_POST = (DATA / "no-front-matter.md").read_text(encoding="utf-8")
POSTS = {"yaml": YAML_POST, "toml": TOML_POST, "json": JSON_POST}

TRICKY = [
    "Enerji: şebekenin ihtiyacı",
    "Энергия: что нужно сети",
    "İĞÜŞÖÇ ığüşöç — «кавычки» и „Anführung“",
    "She said \"yes\" and 'no'",
    "yes",
    "no",
    "on",
    "null",
    "~",
    "true",
    "0777",
    "1:30",
    "1e3",
    ".5",
    "2024-03-01",
    "2019-03-05T10:00:00+03:00",
    "# not a comment",
    "value # with a hash",
    "- a leading dash",
    "-",
    "? question",
    ": colon first",
    "key: value",
    "trailing colon:",
    '{{< shortcode param="x" >}}',
    "{{% notice %}}Text{{% /notice %}}",
    "[link](/en/page/) and [x]",
    "@mention `code` %percent !bang &amp *star | pipe > gt",
    "",
    " leading space",
    "trailing space ",
    "line one\nline two",
    "line one\n\nparagraph two\n",
    "\nstarts with a newline",
    "ends with newlines\n\n",
    "  indented\nlines",
    "tab\there",
    "back\\slash \\n not a newline",
    "'''triple''' \"\"\"quotes\"\"\"",
    "emoji 🎉 and CJK 漢字",
    "nbsp\u00a0and\u202fnarrow",
    "bom\ufeffinside",
    "control\x07bell\x1b",
    "line sep\u2028para sep\u2029nel\x85",
    "cr\rinside",
    "a" * 500,
]


def parse(text: str) -> dict[str, Any]:
    return parse_document(text.encode("utf-8"), origin="post.md")[0]


def body_of(text: str) -> str:
    return parse_document(text.encode("utf-8"), origin="post.md")[1]


def assert_edited(
    before: str, after: str, set_values: dict[str, Any], remove: tuple[str, ...] = ()
) -> None:
    """Untouched keys read as before, set keys as set, removed keys are gone, body unchanged."""
    old, new = parse(before), parse(after)
    for key, value in old.items():
        if key not in set_values and key not in remove:
            assert new[key] == value, key
    for key, value in set_values.items():
        assert new[key] == value, key
    for key in remove:
        assert key not in new
    assert set(new) == (set(old) | set(set_values)) - set(remove)


def key_block(text: str, key: str) -> str:
    """The lines of top-level ``key`` (its line up to the next key's or the closing line)."""
    lines = text.split("\n")
    where = key_lines(text)
    start = where[key]
    after = [line for line in where.values() if line > start]
    close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == lines[0].rstrip()) + 1
    end = min(after) if after else close
    return "\n".join(lines[start - 1 : end - 1])


# --- YAML ----------------------------------------------------------------------------------


def translated_cards() -> list[dict[str, Any]]:
    cards = parse(YAML_POST)["cards"]
    texts = [
        "Depolama",
        "Piller, pompalı hidro ve ısı.",
        "battery.svg",
        "Talep: diğer yarı",
        "Talebi kaydırmak\nyeni arz kurmaktan ucuzdur.\n",
        "clock.svg",
    ]
    return replace_leaves(cards, texts)


def test_yaml_translation_keeps_everything_else_byte_for_byte() -> None:
    set_values = {
        "title": "Enerji: şebekenin ihtiyacı",
        "description": 'Akıllı şebekeler için "kısa" bir rehber # yorum değil',
        "summary": "Şebeke neden depolamaya ihtiyaç duyar\nve maliyeti nedir.",
        "cards": translated_cards(),
        "source_hash": "3f2a9c",
    }
    after = edit_document(YAML_POST, set_values=set_values, remove=["untranslated"])
    assert_edited(YAML_POST, after, set_values, ("untranslated",))
    assert body_of(after) == body_of(YAML_POST)
    assert after.endswith(YAML_POST.split("\n---\n", 1)[1])  # the body, byte for byte
    for key in ("date", "lastmod", "aliases", "tags", "categories", "params", "menu", "weight"):
        assert key_block(after, key) == key_block(YAML_POST, key), key
    assert "date: 2019-03-05T10:00:00+03:00\n" in after
    assert "# Front matter of a Hugo post" in after
    assert "# reading time is computed" in after
    assert "untranslated" not in after and "set by the importer" not in after
    # the new value keeps the old one's quoting, and the cards keep their comment and layout
    assert "\ndescription: 'Akıllı şebekeler için \"kısa\" bir rehber # yorum değil'\n" in after
    assert "    # icons live in static/icons\n    icon: battery.svg\n" in after
    assert "  - title: Depolama\n" in after
    assert "    description: |\n      Talebi kaydırmak\n" in after
    assert after.split("\n---\n")[0].endswith("\nsource_hash: 3f2a9c")


def test_yaml_keys_keep_their_position() -> None:
    after = edit_document(YAML_POST, set_values={"title": "Yeni", "weight": 4, "zzz": 1})
    keys = list(parse(after))
    assert keys == [*parse(YAML_POST), "zzz"]


def test_setting_the_same_values_changes_nothing() -> None:
    for text in (YAML_POST, TOML_POST):
        same = parse(text)
        assert edit_document(text, set_values=same) == text
        assert edit_document(text) == text
        assert edit_document(text, remove=["no-such-key"]) == text


def test_yaml_list_of_other_length_and_other_shape() -> None:
    set_values = {
        "aliases": ["/old/energy/", "/2019/03/energy.html", "/tr/enerji/"],
        "categories": [],
        "tags": "energy",
        "params": {"author": "Ada", "hero": {"alt": "Alacakaranlıkta hatlar"}},
        "cards": [{"title": "Tek kart"}],
    }
    after = edit_document(YAML_POST, set_values=set_values)
    assert_edited(YAML_POST, after, set_values)
    assert "/2019/03/energy.html   # the WordPress address" in after


def test_removing_a_key_keeps_the_comment_and_blank_line_around_it() -> None:
    text = "---\ntitle: A\n\nuntranslated: true\n\n# SEO\ndescription: B\n---\nBody\n"
    assert edit_document(text, remove=["untranslated"]) == (
        "---\ntitle: A\n\n# SEO\ndescription: B\n---\nBody\n"
    )


def test_new_nested_values_are_block_style() -> None:
    text = "---\ntitle: A\n---\n"
    after = edit_document(
        text,
        set_values={"cards": [{"title": "T", "tags": ["x", "y"]}], "menu": {"main": {"weight": 2}}},
    )
    assert parse(after)["cards"] == [{"title": "T", "tags": ["x", "y"]}]
    assert "{" not in after and "[" not in after


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("kind", ["yaml", "toml", "json"])
def test_text_values_read_back_exactly(kind: str, value: str) -> None:
    text = POSTS[kind]
    cards = parse(text)["cards"]
    set_values = {
        "title": value,
        "description": value,
        "linkTitle": value,
        "new_field": value,
        "cards": replace_leaves(cards, [value] * len(string_leaves(cards))),
    }
    after = edit_document(text, set_values=set_values)
    assert_edited(text, after, set_values)
    assert body_of(after) == body_of(text)


def test_unicode_is_written_as_is() -> None:
    after = edit_document(YAML_POST, set_values={"title": "Энергия: что нужно сети 🎉"})
    assert 'title: "Энергия: что нужно сети 🎉"\n' in after
    after = edit_document(TOML_POST, set_values={"title": "Şebeke «ağ»"})
    assert 'title = "Şebeke «ağ»"\n' in after


def test_long_strings_are_not_folded() -> None:
    long = " ".join(["kelime"] * 200)
    after = edit_document(YAML_POST, set_values={"linkTitle": long, "new": long})
    assert f"linkTitle: {long}\n" in after and f"new: {long}\n" in after


def test_flow_mapping_front_matter_is_rewritten() -> None:
    text = "---\n{title: A, tags: [x, y]}\n---\nBody\n"
    after = edit_document(text, set_values={"title": "Б"})
    assert parse(after) == {"title": "Б", "tags": ["x", "y"]}
    assert after.endswith("---\nBody\n")


def test_empty_and_comment_only_front_matter() -> None:
    assert parse(edit_document("---\n---\nBody\n", set_values={"a": 1})) == {"a": 1}
    after = edit_document("---\n# only a comment\n---\nBody\n", set_values={"a": "x"})
    assert after == "---\n# only a comment\na: x\n---\nBody\n"


def test_numbers_read_back_as_numbers() -> None:
    values = {"ratio": 1e-05, "big": 1e20, "n": 10**20, "inf": float("inf"), "neg": -0.5}
    after = edit_document("---\ntitle: A\n---\n", set_values=values)
    assert parse(after) == {"title": "A", **values}
    assert "ratio: 1.0e-05\n" in after  # YAML 1.1 readers need the dot


def test_only_the_last_value_pays_for_a_final_line_break() -> None:
    text = "---\ntitle: A\nsummary: B\n---\nBody\n"
    value = "Birinci satır\n\nikinci paragraf\n"
    after = edit_document(text, set_values={"title": value, "summary": value})
    assert "title: |\n  Birinci satır\n\n  ikinci paragraf\nsummary: " in after
    assert 'summary: "Birinci satır\\n\\nikinci paragraf\\n"\n---\n' in after
    assert parse(after) == {"title": value, "summary": value}


def test_yaml_line_breaks_other_than_lf_in_untouched_values() -> None:
    text = "---\na: \"x\u2028y\"  # LS inside\nb: 'z\x85w'\nc: 1\n---\nBody\n"
    after = edit_document(text, set_values={"c": 2, "d": "\u2028"})
    assert after.startswith("---\na: \"x\u2028y\"  # LS inside\nb: 'z\x85w'\nc: 2\n")
    assert parse(after) == {**parse(text), "c": 2, "d": "\u2028"}


def test_a_repeated_key_keeps_the_value_parse_document_reads() -> None:
    text = "---\naliases:\n  - /a/\ntitle: A\naliases: [/b/]\n---\nBody\n"
    after = edit_document(text, set_values={"title": "B"})
    assert after == "---\ntitle: B\naliases: [/b/]\n---\nBody\n"
    after = edit_document(text, set_values={"aliases": ["/c/"]})
    assert parse(after) == {"title": "A", "aliases": ["/c/"]}


# --- TOML ----------------------------------------------------------------------------------


def test_toml_translation_keeps_everything_else() -> None:
    cards = parse(TOML_POST)["cards"]
    set_values = {
        "title": "Enerji: şebekenin ihtiyacı",
        "linkTitle": "Enerji",
        "description": 'Akıllı şebekeler için\n"kısa" bir rehber.',
        "cards": replace_leaves(cards, ["Depolama", "Piller.", "Talep", "Talebi kaydırmak."]),
        "params": {**parse(TOML_POST)["params"], "summary": "Neden depolama?"},
        "source_hash": "3f2a9c",
    }
    after = edit_document(TOML_POST, set_values=set_values, remove=["untranslated"])
    assert_edited(TOML_POST, after, set_values, ("untranslated",))
    assert after.endswith(TOML_POST.split("\n+++\n", 1)[1])
    assert "date = 2019-03-05T10:00:00+03:00\n" in after
    assert "lastmod = 2019-04-01\n" in after
    assert "linkTitle = 'Enerji'\n" in after  # a literal string stays literal
    assert 'description = """\nAkıllı şebekeler için\n"kısa" bir rehber."""\n' in after
    assert 'title = "Depolama" # first card\n' in after
    assert '  "/2019/03/energy.html", # the WordPress address\n' in after
    assert "untranslated" not in after
    assert 'source_hash = "3f2a9c"\n\n[params]' in after  # a top-level key, before the tables
    assert "[params.hero]\nimage" in after and "[menu.main]\nparent" in after


def test_toml_has_no_null() -> None:
    with pytest.raises(ValueError, match="TOML has no null"):
        edit_document(TOML_POST, set_values={"title": None})


def test_toml_implicit_tables() -> None:
    text = "+++\ntitle = 'A'\n[site.params]\nx = 1\n[site.menu]\ny = 2\n+++\nBody\n"
    set_values = {"site": {"params": {"x": 3}}, "title": "B"}
    after = edit_document(text, set_values=set_values)
    assert parse(after) == set_values


def test_toml_other_shapes() -> None:
    set_values = {
        "aliases": ["/x/"],
        "cards": [{"title": "Tek"}],
        "tags": "enerji",
        "menu": {"main": {"weight": 1}},
        "extra": {"a": [1, 2]},
    }
    after = edit_document(TOML_POST, set_values=set_values)
    assert_edited(TOML_POST, after, set_values)


# --- JSON ----------------------------------------------------------------------------------


def test_json_translation_keeps_keys_in_order_and_the_indentation() -> None:
    set_values = {
        "title": "Enerji: şebekenin ihtiyacı",
        "cards": replace_leaves(parse(JSON_POST)["cards"], iter(lambda: "Kart", None)),
        "source_hash": "0123456789abcdef",
    }
    after = edit_document(JSON_POST, set_values=set_values, remove=["untranslated"])
    assert_edited(JSON_POST, after, set_values, ("untranslated",))
    assert list(parse(after)) == [k for k in parse(JSON_POST) if k != "untranslated"] + [
        "source_hash"
    ]
    assert after.startswith('{\n    "title": "Enerji: şebekenin ihtiyacı",\n    "linkTitle"')
    assert '\n    "source_hash": "0123456789abcdef"\n}\n\nThe grid' in after
    assert body_of(after) == body_of(JSON_POST)
    assert edit_document(JSON_POST, set_values={"draft": False}) == JSON_POST


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (
            '{"title": "A", "n": [1, 2]}\nBody\n',
            '{\n  "title": "B",\n  "n": [\n    1,\n    2\n  ]\n}\nBody\n',
        ),
        ('{\n\t"title": "A"\n}   \nBody\n', '{\n\t"title": "B"\n}   \nBody\n'),
        ('{\r\n "title": "A"\r\n}\r\nBody\r\n', '{\r\n "title": "B"\r\n}\r\nBody\r\n'),
        ('{"title": "A"}', '{\n  "title": "B"\n}'),
    ],
)
def test_json_is_written_with_the_files_indentation_or_two_spaces(text: str, written: str) -> None:
    assert edit_document(text, set_values={"title": "B"}) == written


def test_json_body_after_the_closing_brace_on_its_line() -> None:
    text = '{"title": "A"} Body\n'
    assert parse_document(text.encode(), origin="p.md") == ({"title": "A"}, " Body\n", 1)
    assert edit_document(text, set_values={"title": "B"}, body="Yeni") == (
        '{\n  "title": "B"\n}\nYeni\n'
    )


def test_json_cannot_hold_every_value() -> None:
    with pytest.raises(ValueError, match="JSON front matter"):
        edit_document(JSON_POST, set_values={"date": datetime(2024, 3, 1, tzinfo=UTC)})


def test_a_shortcode_opening_the_file_is_no_json_front_matter() -> None:
    text = '{{< figure src="a.png" >}}\n\nMetin.\n'
    after = edit_document(text, set_values={"title": "T"})
    assert after == "---\ntitle: T\n---\n" + text
    assert key_lines(text) == {}


# --- documents without front matter, bodies, line endings -----------------------------------


def test_no_front_matter_gets_yaml() -> None:
    after = edit_document(PLAIN_POST, set_values={"title": "Başlık: bir", "source_hash": "ab"})
    assert after == "---\ntitle: 'Başlık: bir'\nsource_hash: ab\n---\n" + PLAIN_POST
    assert body_of(after) == PLAIN_POST
    assert edit_document(PLAIN_POST) == PLAIN_POST
    assert edit_document(PLAIN_POST, remove=["title"]) == PLAIN_POST


def test_body_replaced_with_exactly_one_final_newline() -> None:
    for text in (YAML_POST, TOML_POST, JSON_POST, PLAIN_POST):
        for body in ("Yeni metin.", "Yeni metin.\n", "Yeni metin.\n\n\n", "Yeni\r\nmetin.\r\n"):
            after = edit_document(text, body=body)
            assert body_of(after) in ("Yeni metin.\n", "Yeni\nmetin.\n")
            assert after.endswith("metin.\n") and not after.endswith("\n\n")
            assert parse(after) == parse(text)
        assert body_of(edit_document(text, body="")) == ""
    assert edit_document("---\na: 1\n---", body="B") == "---\na: 1\n---\nB\n"
    assert edit_document("---\na: 1\n---", body="") == "---\na: 1\n---\n"


@pytest.mark.parametrize("kind", ["yaml", "toml", "plain"])
def test_crlf_stays_crlf(kind: str) -> None:
    text = {"yaml": YAML_POST, "toml": TOML_POST, "plain": PLAIN_POST}[kind]
    crlf = text.replace("\n", "\r\n")
    set_values = {"title": "Энергия\nсети", "source_hash": "ab"}
    if kind != "plain":
        set_values["cards"] = replace_leaves(parse(text)["cards"], iter(lambda: "Kart", None))
    after = edit_document(crlf, set_values=set_values, remove=["untranslated"], body="Yeni\nmetin")
    assert "\n" not in after.replace("\r\n", "")
    assert after.endswith("\r\nYeni\r\nmetin\r\n")
    assert_edited(text, after, set_values, ("untranslated",) if kind != "plain" else ())
    unchanged = edit_document(crlf, set_values={"draft": True})
    assert unchanged.endswith(crlf.split("---\r\n" if kind == "yaml" else "+++\r\n")[-1])


def test_bom_is_kept() -> None:
    after = edit_document("\ufeff" + YAML_POST, set_values={"title": "T"})
    assert after.startswith("\ufeff---\n") and parse(after)["title"] == "T"


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("---\ntitle: A\ntags: [x\ndraft: true\n---\nBody\n", 4),
        ("---\ntitle: A\n  bad: indent\n---\n", 3),
        ("---\ntitle: A\n", 1),
        ("+++\ntitle = 'A'\ntags = [\n+++\n", 4),
        ("---\n- a list\n---\n", 2),
        ("---\nx: &a 1\ny: *a\n---\n", 2),
        ('{\n  "title": "A",\n  "tags": ["x",]\n}\nBody\n', 3),
        ('{\n  "title": "A"\n', 3),
    ],
)
def test_unreadable_front_matter_raises_with_its_line(text: str, line: int) -> None:
    with pytest.raises(FrontMatterError) as caught:
        edit_document(text, set_values={"title": "B"}, origin="content/post.md")
    assert caught.value.path == "content/post.md"
    assert caught.value.line == line
    with pytest.raises(FrontMatterError) as read:
        parse_document(text.encode(), origin="content/post.md")
    assert str(caught.value) == str(read.value)  # the same error parse_document gives


def test_a_key_both_set_and_removed_is_refused() -> None:
    with pytest.raises(ValueError, match="both set and removed"):
        edit_document(YAML_POST, set_values={"title": "A"}, remove=["title"])


def test_docstring_examples() -> None:
    for module in (sync.frontedit.leaves, sync.frontedit.keylines):
        assert doctest.testmod(module).failed == 0, module.__name__


# --- string leaves -------------------------------------------------------------------------


def test_string_leaves_in_document_order() -> None:
    value = {
        "b": "one",
        "a": [{"x": "two", "n": 3, "y": ["three", None, "four"]}, "five"],
        "flag": True,
    }
    assert string_leaves(value) == ["one", "two", "three", "four", "five"]
    assert string_leaves("solo") == ["solo"]
    assert string_leaves(42) == [] and string_leaves(None) == []
    assert string_leaves(parse(YAML_POST)["cards"]) == [
        "Storage",
        "Batteries, pumped hydro and heat.",
        "battery.svg",
        "Demand: the other half",
        "Shifting demand is cheaper\nthan building supply.\n",
        "clock.svg",
    ]


def test_replace_leaves_keeps_the_structure() -> None:
    value = {"b": "one", "a": [{"x": "two", "n": 3}, "three"], "t": ("four",), "f": 1.5}
    assert replace_leaves(value, ["1", "2", "3", "4"]) == {
        "b": "1",
        "a": [{"x": "2", "n": 3}, "3"],
        "t": ("4",),
        "f": 1.5,
    }
    assert replace_leaves("solo", ["yalnız"]) == "yalnız"
    assert replace_leaves(7, []) == 7
    assert value["b"] == "one"  # the input is not changed


def test_replace_leaves_counts_must_match() -> None:
    with pytest.raises(ValueError, match="2 texts for 3"):
        replace_leaves(["a", "b", "c"], ["x", "y"])
    with pytest.raises(ValueError, match="4 texts for 3"):
        replace_leaves(["a", "b", "c"], ["w", "x", "y", "z"])
    with pytest.raises(ValueError, match="fewer texts"):
        replace_leaves(["a", "b", "c"], iter(["x"]))
    with pytest.raises(TypeError):
        replace_leaves("a", "x")


def test_one_iterator_feeds_several_fields() -> None:
    texts = iter(["T1", "C1", "C2", "D1"])
    fields = {"title": "t", "cards": [{"a": "c1"}, {"a": "c2"}], "description": "d"}
    done = {key: replace_leaves(value, texts) for key, value in fields.items()}
    assert done == {"title": "T1", "cards": [{"a": "C1"}, {"a": "C2"}], "description": "D1"}


# --- key_lines -----------------------------------------------------------------------------


def test_key_lines_yaml() -> None:
    found = key_lines(YAML_POST)
    lines = YAML_POST.split("\n")
    assert list(found) == list(parse(YAML_POST))
    for key, line in found.items():
        assert lines[line - 1].startswith(f"{key}:"), key
    assert found["title"] == 3 and found["readingTime"] == 44


def test_key_lines_toml_skips_tables_strings_and_arrays() -> None:
    found = key_lines(TOML_POST)
    assert list(found) == [k for k in parse(TOML_POST) if k not in ("params", "cards", "menu")]
    lines = TOML_POST.split("\n")
    for key, line in found.items():
        assert lines[line - 1].startswith(f"{key} ="), key
    tricky = (
        '+++\na = """\nb = 1\n[x]\n"""\n"quoted key" = [\n  "c = 2",\n  [3],\n]\n'
        "d.e = 'f' # g = 1\nh = { i = 1 }\n[t]\nj = 1\n+++\nk = 2\n"
    )
    assert key_lines(tricky) == {"a": 2, "quoted key": 6, "d": 10, "h": 11}


def test_key_lines_json() -> None:
    assert key_lines(JSON_POST) == {
        "title": 2,
        "linkTitle": 3,
        "description": 4,
        "date": 5,
        "draft": 6,
        "weight": 7,
        "translationKey": 8,
        "untranslated": 9,
        "aliases": 10,
        "cards": 11,
        "params": 15,
        "readingTime": 16,
    }
    assert key_lines('\ufeff{"a": {"b": 1}, "c\\"d": "e:f",\n"g": [{"h": 1}]}') == {
        "a": 1,
        'c"d': 1,
        "g": 2,
    }
    assert key_lines('{\n  "title": "A",\n  "tags": ["x",\n}') == {"title": 2, "tags": 3}


def test_key_lines_tolerates_broken_front_matter() -> None:
    text = "---\ntitle: A\ntags: [x\n  nested: 1\n'quoted: key': 2\npriority: high\n---\n"
    assert key_lines(text) == {"title": 2, "tags": 3, "quoted: key": 5, "priority": 6}
    assert key_lines("---\ntitle: A\npriority: x\n") == {"title": 2, "priority": 3}
    assert key_lines(PLAIN_POST) == {}
    assert key_lines("") == {}
    assert key_lines("\ufeff---\r\na: 1\r\nb: 2\r\n---\r\n") == {"a": 2, "b": 3}
    assert key_lines("---\na: 1\na: 2\n---\n") == {"a": 3}
    assert key_lines("---\na: 'x\u2028y'\nb: 2\n---\n") == {"a": 2, "b": 3}


# --- properties ----------------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8"), max_size=40)
leafy = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(st.characters(codec="utf-8"), max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["yaml", "toml", "json"]),
    crlf=st.booleans(),
    title=texts,
    summary=texts,
    card_texts=st.lists(texts, min_size=6, max_size=6),
    new=texts,
)
def test_random_texts_read_back(
    kind: str, crlf: bool, title: str, summary: str, card_texts: list[str], new: str
) -> None:
    text = POSTS[kind]
    cards = parse(text)["cards"]
    card_texts = card_texts[: len(string_leaves(cards))]
    set_values = {
        "title": title,
        "linkTitle": summary,
        "cards": replace_leaves(cards, card_texts),
        "source_hash": new,
    }
    if crlf:
        text = text.replace("\n", "\r\n")
    after = edit_document(text, set_values=set_values, remove=["untranslated"])
    assert_edited(text, after, set_values, ("untranslated",))
    assert body_of(after) == body_of(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.dictionaries(
        st.sampled_from(["title", "cards", "params", "aliases", "new"]), leafy, max_size=3
    )
)
def test_random_json_values_read_back_in_yaml(values: dict[str, Any]) -> None:
    after = edit_document(YAML_POST, set_values=values)
    assert_edited(YAML_POST, after, values)
    assert body_of(after) == body_of(YAML_POST)


@pytest.mark.parametrize(
    "text",
    [
        "---\nTitle: Old\nDraft: true\nUntranslated: 1\n---\nBody\n",
        "+++\nTitle = 'Old'\nDraft = true\nUntranslated = 1\n+++\nBody\n",
        '{\n  "Title": "Old",\n  "Draft": true,\n  "Untranslated": 1\n}\nBody\n',
    ],
    ids=["yaml", "toml", "json"],
)
def test_a_key_is_edited_as_the_document_spells_it(text: str) -> None:
    """Hugo reads keys in any case: setting ``title`` must change ``Title``, not add a second
    key Hugo would read as the same one."""
    out = edit_document(text, set_values={"title": "New"}, remove=["untranslated"])
    meta = parse_document(out.encode(), origin="x")[0]
    assert meta == {"Title": "New", "Draft": True}, out
