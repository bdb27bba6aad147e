"""Front matter: split a document file into its metadata (YAML, TOML or JSON) and its body.

Pure: takes bytes, returns values; no file access.
"""

from __future__ import annotations

import base64
import email.utils
import json
import math
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from sync.errors import FrontMatterError, InputError
from sync.i18n import t_
from sync.text import normalize_newlines

_BOM = b"\xef\xbb\xbf"
_DELIMITERS = {"---": "YAML", "+++": "TOML"}
_TOML_LINE = re.compile(r"at line (\d+)")


class AliasRefused(yaml.MarkedYAMLError):
    """The YAML uses an anchor or alias, which front matter never needs."""


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class FrontMatterLoader(_SafeLoader):
    """Safe YAML loader that refuses anchors and aliases outright, so alias bombs cannot run.

    The stream is scanned for events first (linear even for an alias bomb); only building
    the values could explode, and that never starts when an anchor or alias is present.

    Dates stay the strings they are written as (no implicit timestamps): ``date:
    2024-02-30`` is then a value the scan rejects with its line, not an exception inside
    the YAML library, and a date is written back exactly as the author wrote it.
    """

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str | bytes | Any) -> None:
        if not isinstance(stream, str | bytes):
            stream = stream.read()
        for event in yaml.parse(stream, Loader=_SafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise AliasRefused(
                    problem="YAML anchors and aliases (&name, *name) are not allowed",
                    problem_mark=event.start_mark,
                )
        super().__init__(stream)


#: PyYAML's commonest problems (libyaml's words, then the pure-Python loader's), as messages
#: a page shows in the reader's language.
_YAML_PROBLEMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"mapping values are not allowed in this context\Z"),
        lambda m: t_("mapping values are not allowed in this context"),
    ),
    (
        re.compile(r"mapping values are not allowed here\Z"),
        lambda m: t_("mapping values are not allowed here"),
    ),
    (
        re.compile(r"found unexpected end of stream\Z"),
        lambda m: t_("found unexpected end of stream"),
    ),
    (
        re.compile(r"found character that cannot start any token\Z"),
        lambda m: t_("found character that cannot start any token"),
    ),
    (
        re.compile(r"found character (.+) that cannot start any token\Z"),
        lambda m: t_("found character %(char)s that cannot start any token", char=m[1]),
    ),
    (
        re.compile(r"found unknown escape character\Z"),
        lambda m: t_("found unknown escape character"),
    ),
    (
        re.compile(r"found unknown escape character (.+)\Z"),
        lambda m: t_("found unknown escape character %(char)s", char=m[1]),
    ),
    (re.compile(r"did not find expected key\Z"), lambda m: t_("did not find expected key")),
    (
        re.compile(r"did not find expected (.+)\Z"),
        lambda m: t_("did not find expected %(expected)s", expected=m[1]),
    ),
    (re.compile(r"could not find expected ':'\Z"), lambda m: t_("could not find expected ':'")),
    (
        re.compile(r"expected (.+), but found (.+)\Z"),
        lambda m: t_("expected %(expected)s, but found %(found)s", expected=m[1], found=m[2]),
    ),
    (
        re.compile(r"expected (.+), but got (.+)\Z"),
        lambda m: t_("expected %(expected)s, but got %(found)s", expected=m[1], found=m[2]),
    ),
)


def _yaml_problem(problem: str) -> str:
    """PyYAML's problem as it says it, a message (Text) when it is a common one."""
    for pattern, message in _YAML_PROBLEMS:
        m = pattern.match(problem)
        if m:
            return message(m)
    return problem


def load_yaml(text: str, *, origin: str, first_line: int = 1) -> Any:
    """Load YAML with :class:`FrontMatterLoader`; errors name ``origin`` and the file line.

    ``first_line`` is the file line where ``text`` starts.
    """
    try:
        return yaml.load(text, Loader=FrontMatterLoader)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # a value the constructor cannot build (an explicit !!timestamp that is no date,
        # nesting too deep): not a YAMLError, but still this file's front matter
        error = f"{type(exc).__name__}: {exc}"
        raise FrontMatterError(
            t_(
                "front matter has a value that cannot be read (%(error)s); fix the YAML between "
                "the --- lines",
                error=error,
            ),
            path=origin,
            line=first_line,
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + mark.line if mark is not None else first_line
        if isinstance(exc, AliasRefused):
            message = t_(
                "YAML anchors and aliases (&name, *name) are not allowed in front "
                "matter; write the values out"
            )
        else:
            problem = _yaml_problem(getattr(exc, "problem", None) or str(exc))
            message = t_(
                "front matter is not valid YAML: %(problem)s; fix the YAML between the --- lines",
                problem=problem,
            )
        raise FrontMatterError(message, path=origin, line=line) from exc


def _decode(raw: bytes, origin: str) -> str:
    """Decode strict UTF-8, dropping one leading BOM; say where the first bad byte is."""
    skip = len(_BOM) if raw.startswith(_BOM) else 0
    try:
        return raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        raise InputError(
            t_("not valid UTF-8 (byte offset %(offset)d); save the file as UTF-8", offset=offset),
            path=origin,
            line=raw.count(b"\n", 0, offset) + 1,
        ) from exc


def _load_toml(text: str, *, origin: str, first_line: int, end_line: int) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line = first_line + int(found.group(1)) - 1 if found else end_line
        raise FrontMatterError(
            t_(
                "front matter is not valid TOML: %(problem)s; fix the TOML between the +++ lines",
                problem=str(exc),
            ),
            path=origin,
            line=line,
        ) from exc


def is_json_front_matter(text: str) -> bool:
    """Whether a document (BOM removed) opens with Hugo's JSON front matter: a ``{`` first.

    ``{{`` is a shortcode (``{{< figure >}}``) opening a page that has no front matter;
    it can start no JSON object.
    """
    return text.startswith("{") and not text.startswith("{{")


def _load_json(text: str, *, origin: str) -> tuple[dict[str, Any], int]:
    """The JSON object opening ``text`` and the offset just past its closing ``}``."""
    try:
        data, end = json.JSONDecoder().raw_decode(text)
    except (json.JSONDecodeError, RecursionError) as exc:  # (RecursionError: nested too deep)
        where = exc if isinstance(exc, json.JSONDecodeError) else None
        raise FrontMatterError(
            t_(
                "front matter is not valid JSON: %(problem)s; fix the JSON object that opens "
                "the file",
                problem=where.msg if where else "nested too deep",
            ),
            path=origin,
            line=where.lineno if where else 1,
        ) from exc
    return data, end


def _parse_json(text: str, origin: str) -> tuple[dict[str, Any], str, int]:
    """Hugo's JSON front matter: the object opening the file, the body from the next line
    (or right after the ``}``, when something follows it on its line)."""
    data, end = _load_json(text, origin=origin)
    close_line = text.count("\n", 0, end) + 1
    line_end = text.find("\n", end)
    rest = text[end:] if line_end < 0 else text[end:line_end]
    if rest.strip():
        return data, text[end:], close_line
    return data, "" if line_end < 0 else text[line_end + 1 :], close_line + 1


def parse_document(raw: bytes, *, origin: str) -> tuple[dict[str, Any], str, int]:
    """Split a file into (front matter, body, 1-based file line where the body starts).

    Front matter is YAML between ``---`` lines, TOML between ``+++`` lines, a JSON object
    opening the file (as Hugo reads it), or absent. Line endings of the returned body are LF.
    """
    text = normalize_newlines(_decode(raw, origin))
    if is_json_front_matter(text):
        return _parse_json(text, origin)
    lines = text.split("\n")
    opener = lines[0].rstrip()
    if opener not in _DELIMITERS:
        return {}, text, 1
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].rstrip() == opener)
    except StopIteration:
        raise FrontMatterError(
            t_(
                "%(format)s front matter opened with %(delimiter)s is never closed; add a line "
                "with %(delimiter)s after it",
                format=_DELIMITERS[opener],
                delimiter=opener,
            ),
            path=origin,
            line=1,
        ) from None
    block = "\n".join(lines[1:close])
    if opener == "+++":
        # a final newline, so that a string left open on the last line is reported there
        data: Any = _load_toml(block + "\n", origin=origin, first_line=2, end_line=close + 1)
    else:
        data = load_yaml(block, origin=origin, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError(
            t_(
                "front matter must be a mapping of keys to values, found %(found)s",
                found=type(data).__name__,
            ),
            path=origin,
            line=2,
        )
    return data, "\n".join(lines[close + 1 :]), close + 2


def front_key(meta: Mapping[Any, Any], name: str) -> str | None:
    """The key ``meta`` writes ``name`` as, in any case: Hugo reads front-matter keys case
    insensitively (``Title:``, ``Draft: true``, ``TranslationKey:``). None when it has none.

    >>> front_key({"Title": "Hello", "tags": []}, "title")
    'Title'
    """
    if name in meta:
        return name
    low = name.lower()
    return next((k for k in meta if isinstance(k, str) and k.lower() == low), None)


def front_value(meta: Mapping[Any, Any], name: str, default: Any = None) -> Any:
    """The value of front-matter key ``name`` written in any case, as Hugo reads it.

    >>> front_value({"Draft": True}, "draft")
    True
    """
    key = front_key(meta, name)
    return default if key is None else meta[key]


def clashing_keys(meta: Mapping[Any, Any], names: Iterable[str]) -> tuple[str, str] | None:
    """Two keys of ``meta`` that are one of ``names`` to Hugo (``title`` and ``Title``), in
    the order the file writes them; None when there are none. Which one Hugo takes is not
    said anywhere, so such a file cannot be read as Hugo reads it.

    >>> clashing_keys({"title": "A", "Title": "B"}, ["title", "draft"])
    ('title', 'Title')
    """
    wanted = {name.lower() for name in names}
    seen: dict[str, str] = {}
    for key in meta:
        if isinstance(key, str) and (low := key.lower()) in wanted:
            if low in seen:
                return seen[low], key
            seen[low] = key
    return None


def render_document(front_matter: dict[str, Any], body: str) -> str:
    """YAML front matter between ``---`` lines, then the body, ending with a newline."""
    meta = yaml.safe_dump(front_matter, allow_unicode=True, sort_keys=False) if front_matter else ""
    if body and not body.endswith("\n"):
        body += "\n"
    return f"---\n{meta}---\n{body}"


def parse_date(value: object, *, field: str = "date") -> datetime | None:
    """An aware UTC datetime from front matter: a date or datetime (TOML gives those), or a
    string in ISO 8601 (``2024-03-01``, ``2024-03-01T10:00:00Z``) or RFC 2822 form. None for
    an absent or empty value; ValueError, saying what to write, for anything else.

    >>> parse_date("2024-03-01T12:00:00+03:00").isoformat()
    '2024-03-01T09:00:00+00:00'
    >>> parse_date("2024-02-30")
    Traceback (most recent call last):
    ValueError: date '2024-02-30' is not a date: write it as 2024-03-01 or 2024-03-01T10:00:00Z
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    found = to_datetime(value)
    if found is None and isinstance(value, str):
        try:
            found = to_datetime(email.utils.parsedate_to_datetime(value.strip()))
        except (TypeError, ValueError, IndexError):
            found = None
    if found is None:
        shown = value if isinstance(value, str) else type(value).__name__
        raise ValueError(
            t_(
                "%(field)s %(value)s is not a date: write it as 2024-03-01 or 2024-03-01T10:00:00Z",
                field=field,
                value=repr(shown),
            )
        )
    return found


def to_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from a datetime, date or ISO 8601 string (naive means UTC).

    Anything else, including an unparsable string, gives None.

    >>> to_datetime("2024-03-01T12:00:00+03:00").isoformat()
    '2024-03-01T09:00:00+00:00'
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def json_safe(d: dict[Any, Any]) -> dict[str, Any]:
    """A copy of front matter that every database's JSON column takes: dates and times as
    ISO strings, keys as strings, sets as lists, bytes as base64, non-finite numbers and
    anything else as text. (A YAML ``!!set`` or ``.inf`` must not fail a scan's commit.)"""
    return {_json_key(k): _json_value(v) for k, v in d.items()}


def _json_key(key: object) -> str:
    if isinstance(key, str):
        return sys.intern(key)  # one "title" for every post a scan holds, not one each
    if isinstance(key, date | time):
        return key.isoformat()
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _json_value(value: object) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return json_safe(value)
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json_value(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)
