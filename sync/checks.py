"""Checks on a submitted translation of one segment: what it must carry over from the source.

Pure: no database, no I/O. :func:`check_entry` returns problems as sentences; an
empty list means the translation passes. The checks are pragmatic, tuned to avoid
false alarms on ordinary prose:

- Hugo shortcodes (``{{< note >}}``, ``{{% capture overview %}}``, ``{{< /note >}}``,
  ``{{< figure … />}}``, escaped ``{{</* x */>}}``): the same sequence of names, kinds and
  delimiters (so the same order and nesting), the same positional parameters and the same
  named ones, whose values may change only for the text parameters (``text``, ``title``,
  ``alt``, ``caption`` by default); escaped shortcodes stay as written. A segment may hold
  half a block, so balance is not required; :func:`shortcode_problems` checks whole
  documents. Only text-parameter values take part in the checks below;
- printf (``%s``, ``%(name)s``, ``%1$s``) and brace (``{name}``, ``{0}``)
  placeholders are checked only when the source uses that style, so ``%50`` (Turkish
  for 50 %) or a stray brace in prose is never a placeholder; ``%`` followed by a
  digit is always a number and ``%%`` is ignored; unnamed printf placeholders keep
  their order;
- HTML tags: the same tag names, closed in the translation when the source closes
  them (``<https://…>`` autolinks and tags inside `code spans` do not count); each tag
  has its source counterpart's attributes (compared tag by tag per name, in order, any
  attribute order) with the same values, except ``title`` and ``alt``, which are prose,
  and ``href``/``src``, which may gain the language prefix (below). Event handlers
  (``on…``), ``style``, ``srcdoc`` and ``formaction`` are refused unless the source has
  the same one, and so are ``javascript:``, ``vbscript:`` and ``data:`` URLs (however
  entity-encoded or split by white space);
- footnote markers ``[^1]``, ``[^note]`` and ``[1]``: the same ones;
- numbers: the same digit sequences; ``1,000`` = ``1.000`` = ``1 000`` = ``1000`` and
  ``3.5`` = ``3,5``; ``%`` may move (``50%`` = ``%50``); digits inside URLs, tags,
  HTML entities, placeholders, shortcodes and footnote markers are not numbers;
- links (http/https URLs and Markdown link targets; HTML attributes are the tags'):
  the same set, except that with ``lang="ru"`` a site-absolute target may gain the
  prefix ``/ru``: ``/docs/x`` → ``/ru/docs/x``, ``https://site/docs/x`` →
  ``https://site/ru/docs/x``, ``/`` → ``/ru/``; relative targets, queries and fragments
  stay as they are. A dangerous-scheme target the source lacks is named as such;
- Markdown: the same number of ``**``, ``__``, ``*``, ``_`` emphasis markers and backticks;
- the same leading and trailing white space.

Quotes (« », „ “, " ") and punctuation are not checked.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from difflib import SequenceMatcher
from typing import NamedTuple

from sync.i18n import t_

__all__ = ["KEEP_SOURCE", "check_entry", "check_segment", "shortcode_problems"]

#: The PO flag (``#, keep-source``) a translator sets on an entry whose translation is the
#: source text on purpose (a name, a brand): it is not refused as untranslated.
KEEP_SOURCE = "keep-source"

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
_VOID_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
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
    (_URL, "://"), (_LINK_TARGET, "]("), (_TAG, "<"), (_ENTITY, "&"), (_PRINTF, "%"),
    (_BRACE, "{"), (_FOOTNOTE, "["),
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
_ATTRIBUTE = re.compile(
    r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`]+)))?"""
)
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


def check_entry(
    msgid: str,
    msgstr: str,
    *,
    lang: str | None = None,
    text_params: Collection[str] = _TEXT_PARAMS,
) -> list[str]:
    """Problems with ``msgstr`` as a translation of ``msgid``; empty when it is fine.

    An empty msgstr is untranslated, not wrong: it has no problems. ``lang`` is the
    translation's language: its prefix may be added to site-absolute links. ``text_params``
    are the shortcode parameters whose values may be translated.

    >>> check_entry("Hello %(name)s", "Merhaba %(isim)s")
    ['placeholder %(name)s is missing', 'extra placeholder %(isim)s']
    >>> check_entry("50% off", "%50 indirim")
    []
    >>> check_entry('A {{< glossary_tooltip text="pod" term_id="pod" >}}.',
    ...             'Под {{< glossary_tooltip text="под" term_id="pod" >}}.')
    []
    >>> check_entry("See [the docs](/docs/home/).", "См. [документацию](/ru/docs/home/).",
    ...             lang="ru")
    []
    """
    if not msgstr:
        return []
    # Every check below is skipped when the characters it looks for are absent (it would
    # find nothing in either text): the problems and their order are the same.
    problems: list[str] = _check_whitespace(msgid, msgstr)
    if "{{" in msgid or "{{" in msgstr:
        source_codes, target_codes = _shortcodes(msgid), _shortcodes(msgstr)
        if source_codes or target_codes:
            problems += _compare_shortcodes(source_codes, target_codes, text_params)
            # What follows sees only the prose of a shortcode: its text parameters' values.
            msgid = _without_shortcodes(msgid, source_codes, text_params)
            msgstr = _without_shortcodes(msgstr, target_codes, text_params)
    if "%" in msgid:
        problems += _check_printf(msgid, msgstr)
    if "{" in msgid:
        problems += _check_braces(msgid, msgstr)
    source, target = _without_code(msgid), _without_code(msgstr)
    if "<" in source or "<" in target:
        problems += _check_tags(source, target, lang)
    if "[" in msgid or "[" in msgstr:
        problems += _check_multiset(
            _FOOTNOTE.findall(msgid), _FOOTNOTE.findall(msgstr), "footnote marker"
        )
    # Links in HTML attributes belong to the tag check.
    problems += _check_urls(_without_tags(msgid), _without_tags(msgstr), lang)
    # Both remaining checks drop what other checks own; the markdown one from the text
    # without code spans, which is the text itself when it has no backslash or backtick.
    stripped_id, stripped_str = _strip_non_numbers(msgid), _strip_non_numbers(msgstr)
    problems += _check_numbers(stripped_id, stripped_str)
    problems += _check_markdown(
        stripped_id if source == msgid else _strip_non_numbers(source),
        stripped_str if target == msgstr else _strip_non_numbers(target),
    )
    return problems


def check_segment(
    msgid: str,
    msgstr: str,
    *,
    kind: str = "paragraph",
    lang: str | None = None,
    text_params: Collection[str] = _TEXT_PARAMS,
    keep_source: bool = False,
) -> list[str]:
    """:func:`check_entry` plus what depends on the segment: a title is one line, and a
    translation that is the source text unchanged is refused unless the source has nothing
    to translate (a number, code, a URL) or the translator marked it (``keep_source``: a
    proper name that stays as it is).

    >>> check_segment("Kubernetes", "Kubernetes")
    ['the translation is the source text unchanged: translate it, or mark it as a name that stays as it is (PO flag #, keep-source; "same as source" in the browser)']
    >>> check_segment("Kubernetes", "Kubernetes", keep_source=True)
    []
    >>> check_segment("2024", "2024"), check_segment("`kubectl get pods`", "`kubectl get pods`")
    ([], [])
    >>> check_segment("Başlık", "Заголовок\\nещё", kind="title")
    ['a title must be one line: remove the line break']
    """  # noqa: E501
    if not msgstr:
        return []
    problems = check_entry(msgid, msgstr, lang=lang, text_params=text_params)
    if kind == "title" and any(c in msgstr for c in "\n\r\u2028\u2029\x85"):
        problems.append(t_("a title must be one line: remove the line break"))
    if not keep_source and _unchanged(msgid, msgstr):
        problems.append(t_("the translation is the source text unchanged: translate it, or "
                           "mark it as a name that stays as it is (PO flag #, keep-source; "
                           "\"same as source\" in the browser)"))
    return problems


_WORDISH = re.compile(r"[^\W\d_]{2,}")


def _unchanged(msgid: str, msgstr: str) -> bool:
    """The translation is the source (white space aside) and the source has words to
    translate once code spans, URLs, markup, shortcodes and numbers are set aside."""
    if " ".join(msgid.split()) != " ".join(msgstr.split()):
        return False
    prose = _strip_non_numbers(_without_tags(_without_code(msgid)))
    if "{{" in prose:
        prose = _without_shortcodes(prose, _shortcodes(prose), ())
    prose = _LINK_TARGET.sub(" ", prose)
    return bool(_WORDISH.search(prose))


def shortcode_problems(
    source_text: str,
    translated_text: str,
    *,
    text_params: Collection[str] = _TEXT_PARAMS,
    first_lines: tuple[int, int] = (1, 1),
) -> list[str]:
    """Shortcode problems of a whole translated document (a Markdown file submitted whole).

    The same rules as :func:`check_entry`'s across the document, with broken nesting named
    as such and line numbers: ``(line N)`` in the translation, ``(source line N)``.
    ``first_lines`` are the file lines where the source and the translated texts start (a
    body after its front matter).

    >>> shortcode_problems("{{< note >}}\\nHi\\n{{< /note >}}\\n", "{{< note >}}\\nSelam\\n")
    ['shortcode {{< /note >}} is missing (source line 3)']
    """
    if "{{" not in source_text and "{{" not in translated_text:
        return []
    return _compare_shortcodes(
        _shortcodes(source_text), _shortcodes(translated_text), text_params,
        texts=(source_text, translated_text), first_lines=first_lines,
    )


# -- white space --------------------------------------------------------------


def _check_whitespace(msgid: str, msgstr: str) -> list[str]:
    problems: list[str] = []
    for where, source, target in (
        ("leading", _leading(msgid), _leading(msgstr)),
        ("trailing", _trailing(msgid), _trailing(msgstr)),
    ):
        if source == target:
            continue
        if where == "leading":
            if not target:
                problems.append(t_("leading white space %(ws)s is missing", ws=repr(source)))
            elif not source:
                problems.append(t_("extra leading white space %(ws)s", ws=repr(target)))
            else:
                problems.append(t_("leading white space differs: %(source)s in the source, "
                                   "%(target)s in the translation", source=repr(source),
                                   target=repr(target)))
        elif not target:
            problems.append(t_("trailing white space %(ws)s is missing", ws=repr(source)))
        elif not source:
            problems.append(t_("extra trailing white space %(ws)s", ws=repr(target)))
        else:
            problems.append(t_("trailing white space differs: %(source)s in the source, "
                               "%(target)s in the translation", source=repr(source),
                               target=repr(target)))
    return problems


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _trailing(text: str) -> str:
    return text[len(text.rstrip()):]


# -- placeholders -------------------------------------------------------------


def _printf(text: str) -> list[str]:
    return [m for m in _PRINTF.findall(text) if m != "%%"]


def _check_printf(msgid: str, msgstr: str) -> list[str]:
    source = _printf(msgid)
    if not source:  # not a format string: "%" in the translation is prose ("%50")
        return []
    target = _printf(msgstr)
    problems = _check_multiset(source, target, "placeholder")
    if not problems:
        plain_source = [p for p in source if not p.startswith("%(") and "$" not in p]
        plain_target = [p for p in target if not p.startswith("%(") and "$" not in p]
        if plain_source != plain_target:
            problems.append(t_(
                "placeholders %(source)s are in another order (%(target)s); unnamed "
                "placeholders must keep the source's order", source=" ".join(plain_source),
                target=" ".join(plain_target)))
    return problems


def _check_braces(msgid: str, msgstr: str) -> list[str]:
    source = _BRACE.findall(msgid)
    if not source:
        return []
    return _check_multiset(source, _BRACE.findall(msgstr), "placeholder")


# -- Hugo shortcodes ----------------------------------------------------------


class _Shortcode(NamedTuple):
    key: tuple[str, ...]  # (kind, delimiter, name) or ("escaped", text): what must match
    name: str
    params: str  # as written (an escaped shortcode: all of it)
    positional: tuple[str, ...]
    named: dict[str, str]
    start: int
    end: int

    @property
    def label(self) -> str:
        """The shortcode as problems show it: ``{{< /note >}}``, ``{{% capture overview %}}``."""
        kind, delim = self.key[0], self.key[1]
        if kind == "escaped":
            return delim
        close = ">" if delim == "<" else "%"
        if kind == "close":
            return f"{{{{{delim} /{self.name} {close}}}}}"
        end = f"/{close}}}}}" if kind == "self" else f"{close}}}}}"
        params = " ".join(self.params.split())
        label = f"{{{{{delim} {self.name} {params + ' ' if params else ''}{end}"
        return label if len(label) <= _LABEL_WIDTH else f"{{{{{delim} {self.name} … {end}"


def _shortcodes(text: str) -> list[_Shortcode]:
    """Every shortcode of ``text`` in order: opening, closing, self-closing or escaped."""
    found: list[_Shortcode] = []
    for m in _SHORTCODE.finditer(text):
        delim = "<" if m.group(1) else "%"
        body = m.group(2).strip()
        if body.startswith("/*") and body.endswith("*/") and len(body) >= 4:
            written = " ".join(m.group(0).split())
            found.append(_Shortcode(("escaped", written), "", written, (), {}, *m.span()))
            continue
        closing = body.startswith("/")
        if closing:
            body = body[1:].lstrip()
        name_match = _SHORTCODE_NAME.match(body)
        if name_match is None:
            continue  # "{{< >}}", "{{<-" …: not a shortcode
        name, rest = name_match.group(0), body[name_match.end():]
        if closing:
            found.append(_Shortcode(("close", delim, name), name, "", (), {}, *m.span()))
            continue
        kind = "open"
        if rest.endswith("/") and (len(rest) == 1 or rest[-2] in " \t\r\n\"'`"):
            kind, rest = "self", rest[:-1]
        positional: list[str] = []
        named: dict[str, str] = {}
        for key, double, single, raw, bare in _SHORTCODE_PARAM.findall(rest):
            # findall gives "" for a group that did not take part: tell them apart by the text
            value = bare or single or raw or double
            if "\\" in value and not (bare or single or raw):
                value = _BACKSLASH_ESCAPE.sub(_unescaped, value)
            if key:
                named.setdefault(key, value)
            else:
                positional.append(value)
        found.append(_Shortcode((kind, delim, name), name, rest, tuple(positional), named,
                                *m.span()))
    return found


def _unescaped(match: re.Match[str]) -> str:
    return match.group(1)


def _without_shortcodes(text: str, codes: Sequence[_Shortcode],
                        text_params: Collection[str]) -> str:
    """``text`` with each shortcode replaced by its text parameters' values (prose)."""
    pieces: list[str] = []
    pos = 0
    for code in codes:
        pieces.append(text[pos:code.start])
        prose = [v for k, v in code.named.items() if k in text_params]
        pieces.append(f" {' '.join(prose)} " if prose else " ")
        pos = code.end
    pieces.append(text[pos:])
    return "".join(pieces)


def _compare_shortcodes(
    source: list[_Shortcode],
    target: list[_Shortcode],
    text_params: Collection[str],
    *,
    texts: tuple[str, str] | None = None,
    first_lines: tuple[int, int] = (1, 1),
) -> list[str]:
    """Shortcode problems; with ``texts`` (whole documents), each says on which line."""

    def at(code: _Shortcode, in_source: bool = False) -> str:
        if texts is None:
            return ""
        side = 0 if in_source else 1
        line = texts[side].count("\n", 0, code.start) + first_lines[side]
        return t_(" (source line %(line)d)", line=line) if in_source else t_(
            " (line %(line)d)", line=line)

    source_keys, target_keys = [c.key for c in source], [c.key for c in target]
    if source_keys == target_keys:
        pairs = list(zip(source, target, strict=True))
        problems: list[str] = []
    else:
        matcher = SequenceMatcher(None, source_keys, target_keys, autojunk=False)
        blocks = matcher.get_matching_blocks()
        pairs = [(source[b.a + k], target[b.b + k]) for b in blocks for k in range(b.size)]
        paired_source = {b.a + k for b in blocks for k in range(b.size)}
        paired_target = {b.b + k for b in blocks for k in range(b.size)}
        missing = Counter(source_keys) - Counter(target_keys)
        extra = Counter(target_keys) - Counter(source_keys)
        problems = []
        for i, code in enumerate(source):
            if i not in paired_source and missing[code.key] > 0:
                missing[code.key] -= 1
                problems.append(t_("shortcode %(code)s is missing%(where)s", code=code.label,
                                   where=at(code, True)))
        for j, code in enumerate(target):
            if j not in paired_target and extra[code.key] > 0:
                extra[code.key] -= 1
                problems.append(t_("extra shortcode %(code)s%(where)s", code=code.label,
                                   where=at(code)))
        if not problems:  # the same shortcodes, moved
            nesting = _nesting(target) if not _nesting(source) else []
            if nesting:
                problems += [t_("%(problem)s%(where)s", problem=message, where=at(code))
                             for message, code in nesting]
            else:
                i = next(i for i, (a, b) in enumerate(zip(source_keys, target_keys,
                                                          strict=True)) if a != b)
                problems.append(t_(
                    "shortcodes are in another order: %(found)s%(where)s is where the source "
                    "has %(wanted)s%(source_where)s", found=target[i].label,
                    where=at(target[i]), wanted=source[i].label,
                    source_where=at(source[i], True)))
    for old, new in pairs:
        if old.key[0] in ("open", "self"):
            problems += [
                t_("shortcode %(name)s%(where)s: %(problem)s", name=old.name, where=at(new),
                   problem=p)
                for p in _parameter_problems(old, new, text_params)
            ]
    return problems


def _parameter_problems(old: _Shortcode, new: _Shortcode,
                        text_params: Collection[str]) -> list[str]:
    problems: list[str] = []
    if old.positional != new.positional:
        for n, (a, b) in enumerate(zip(old.positional, new.positional, strict=False), start=1):
            if a != b:
                problems.append(t_('positional parameter %(n)d changed from "%(old)s" to '
                                   '"%(new)s"; positional parameters may not be translated',
                                   n=n, old=a, new=b))
        shared = min(len(old.positional), len(new.positional))
        problems += [t_('positional parameter %(n)d "%(value)s" is missing', n=n, value=v)
                     for n, v in enumerate(old.positional[shared:], start=shared + 1)]
        problems += [t_('extra positional parameter %(n)d "%(value)s"', n=n, value=v)
                     for n, v in enumerate(new.positional[shared:], start=shared + 1)]
    if old.named == new.named:
        return problems
    for key, value in old.named.items():
        if key not in new.named:
            problems.append(t_("parameter %(key)s is missing", key=key))
        elif new.named[key] != value and key not in text_params:
            translatable = (t_("only %(params)s may be translated",
                               params=", ".join(text_params)) if text_params
                            else t_("no parameter may be translated"))
            problems.append(t_('parameter %(key)s changed from "%(old)s" to "%(new)s"; '
                               "%(translatable)s", key=key, old=value, new=new.named[key],
                               translatable=translatable))
    problems += [t_('extra parameter %(key)s="%(value)s"', key=key, value=value)
                 for key, value in new.named.items() if key not in old.named]
    return problems


def _nesting(codes: list[_Shortcode]) -> list[tuple[str, _Shortcode]]:
    """(problem, where) for closing shortcodes that do not close an open one.

    An opening shortcode never closed is fine: many (``ref``, ``glossary_tooltip``) take
    no inner content.
    """
    problems: list[tuple[str, _Shortcode]] = []
    stack: list[_Shortcode] = []
    cut: dict[str, _Shortcode] = {}  # an opening one left open by an outer closing one
    for code in codes:
        kind = code.key[0]
        if kind == "open":
            stack.append(code)
        elif kind == "close":
            for k in range(len(stack) - 1, -1, -1):
                if stack[k].name == code.name:
                    cut |= {inner.name: code for inner in stack[k + 1:]}
                    del stack[k:]
                    break
            else:
                if code.name in cut:
                    problems.append((t_("shortcode %(code)s comes after %(other)s: shortcodes "
                                        "must nest", code=code.label,
                                        other=cut.pop(code.name).label), code))
                else:
                    problems.append((t_("closing shortcode %(code)s has no opening shortcode",
                                        code=code.label), code))
    return problems


# -- HTML ---------------------------------------------------------------------


def _without_code(text: str) -> str:
    """The text with the contents of Markdown code spans removed (backticks kept)."""
    if "\\" in text:
        text = _ESCAPED.sub(" ", text)
    if "`" in text:
        text = _CODE_SPAN.sub(lambda m: m.group(1) * 2, text)
    return text


def _tags(text: str) -> list[tuple[bool, str, bool, str]]:
    """(closing, name, self_closing, attributes' text) for each HTML tag."""
    return [
        (closing == "/", name.lower(), inside.endswith("/"), inside)
        for closing, name, inside in _TAG.findall(text)
    ]


def _balance(tags: Iterable[tuple[bool, str, bool, str]]) -> list[str]:
    problems: list[str] = []
    stack: list[str] = []
    for closing, name, self_closing, _ in tags:
        if name in _VOID_TAGS or self_closing:
            continue
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
        elif name in stack:
            while stack[-1] != name:
                problems.append(t_("HTML tag <%(tag)s> is not closed before </%(closing)s>",
                                   tag=stack.pop(), closing=name))
            stack.pop()
        else:
            problems.append(t_("closing tag </%(tag)s> has no opening tag", tag=name))
    problems += [t_("HTML tag <%(tag)s> is not closed", tag=name) for name in reversed(stack)]
    return problems


def _check_tags(msgid: str, msgstr: str, lang: str | None) -> list[str]:
    source, target = _tags(msgid), _tags(msgstr)
    if not source and not target:
        return []
    problems = _check_multiset(
        [f"<{name}>" for closing, name, _, _ in source if not closing],
        [f"<{name}>" for closing, name, _, _ in target if not closing],
        "HTML tag",
    )
    if not _balance(source):
        problems += _balance(target)
    else:  # the source leaves tags open (a block split over segments): compare closings
        problems += _check_multiset(
            [f"</{name}>" for closing, name, _, _ in source if closing],
            [f"</{name}>" for closing, name, _, _ in target if closing],
            "closing tag",
        )
    if any(a.strip(_NO_ATTRIBUTES) for _, _, _, a in source + target):
        problems += _check_attributes(source, target, lang)
    return problems


def _opening_tags(
    tags: list[tuple[bool, str, bool, str]],
) -> list[tuple[str, dict[str, str]]]:
    """(name, attributes) for each opening tag of ``_tags``; values entity-decoded."""
    found: list[tuple[str, dict[str, str]]] = []
    for closing, name, _, inside in tags:
        if closing:
            continue
        attributes: dict[str, str] = {}
        if inside.strip(_NO_ATTRIBUTES):
            for a in _ATTRIBUTE.finditer(inside):
                value = next((v for v in a.group(2, 3, 4) if v is not None), "")
                attributes.setdefault(a.group(1).lower(),
                                      html.unescape(value) if "&" in value else value)
        found.append((name, attributes))
    return found


def _is_active(attribute: str) -> bool:
    """An attribute that runs or restyles something: event handlers, style, srcdoc …"""
    return attribute.startswith("on") or attribute in _ACTIVE_ATTRIBUTES


def _check_attributes(
    source_tags: list[tuple[bool, str, bool, str]],
    target_tags: list[tuple[bool, str, bool, str]],
    lang: str | None,
) -> list[str]:
    """Each tag's attributes against its source counterpart's (the n-th tag of its name)."""
    source, target = _opening_tags(source_tags), _opening_tags(target_tags)
    problems: list[str] = []
    # Active attributes and dangerous URLs the source does not have, in any tag.
    allowed_active = {(n, a, v) for n, attributes in source for a, v in attributes.items()
                      if _is_active(a)}
    allowed_urls = {u for _, attributes in source for a, v in attributes.items()
                    if a not in _PROSE_ATTRIBUTES and (u := _dangerous_url(v))}
    refused: set[tuple[int, str]] = set()
    for i, (name, attributes) in enumerate(target):
        for attribute, value in attributes.items():
            if _is_active(attribute) and (name, attribute, value) not in allowed_active:
                problems.append(t_("HTML tag <%(tag)s>: attribute %(attribute)s is not allowed "
                                   "unless the source has it, with the same value", tag=name,
                                   attribute=attribute))
                refused.add((i, attribute))
            elif attribute not in _PROSE_ATTRIBUTES and (url := _dangerous_url(value)) and (
                url not in allowed_urls
            ):
                problems.append(t_("HTML tag <%(tag)s>: attribute %(attribute)s holds a "
                                   "%(scheme)s: URL that the source does not have", tag=name,
                                   attribute=attribute, scheme=_scheme(url)))
                refused.add((i, attribute))
    # Tag by tag, per name; a name whose count differs is the tag check's problem.
    by_name: dict[str, tuple[list[dict[str, str]], list[tuple[int, dict[str, str]]]]] = {}
    for name, attributes in source:
        by_name.setdefault(name, ([], []))[0].append(attributes)
    for i, (name, attributes) in enumerate(target):
        by_name.setdefault(name, ([], []))[1].append((i, attributes))
    for name, (olds, news) in by_name.items():
        if len(olds) != len(news):
            continue
        for n, (old, (i, new)) in enumerate(zip(olds, news, strict=True), start=1):
            if old == new:
                continue
            tag = (t_("HTML tag <%(tag)s> (number %(n)d)", tag=name, n=n) if len(olds) > 1
                   else t_("HTML tag <%(tag)s>", tag=name))
            for attribute, value in old.items():
                if attribute not in new:
                    problems.append(t_("%(tag)s: attribute %(attribute)s is missing", tag=tag,
                                       attribute=attribute))
                    continue
                changed = new[attribute]
                if (changed == value or attribute in _PROSE_ATTRIBUTES
                        or (i, attribute) in refused):
                    continue
                if attribute in _LINK_ATTRIBUTES:
                    if lang and _same_link(value, changed, lang):
                        continue
                    hint = (t_("; a link may only gain the language prefix /%(lang)s", lang=lang)
                            if lang else t_("; a link must stay as in the source"))
                else:
                    hint = t_("; only title and alt may be translated")
                problems.append(t_('%(tag)s: attribute %(attribute)s changed from "%(old)s" '
                                   'to "%(new)s"%(hint)s', tag=tag, attribute=attribute,
                                   old=value, new=changed, hint=hint))
            problems += [t_('%(tag)s: extra attribute %(attribute)s="%(value)s"', tag=tag,
                            attribute=attribute, value=value)
                         for attribute, value in new.items()
                         if attribute not in old and (i, attribute) not in refused]
    return problems


# -- links --------------------------------------------------------------------


def _without_tags(text: str) -> str:
    """``text`` without its HTML tags, keeping `code spans` as they are."""
    if "<" not in text or (":" not in text and "](" not in text):  # no link to hide
        return text
    if "`" not in text:
        return _TAG.sub(" ", text)
    pieces: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        pieces += [_TAG.sub(" ", text[pos:m.start()]), m.group(0)]
        pos = m.end()
    pieces.append(_TAG.sub(" ", text[pos:]))
    return "".join(pieces)


def _urls(text: str) -> set[str]:
    found = {m.rstrip(_URL_TRAILING) for m in _URL.findall(text)} if "://" in text else set()
    if "](" in text:
        for angled, bare in _LINK_TARGET.findall(text):
            target = (angled or bare).strip()
            if target:
                found.add(target)
    if "<" in text and ":" in text:  # autolinks other than http(s) matter when dangerous
        found |= {u for u in _AUTOLINK.findall(text) if _dangerous_url(u)}
    return found


def _check_urls(msgid: str, msgstr: str, lang: str | None) -> list[str]:
    source, target = _urls(msgid), _urls(msgstr)
    if source == target:
        return []
    found: set[str] = set()
    extra: list[str] = []
    for url in sorted(target):
        if url in source:
            found.add(url)
        elif lang and (original := next(
            (s for s in source if _same_link(s, url, lang)), None
        )) is not None:
            found.add(original)
        else:
            extra.append(url)
    problems: list[str] = [t_("URL %(url)s is missing", url=u) for u in sorted(source - found)]
    for url in extra:
        dangerous = _dangerous_url(url)
        problems.append(
            t_("URL %(url)s is not allowed: a translation may not add %(scheme)s: links",
               url=url, scheme=_scheme(dangerous))
            if dangerous else t_("extra URL %(url)s", url=url)
        )
    return problems


def _same_link(source: str, target: str, lang: str) -> bool:
    """Whether ``target`` is ``source``, or ``source`` with the language prefix added."""
    if target == source:
        return True
    unprefixed = _without_lang_prefix(target, lang)
    return unprefixed is not None and (
        unprefixed == source
        or (unprefixed == source + "/" and _ORIGIN.fullmatch(source) is not None)
    )


def _without_lang_prefix(url: str, lang: str) -> str | None:
    """``/ru/docs/x`` → ``/docs/x``, ``https://site/ru`` → ``https://site/``; None when
    ``url`` is not site-absolute or has no ``lang`` prefix."""
    if url.startswith("/") and not url.startswith("//"):
        origin, path = "", url
    elif (m := _ORIGIN.match(url)) is not None:
        origin, path = m.group(0), url[m.end():]
    else:
        return None
    end = len(lang) + 1
    if path[:end].lower() != f"/{lang.lower()}" or path[end:end + 1] not in ("", "/", "?", "#"):
        return None
    rest = path[end:]
    return origin + (rest if rest.startswith("/") else "/" + rest)


def _dangerous_url(value: str) -> str | None:
    """``value`` as a browser reads its scheme, when that is javascript:, vbscript: or data:."""
    if ":" not in value and "&" not in value:
        return None
    url = _URL_NOISE.sub("", html.unescape(value) if "&" in value else value)
    return url if _DANGEROUS_SCHEME.match(url) else None


def _scheme(url: str | None) -> str:
    return (url or "").split(":", 1)[0].lower()


# -- numbers ------------------------------------------------------------------


def _strip_non_numbers(text: str) -> str:
    """Remove what other checks own (URLs, tags, entities, placeholders, footnotes)."""
    for pattern, trigger in _NON_NUMBERS:
        if trigger in text:
            text = pattern.sub(" ", text)
    return text


def _digits(number: str) -> str:
    return "".join(str(unicodedata.decimal(c, c)) for c in number if c.isdigit())


def _numbers(text: str) -> list[tuple[str, str]]:
    """(written form, digits) for each number, thousands and decimal separators dropped."""
    found: list[tuple[str, str]] = []
    if not _DIGITS.search(text):  # both patterns below need a digit
        return found

    def take(match: re.Match[str]) -> str:
        found.append((match.group(0), _digits(match.group(0))))
        return " "

    text = _SPACE_GROUPED.sub(take, text)
    _NUMBER.sub(take, text)
    return found


def _check_numbers(source_text: str, target_text: str) -> list[str]:
    """Arguments: msgid and msgstr through ``_strip_non_numbers``."""
    source, target = _numbers(source_text), _numbers(target_text)
    if not source and not target:
        return []
    if Counter(d for _, d in source) == Counter(d for _, d in target):
        return []
    # Grouped differently ("1000" against "1 000") but the same digit runs: still fine.
    runs = Counter(_digits(m) for m in _DIGITS.findall(source_text))
    if runs == Counter(_digits(m) for m in _DIGITS.findall(target_text)):
        return []
    written = {d: w for w, d in reversed(target)} | {d: w for w, d in reversed(source)}
    missing = Counter(d for _, d in source) - Counter(d for _, d in target)
    extra = Counter(d for _, d in target) - Counter(d for _, d in source)
    return [t_("number %(number)s is missing", number=written[d])
            for d in sorted(missing.elements())] + [
        t_("extra number %(number)s", number=written[d]) for d in sorted(extra.elements())
    ]


# -- Markdown -----------------------------------------------------------------


def _markdown_markers(text: str) -> dict[str, int]:
    """Marker counts of a text already through ``_without_code`` and ``_strip_non_numbers``."""
    counts = {"`": text.count("`")}
    for marker in ("**", "__"):
        counts[marker] = n = text.count(marker)
        if n:
            text = text.replace(marker, " ")
    counts["*"] = len(_STAR.findall(text)) if "*" in text else 0
    counts["_"] = _INTRAWORD_UNDERSCORE.sub("", text).count("_") if "_" in text else 0
    return counts


_MARKER_NAMES = {
    "**": t_("bold marker **"),
    "__": t_("bold marker __"),
    "*": t_("emphasis marker *"),
    "_": t_("emphasis marker _"),
    "`": t_("code marker `"),
}


def _check_markdown(msgid: str, msgstr: str) -> list[str]:
    """Arguments: msgid and msgstr through ``_without_code`` and ``_strip_non_numbers``."""
    source, target = _markdown_markers(msgid), _markdown_markers(msgstr)
    if source == target:
        return []
    problems: list[str] = []
    for marker, label in _MARKER_NAMES.items():
        if source[marker] != target[marker]:
            problems.append(
                t_("Markdown %(marker)s is missing: %(source)d in the source, %(target)d in "
                   "the translation", marker=label, source=source[marker],
                   target=target[marker])
                if source[marker] > target[marker] else
                t_("Markdown %(marker)s is extra: %(source)d in the source, %(target)d in the "
                   "translation", marker=label, source=source[marker], target=target[marker])
            )
    return problems


# -- shared -------------------------------------------------------------------


def _check_multiset(source: list[str], target: list[str], what: str) -> list[str]:
    if not source and not target:
        return []
    wanted, found = Counter(source), Counter(target)
    missing, extra = _MULTISET[what]
    problems = [missing(item) for item in _ordered(source, wanted - found)]
    problems += [extra(item) for item in _ordered(target, found - wanted)]
    return problems


#: (missing, extra) messages of each kind of thing a translation must carry over.
_MULTISET: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "placeholder": (lambda x: t_("placeholder %(item)s is missing", item=x),
                    lambda x: t_("extra placeholder %(item)s", item=x)),
    "HTML tag": (lambda x: t_("HTML tag %(item)s is missing", item=x),
                 lambda x: t_("extra HTML tag %(item)s", item=x)),
    "closing tag": (lambda x: t_("closing tag %(item)s is missing", item=x),
                    lambda x: t_("extra closing tag %(item)s", item=x)),
    "footnote marker": (lambda x: t_("footnote marker %(item)s is missing", item=x),
                        lambda x: t_("extra footnote marker %(item)s", item=x)),
}


def _ordered(order: list[str], counts: Counter[str]) -> list[str]:
    """Items of ``counts`` (with repeats) in the order they first appear in ``order``."""
    out: list[str] = []
    for item in dict.fromkeys(order):
        out += [item] * counts[item]
    return out
