"""The start of a WXR file as WordPress really writes it, before expat reads it.

Blank lines before ``<?xml …?>`` (a plugin or theme that prints a newline before the
export) make XML refuse the file, and exporting again writes them again: they are moved
after the declaration, so every line after it keeps its number.

WordPress declares the site's ``blog_charset`` but its wxr_cdata() writes every CDATA
section as UTF-8, so a site on ISO-8859-1 (or another single-byte charset) exports UTF-8
text under a single-byte declaration. A file so declared whose every byte reads as UTF-8,
non-ASCII ones included, is read as UTF-8; one that is not valid UTF-8 really is in the
declared charset and is read in it.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from sync.sources.wxr.schema import CHUNK

_BLANK = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"<\?xml[ \t\r\n]")
_ENCODING = re.compile(rb"""\bencoding[ \t\r\n]*=[ \t\r\n]*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
#: Python's names for the charsets a WordPress site may declare whose bytes are one
#: character each (latin1, ISO-8859-15, windows-1252… and their aliases).
_SINGLE_BYTE = frozenset(
    {"ascii"} | {f"iso8859-{n}" for n in range(1, 17)} | {f"cp{n}" for n in range(1250, 1259)}
)


def declaration_first(head: bytes) -> bytes:
    """``head`` (the first bytes of the file) with the whitespace before its XML
    declaration moved after it; as it is when there is none."""
    bom = _BOM if head.startswith(_BOM) else b""
    body = head[len(bom) :]
    rest = body.lstrip(_BLANK)
    blank = body[: len(body) - len(rest)]
    if not blank or not _DECLARATION.match(rest):
        return head
    end = rest.find(b"?>")
    if end < 0:
        return head  # a declaration longer than a chunk: expat says what is wrong
    end += 2
    return bom + rest[:end] + blank + rest[end:]


def declared_encoding(head: bytes) -> str | None:
    """The encoding the XML declaration at the start of ``head`` names, if any."""
    body = head[len(_BOM) :] if head.startswith(_BOM) else head
    if not _DECLARATION.match(body):
        return None
    end = body.find(b"?>")
    found = _ENCODING.search(body, 0, end if end >= 0 else len(body))
    return found.group(1).decode("ascii") if found else None


def single_byte(encoding: str | None) -> bool:
    """Whether ``encoding`` is a single-byte charset a WordPress site may declare."""
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name in _SINGLE_BYTE
    except LookupError:
        return False


def utf8_text(head: bytes, stream: BinaryIO) -> bool:
    """Whether ``head`` and the rest of ``stream`` are valid UTF-8 holding non-ASCII
    bytes. Reads the rest of the stream a chunk at a time, and seeks it back."""
    at = stream.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    non_ascii = False
    chunk = head
    try:
        while True:
            non_ascii = non_ascii or not chunk.isascii()
            decoder.decode(chunk, not chunk)
            if not chunk:
                return non_ascii
            chunk = stream.read(CHUNK)
    except UnicodeDecodeError:
        return False
    finally:
        stream.seek(at)
