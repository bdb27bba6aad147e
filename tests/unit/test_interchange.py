"""The pure core of the interchange formats: inline codes, the XLIFF reader, TMX reading
and writing, the guarded XML parser."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import InputError
from sync.interchange.inline import Pair, Single, codes_of, flatten, parse, render, restore
from sync.interchange.safexml import XmlRefused, parse_tree
from sync.interchange.tmx import TuOut, parse_date, read_tmx, write_tmx
from sync.interchange.xliff import read_xliff, sniff

MARKUP = st.sampled_from(
    [
        "**",
        "*",
        "_",
        "__",
        "~~",
        "[",
        "](/docs/x)",
        "![",
        '](a.png "t")',
        "`code`",
        "[^1]",
        "[2]",
        "%s",
        "%(name)d",
        "{name}",
        "{{< note >}}",
        "{{< /note >}}",
        '{{< tip text="hello" id="x" >}}',
        "<b>",
        "</b>",
        "<br>",
        '<a href="/x">',
        "</a>",
        "<!-- c -->",
        "https://example.org/a_b",
        "\\*",
        "%%",
        "50%",
        "{",
        "}",
        "<",
        ">",
        "]",
        "snake_case",
        " ",
        "word",
        "слово",
        "\n",
        "\\\n",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(MARKUP, max_size=14).map("".join))
def test_parse_then_render_is_the_text_and_an_untouched_target_restores_it(text: str) -> None:
    nodes = parse(text)
    assert render(nodes) == text
    restored, problems = restore(flatten(nodes), codes_of(nodes))
    assert (restored, problems) == (text, [])


@settings(max_examples=400, deadline=None)
@given(st.lists(MARKUP, max_size=14).map("".join))
def test_codes_are_numbered_in_the_order_they_appear(text: str) -> None:
    """1, 2, … in a walk of the tree (a pair before what it wraps), with no gap: parse
    numbers them as it goes, and again only when an unclosed ``[`` became prose."""
    ids: list[int] = []

    def walk(nodes: list) -> None:  # type: ignore[type-arg]
        for node in nodes:
            if not isinstance(node, str):
                ids.append(node.code.id)
                if isinstance(node, Pair):
                    walk(node.children)

    walk(parse(text))
    assert ids == list(range(1, len(ids) + 1))


def test_what_becomes_a_code() -> None:
    nodes = parse('See **[the docs](/docs/x)**[^1], `x` and {{< tip text="Hi" id="a" >}}.')
    kinds = [(type(n).__name__, n.code.start) for n in nodes if not isinstance(n, str)]
    assert kinds == [
        ("Pair", "**"),
        ("Single", "[^1]"),
        ("Single", "`x`"),
        ("Pair", '{{< tip text="'),
    ]
    link = nodes[1].children[0]  # type: ignore[union-attr]
    assert isinstance(link, Pair) and link.code.end == "](/docs/x)"
    shortcode = nodes[-2]
    assert isinstance(shortcode, Pair) and shortcode.children == ["Hi"]
    assert parse("5 * 3 and snake_case") == ["5 * 3 and snake_case"]
    assert parse("[sic]") == ["[sic]"]
    lone = parse("**open")
    assert isinstance(lone[0], Single)


def test_a_hard_line_break_is_a_code_a_cat_tool_keeps() -> None:
    # a tool that folds white space (XLIFF's default) cannot make it "\\ ", a backslash
    nodes = parse("Atatürk Bulvarı 12\\\nAnkara")
    assert [(type(n).__name__, n.code.start, n.code.ctype) for n in nodes[1:2]] == [
        ("Single", "\\\n", "lb")
    ]
    assert render(nodes) == "Atatürk Bulvarı 12\\\nAnkara"
    assert parse("a \\* b") == ["a \\* b"]  # an escape is prose, as before


def test_restore_names_what_is_wrong() -> None:
    nodes = parse("a **b** [^1] %s")
    codes = codes_of(nodes)  # 1: ** pair, 2: [^1], 3: %s
    text, problems = restore(
        [
            ("start", 1, None),
            ("text", "x", None),
            ("end", 1, None),
            ("single", 2, None),
            ("single", 2, None),
            ("single", 9, None),
            ("start", 3, None),
        ],
        codes,
    )
    assert problems == [
        "inline code 2 ([^1]) appears more than once",
        "inline code 9 is not in the source of this segment",
        "inline code 3 (%s) stands alone in the source: it cannot wrap text",
        "inline code 3 (%s) is missing",
    ]
    _, problems = restore(
        [("end", 1, None), ("start", 1, None), ("single", 2, None), ("single", 3, None)], codes
    )
    assert problems == ["inline code 1 (**…**) is closed before it is opened"]
    text, problems = restore(
        [
            ("start", 1, None),
            ("text", "y", None),
            ("end", 1, "__"),
            ("single", 2, None),
            ("single", 3, None),
        ],
        codes,
    )
    assert (text, problems) == ("**y__[^1]%s", [])  # an override: the checks judge it


def test_xliff_20_isolated_codes_and_states() -> None:
    data = b"""<?xml version="1.0"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en"
       trgLang="tr"><file id="f" original="k"><unit id="s0" name="k#0"><segment
 state="translated"><source><sc id="1"/>Hi<ec startRef="1"/></source><target><sc
 id="1"/>Selam<ec startRef="1"/><cp hex="0001"/></target></segment></unit>
<unit id="s1" name="k#1"><segment><source>x</source><target>y</target></segment></unit>
</file></xliff>"""
    doc = read_xliff(data)
    first, second = doc.units
    assert first.key_position() == ("k", 0) and not first.fuzzy
    assert first.target == [
        ("start", 1, None),
        ("text", "Selam", None),
        ("end", 1, None),
        ("text", "\x01", None),
    ]
    assert second.fuzzy  # no state is "initial" in 2.0


def test_xliff_12_sentences_left_out_and_inherited_white_space() -> None:
    """A seg-source's sentences the target leaves out or empty are named (a target with
    no mrks is read whole); xml:space comes down from a group to its units' targets."""
    data = b"""<?xml version="1.0"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file original="k"
 source-language="en" target-language="tr"><body><group xml:space="preserve">
<trans-unit id="k#0"><source>A. B. C.</source><seg-source><mrk mtype="seg" mid="1">A.</mrk>
 <mrk mtype="seg" mid="2">B.</mrk> <mrk mtype="seg" mid="3">C.</mrk></seg-source><target
 ><mrk mtype="seg" mid="1">a.</mrk> <mrk mtype="seg" mid="3"> </mrk></target></trans-unit>
<trans-unit id="k#1" xml:space="default"><source>A. B.</source><seg-source><mrk mtype="seg"
 mid="1">A.</mrk> <mrk mtype="seg" mid="2">B.</mrk></seg-source><target>a. b.</target>
</trans-unit></group></body></file></xliff>"""
    first, second = read_xliff(data).units
    assert first.missing == ['<mrk mid="2">', '<mrk mid="3">'] and first.space_preserved
    assert second.missing == [] and not second.space_preserved


def test_sniff() -> None:
    assert sniff(b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- x --><xliff version="1.2">') == "xliff"
    assert sniff(b"<tmx version='1.4'>") == "tmx"
    assert sniff(b'msgid ""\nmsgstr ""\n') is None
    # a PO file whose text mentions an XLIFF element is still a PO file
    assert sniff(b'# Agencies\nmsgid ""\nmsgstr ""\n\nmsgid "Send <xliff> files"\n') is None
    assert sniff(b'\n\n  <xliff version="2.0">') == "xliff"


def test_tmx_written_and_read_back() -> None:
    when = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    buf = io.BytesIO()
    n = write_tmx(
        buf,
        [TuOut("t1", "en", "tr", 'a < b & "c"', "a < b", when, "k", "k [tr]")],
        srclang="en",
        tool_version="0",
        created=when,
    )
    assert n == 1
    (tu,) = list(read_tmx(buf.getvalue()))
    assert (tu.tuid, tu.srclang, tu.changedate) == ("t1", "en", "20240301T093000Z")
    assert [(v.lang, v.text) for v in tu.variants] == [("en", 'a < b & "c"'), ("tr", "a < b")]
    assert tu.props == {"x-context": "k", "x-transync-origin": "k [tr]"}
    assert parse_date("20240229T000000Z") is not None and parse_date("20230229T000000Z") is None


def test_tmx_is_read_in_pieces() -> None:
    """A generator over 64 KiB pieces: the first unit arrives before the file is read."""
    unit = b'<tu><tuv xml:lang="en"><seg>x</seg></tuv><tuv xml:lang="tr"><seg>y</seg></tuv></tu>'

    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.sent += 1
            return b'<tmx version="1.4"><body>' if self.sent == 1 else unit * 1000

    units = read_tmx(Endless())  # type: ignore[arg-type]
    assert next(units).variants[0].text == "x"


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
        b'<!DOCTYPE x [<!ENTITY a SYSTEM "http://example.invalid/">]><x>&a;</x>',
        b'<!DOCTYPE x SYSTEM "x.dtd"><x>&nbsp;</x>',
        b"<x>" * 100 + b"</x>" * 100,
        b"<x><y></x>",
    ],
)
def test_unsafe_or_broken_xml_is_refused(data: bytes) -> None:
    with pytest.raises(XmlRefused):
        parse_tree(data)


def test_a_dtd_is_named_but_never_read() -> None:
    root = parse_tree(b'<!DOCTYPE tmx SYSTEM "/etc/passwd"><tmx version="1.4"/>')
    assert root.tag == "tmx"
    with pytest.raises(InputError, match="not a TMX file"):
        list(read_tmx(b"<xliff/>"))
