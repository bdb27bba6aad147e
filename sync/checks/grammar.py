"""The grammar of what a translation must keep: placeholders, shortcodes, tags, links, numbers.

Regular expressions and the names they work with, shared by the checks of this package
and by :mod:`sync.interchange.inline`, which turns the same pieces into XLIFF inline codes.
"""

from __future__ import annotations

import re

# The shortcode parameters whose values are prose (TRANSYNC_SHORTCODE_TEXT_PARAMS' default).
_TEXT_PARAMS = ("text", "title", "alt", "caption")

# printf: named, positional, or plain conversions; "%" followed by a digit is a number.
_PRINTF = re.compile(
    r"""
    %%                                                    # a literal percent sign
  | %\([^()\s]+\)[#0+\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa]
  | %[1-9]\d*\$[#0+\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa]
  | %(?:[#+]+(?:-?\d+)?|-\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa]
    """,
    re.VERBOSE,
)
# {name}, {0}, {}, {name.attr}, {0[1]}, {name!r:>10}; not {{escaped}} nor {{ template }}.
_BRACE = re.compile(
    r"(?<!\{)\{(?:[A-Za-z_]\w*(?:\.\w+|\[\w+\])*|\d+)?(?:![rsa])?(?::[^{}\s]*)?\}(?!\})"
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])((?:[^<>\"']|\"[^\"]*\"|'[^']*')*)>")
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]|\[\d+\]")
_URL = re.compile(
    r"https?://(?:[^\s<>()\[\]{}\"'`\u00ab\u00bb\u201c\u201d\u2018\u2019]|\([^\s()<>]*\))+",
    re.IGNORECASE,
)
_LINK_TARGET = re.compile(r"\]\(\s*(?:<([^<>\n]*)>|((?:[^\s()]|\([^\s()]*\))+))")
_URL_TRAILING = ".,;:!?"
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_ESCAPED = re.compile(r"\\[\\`*_{}\[\]()#+\-.!%<>]")
_SPACE_GROUPED = re.compile(r"(?<!\d)\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?!\d)")
_NUMBER = re.compile(r"\d+(?:[.,'\u2019]\d+)*")
_DIGITS = re.compile(r"\d+")
_INTRAWORD_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_STAR = re.compile(r"\*(?!\s)|(?<!\s)\*")
# Each pattern _strip_non_numbers removes, with a string every match of it contains: when
# the string is absent the pattern cannot match, so the substitution is skipped.
_NON_NUMBERS = (
    (_URL, "://"),
    (_LINK_TARGET, "]("),
    (_TAG, "<"),
    (_ENTITY, "&"),
    (_PRINTF, "%"),
    (_BRACE, "{"),
    (_FOOTNOTE, "["),
)
# {{< … >}} or {{% … %}}: the body holds no "{{", "}}", ">}}" nor "%}}" and is matched
# possessively, so an unclosed one costs one scan to the next braces. A quoted ">}}" inside a
# parameter is not supported (Hugo content rarely has it).
_SHORTCODE = re.compile(
    r"\{\{(?:(<)|%)((?:[^{}<>%]++|[<>%](?!\}\})|\{(?!\{)|\}(?!\}))*+)(?(1)>|%)\}\}"
)
_SHORTCODE_NAME = re.compile(r"[\w.-]+(?:/[\w.-]+)*")
_SHORTCODE_PARAM = re.compile(
    r"""(?:([A-Za-z_][\w.-]*)\s*=\s*)?(?:"((?:\\.|[^"\\])*)"|'([^']*)'|`([^`]*)`|([^\s"'`]+))"""
)
_BACKSLASH_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_LABEL_WIDTH = 80
# HTML attributes inside one tag; a value's entities are decoded before comparing.
_ATTRIBUTE = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`]+)))?""")
_NO_ATTRIBUTES = " \t\r\n/"  # what a tag without attributes has between its name and ">"
_PROSE_ATTRIBUTES = frozenset({"title", "alt"})
_LINK_ATTRIBUTES = frozenset({"href", "src"})
_ACTIVE_ATTRIBUTES = frozenset({"style", "srcdoc", "formaction"})  # and on…
# Browsers drop ASCII white space and controls anywhere in a URL's scheme; entities are
# decoded first (``jav&#x61;script:``, ``java&Tab;script:``).
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_DANGEROUS_SCHEME = re.compile(r"(javascript|vbscript|data):", re.IGNORECASE)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*)>")
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s]*")
