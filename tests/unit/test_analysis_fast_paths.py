"""The scan's faster paths give exactly what the straightforward ones gave: the block-only
parser and its source, trailing white space stripped without a regular expression, and
segments pickled by value."""

from __future__ import annotations

import pickle
import random
import re
from typing import Any

from sync.segments import Analysis, Segment, analyze_markdown
from sync.segments.markdown import _block_parser, _block_source, _parser, _prepare
from sync.text import NO_BREAK_SPACES, normalize_newlines, strip_trailing_whitespace

SNIPPETS = [
    "# H",
    "## H2 #",
    "Setext\n===",
    'para *em* **strong** `code` [l](http://x "t")',
    "- a\n- b\n  - c",
    "1. one\n2) two",
    "> quote\n> more",
    "```py\nx=1\n```",
    "    indented",
    "<div>\nhtml <b>x</b>\n</div>",
    "<!-- c -->",
    "| a | b |\n|---|---|\n| 1 \\| 2 | x |",
    "[^1]: foot note\n    cont",
    "text[^1] ref",
    "[ref]: http://a.b 'T'",
    "[ref]",
    "***",
    "line  \nbreak",
    "a\u00a0b  \u202f",
    "e\u0301",
    "\\# esc",
    "<script>x</script>",
    "&amp; &copy; &#35;",
    "^[inline fn]",
    "\t- tab item",
    "> - q item\n>   cont",
    "Term\n---",
    "a\r\nb\rc",
    "nul\0x",
    "\0",
    "cr  \r\n  x \t\r",
    "nb\u00a0 \u2007\t\nz",
    "  \u3000\n\u2028",
    "```\ncode \0 \r\n\n```",
    "<p>\0</p>",
]


def _blocks(tokens: list[Any]) -> list[tuple[str, str, str, Any]]:
    return [(t.type, t.content, t.info, t.map) for t in tokens]


def test_the_block_parser_reads_the_same_blocks_as_the_full_parser() -> None:
    rng = random.Random(3)
    for _ in range(1500):
        body = rng.choice(["\n", "\n\n"]).join(
            rng.choice(SNIPPETS) for _ in range(rng.randint(1, 8))
        )
        full_env: dict[str, Any] = {}
        block_env: dict[str, Any] = {}
        full = _parser().parse(_prepare(body), full_env)
        block = _block_parser().parse(_block_source(body), block_env)
        assert _blocks(block) == _blocks(full), repr(body)
        assert block_env.get("references") == full_env.get("references"), repr(body)


def test_strip_trailing_whitespace_is_the_regular_expression() -> None:
    trailing = re.compile(rf"[^\S{NO_BREAK_SPACES}\n]+$", re.MULTILINE)
    alphabet = [
        "a",
        "é",
        " ",
        "\t",
        "\n",
        "\r",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x85",
        "\u00a0",
        "\u2007",
        "\u202f",
        "\u2028",
        "\u3000",
        "\u200b",
        "\0",
    ]
    rng = random.Random(5)
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert strip_trailing_whitespace(text) == trailing.sub("", text), repr(text)
        assert normalize_newlines(text) == re.sub(r"\r\n?", "\n", text), repr(text)


def test_segments_and_analyses_pickle_by_value() -> None:
    analysis = analyze_markdown("Başlık", "Merhaba\n\n- bir\n- iki\n")
    again = pickle.loads(pickle.dumps(analysis, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(again, Analysis) and again == analysis
    assert all(type(s) is Segment for s in again.segments)
    assert hash(again.segments[0]) == hash(analysis.segments[0])
