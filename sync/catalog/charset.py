"""Which text the bytes of an uploaded PO file are: the declared charset, checked.

A charset that does not fit the bytes is refused with the line and what to do, among
them UTF-8 text under a header naming another charset, which would read as mojibake.
"""

from __future__ import annotations

import codecs
import functools
import re

from sync.errors import CatalogError
from sync.i18n import t_


def _unix_newlines(data: bytes) -> bytes:
    """CRLF as LF, and CR as LF in a file with no LF at all (old Mac editors), before decoding:
    every charset read here is ASCII-compatible, so no multi-byte character holds these bytes."""
    data = data.replace(b"\r\n", b"\n")
    if b"\n" not in data:
        data = data.replace(b"\r", b"\n")
    return data


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_HEADER_MSGID = re.compile(rb'[ \t]*msgid[ \t]*""[ \t]*\Z')
#: Content-Type's charset in the header's msgstr, its quoted pieces joined (fields end in
#: a literal ``\\n``): gettext finds it however the header is wrapped (msgcat --width
#: splits the field; some tools write the whole header as one string).
_HEADER_CHARSET = re.compile(
    rb'(?:\A|\\n)[ \t]*Content-Type:(?:(?!\\n)[^"])*?charset=([A-Za-z0-9_.:\-]+)'
)


def _header_charset(data: bytes) -> tuple[str | None, int | None]:
    """The charset the header's Content-Type declares, and the number of the line where it
    is; None for both when the file has no header entry or its Content-Type names no
    charset.

    The header is the first entry, with ``msgid ""`` and no msgctxt: a Content-Type line in
    the msgstr of another entry (a post about HTTP) declares nothing.
    """
    start, number, in_header = 0, 0, False
    pieces: list[bytes] = []
    lines: list[tuple[int, int]] = []  # (offset in the joined pieces, line number)
    at = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        line, start, number = data[start:end], end + 1, number + 1
        stripped = line.strip()
        if not in_header:
            if not stripped or stripped.startswith(b"#"):
                continue
            if not _HEADER_MSGID.match(line):
                return None, None
            in_header = True
            continue
        if stripped.startswith(b"msgstr"):
            stripped = stripped[len(b"msgstr") :].strip()
        if not (stripped.startswith(b'"') and stripped.endswith(b'"') and len(stripped) > 1):
            break  # the header's msgstr ends
        piece = stripped[1:-1]
        lines.append((at, number))
        pieces.append(piece)
        at += len(piece)
    match = _HEADER_CHARSET.search(b"".join(pieces))
    if match is None:
        return None, None
    line = next(n for offset, n in reversed(lines) if offset <= match.start(1))
    return match.group(1).decode("ascii"), line


#: Printable ASCII, tab, newline and what PO strings hold: a charset a PO file can be in
#: reads them as ASCII does. This rules out UTF-16, UTF-7, EBCDIC, HZ and Python codecs
#: that are no charsets: rot13, base64, unicode_escape (``\\n``), idna (``xn--``) …
_ASCII_PROBE = (
    bytes(b for b in range(0x20, 0x7F) if b != 0x5C)
    + b"\t\n"
    + rb'msgstr "\n\t\\ \"\u0434\" xn--d1a.xn--p1ai ~{ +AGEA-"'
)
_UTF8_NAMES = frozenset({"utf-8", "utf-8-sig"})


@functools.lru_cache(maxsize=64)
def _reads_ascii(codec: str) -> bool:
    try:
        return _ASCII_PROBE.decode(codec) == _ASCII_PROBE.decode("ascii")
    except (LookupError, UnicodeError, ValueError):
        return False


def _codec(declared: str, name: str, line: int) -> str:
    """The Python codec for a declared charset, refusing one that is unknown or that a PO
    file cannot be in."""
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise CatalogError(
            t_(
                "the header declares charset=%(charset)s on line %(line)d, an encoding transync "
                "does not know; save the file as UTF-8 and set 'charset=UTF-8' in the "
                "Content-Type header",
                charset=declared,
                line=line,
            ),
            path=name,
            line=line,
        ) from None
    if not _reads_ascii(codec):
        raise CatalogError(
            t_(
                "the header declares charset=%(charset)s on line %(line)d, which a PO file "
                "cannot be in (it does not read plain ASCII as ASCII); save the file as UTF-8 "
                "and set 'charset=UTF-8' in the Content-Type header",
                charset=declared,
                line=line,
            ),
            path=name,
            line=line,
        )
    return "utf-8" if codec in _UTF8_NAMES else codec


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of a PO file (BOM gone, LF line ends) and the codec that read it.

    The charset is the one the header declares, else UTF-8. ``charset=CHARSET``, the
    placeholder a POT file carries, reads as UTF-8, as gettext reads it as ASCII-compatible
    bytes; if the bytes are not UTF-8 the refusal says the placeholder was never set.
    A file whose header names another charset, but whose bytes are valid UTF-8 with
    multi-byte sequences, is refused: a single-byte charset (KOI8-R, CP1251, Latin-1)
    decodes any bytes, so it would read as mojibake, while text really in such a charset is
    almost never valid UTF-8 (its letters would have to come in lead-and-continuation
    byte patterns, e.g. KOI8-R's lowercase Cyrillic followed by box-drawing characters).
    """
    declared, header_line = _header_charset(data)
    if declared is None or declared.upper() == "CHARSET":
        codec = "utf-8"
    else:
        assert header_line is not None
        codec = _codec(declared, name, header_line)
        if codec != "utf-8":
            _refuse_utf8_under_another_name(data, declared, codec, name, header_line)
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc, declared, header_line, name) from exc


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _refuse_utf8_under_another_name(
    data: bytes, declared: str, codec: str, name: str, header_line: int
) -> None:
    """Refuse bytes that are valid UTF-8 with non-ASCII text under another charset's name,
    showing the first such word as UTF-8 reads it and as the declared charset would."""
    if data.isascii():
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    first = _NON_ASCII.search(text)
    assert first is not None
    at = first.start()
    start = max(at - 20, *(text.rfind(c, 0, at) + 1 for c in ' \t\n"'))
    ends = [i for i in (text.find(c, at) for c in ' \t\n"') if i >= 0]
    word = text[start : min([*ends, len(text), start + 40])]
    misread = word.encode("utf-8").decode(codec, errors="replace")
    line = text.count("\n", 0, at) + 1
    as_declared = (
        t_("%(charset)s cannot read it", charset=declared)
        if "\ufffd" in misread
        else t_("%(misread)s as %(charset)s", misread=repr(misread), charset=declared)
    )
    raise CatalogError(
        t_(
            "the header declares charset=%(charset)s on line %(header_line)d, but the file is "
            "UTF-8: line %(line)d reads %(word)s as UTF-8 and %(as_declared)s; change line "
            "%(header_line)d to charset=UTF-8 (the editor saved UTF-8 and kept an old header) "
            "and upload again",
            charset=declared,
            header_line=header_line,
            line=line,
            word=repr(word),
            as_declared=as_declared,
        ),
        path=name,
        line=header_line,
        text_line=line,
    )


def _undecodable(
    data: bytes, exc: UnicodeDecodeError, declared: str | None, header_line: int | None, name: str
) -> CatalogError:
    """The refusal of bytes that the charset read does not decode."""
    line = _line_at(data, exc.start)
    if exc.end >= len(data) and exc.reason == "unexpected end of data":
        return CatalogError(
            t_(
                "the file ends in the middle of a character, so it is truncated; upload the "
                "whole file"
            ),
            path=name,
            line=line,
        )
    byte = f"0x{data[exc.start]:02x}"
    if declared is None:
        why = t_(
            "byte %(byte)s on line %(line)d is not valid UTF-8 (the header declares no "
            "charset, so UTF-8 is read)",
            byte=byte,
            line=line,
        )
    elif declared.upper() == "CHARSET":
        why = t_(
            "byte %(byte)s on line %(line)d is not valid UTF-8, and the header still has "
            "the template's placeholder charset=CHARSET on line %(header_line)s",
            byte=byte,
            line=line,
            header_line=header_line,
        )
    else:
        why = t_(
            "byte %(byte)s on line %(line)d is not valid %(charset)s, the charset the "
            "header declares on line %(header_line)s",
            byte=byte,
            line=line,
            charset=declared,
            header_line=header_line,
        )
    return CatalogError(
        t_(
            "%(why)s; save the file as UTF-8 and set 'charset=UTF-8' in the Content-Type header",
            why=why,
        ),
        path=name,
        line=line,
        header_line=header_line,
    )
