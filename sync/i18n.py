"""Messages the core says, in the reader's language where there is one.

The core (checks, queue, submissions) says things in English, which the command line
prints. A :class:`Text` is that English (it *is* the string) that also remembers its
message id and parameters, so the web shows it in the reader's language: the same catalog
(domain ``transync``) holds both the web's and the core's messages. Mark a message with
:func:`t_` (or :func:`nt_` for counts); ``pybabel extract`` finds both (babel.cfg).

A message may carry a hint for the command line only (``cli=``): a command to run. The
command line prints it after the message; the web never shows it (a page has buttons).

An error's default message is its class's docstring (sync.errors); :func:`extract`, the
extractor babel.cfg names for the core, finds those besides the ``t_``/``nt_`` messages.

Pure: no web framework, no database.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

__all__ = ["Text", "extract", "localize", "nt_", "t_"]


class Text(str):
    """English text that knows its message id and parameters.

    >>> t = t_("task #%(id)d is %(state)s", id=7, state="done")
    >>> t, t.msgid, t.params["id"]
    ('task #7 is done', 'task #%(id)d is %(state)s', 7)
    >>> str(t_("no task #%(id)d", id=3, cli="`transync tasks` lists them"))
    'no task #3; `transync tasks` lists them'
    """

    __slots__ = ("msgid", "plural", "n", "params", "cli")
    msgid: str
    plural: str | None
    n: int | None
    params: Mapping[str, Any]
    cli: str | None

    def __new__(
        cls,
        msgid: str,
        params: Mapping[str, Any] | None = None,
        *,
        plural: str | None = None,
        n: int | None = None,
        cli: str | None = None,
    ) -> Text:
        params = dict(params or {})
        form = plural if plural is not None and n != 1 else msgid
        english = form % params if params else form
        if cli:
            english = f"{english}; {cli}"
        self = super().__new__(cls, english)
        self.msgid, self.plural, self.n, self.params, self.cli = msgid, plural, n, params, cli
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return _text, (self.msgid, self.params, self.plural, self.n, self.cli)

    @property
    def web(self) -> str:
        """The English without the command-line hint."""
        form = self.plural if self.plural is not None and self.n != 1 else self.msgid
        return form % self.params if self.params else form


def _text(
    msgid: str, params: Mapping[str, Any], plural: str | None, n: int | None, cli: str | None
) -> Text:
    return Text(msgid, params, plural=plural, n=n, cli=cli)


def t_(msgid: str, /, *, cli: str | None = None, **params: Any) -> Text:
    """A message: ``t_("task #%(id)d is %(state)s", id=7, state="done")``."""
    return Text(msgid, params, cli=cli)


def nt_(singular: str, plural: str, n: int, /, *, cli: str | None = None, **params: Any) -> Text:
    """A message that counts: ``nt_("%(num)d file", "%(num)d files", n, num=n)``."""
    return Text(singular, params, plural=plural, n=n, cli=cli)


def localize(
    value: Any, gettext: Callable[[str], str], ngettext: Callable[[str, str, int], str]
) -> Any:
    """A Text in the language of `gettext` (its parameters too, when they are Texts), without
    the command-line hint; anything else as it is.

    >>> tr = {"no task #%(id)d": "görev #%(id)d yok"}
    >>> localize(t_("no task #%(id)d", id=3, cli="x"), tr.get, None)
    'görev #3 yok'
    """
    if not isinstance(value, Text):
        return value
    params = {k: localize(v, gettext, ngettext) for k, v in value.params.items()}
    if value.plural is not None:
        form = ngettext(value.msgid, value.plural, value.n if value.n is not None else 1)
    else:
        form = gettext(value.msgid)
    try:
        return form % params if params else form
    except (KeyError, TypeError, ValueError):  # a broken translation: the English instead
        return value.web


#: The error classes of sync.errors: each, and a class deriving from one of them (or from a
#: class so derived in the same file), has its docstring's first line as its default message.
ERROR_BASES = frozenset(
    {
        "TransyncError",
        "ConfigError",
        "InputError",
        "FrontMatterError",
        "SubmissionError",
        "CatalogError",
        "SourceError",
        "NotFound",
        "PermissionDenied",
        "ConflictError",
    }
)


def default_message(doc: str | None) -> str:
    """The default message an error class's docstring gives: its first line."""
    return (doc or "").strip().splitlines()[0] if (doc or "").strip() else ""


def extract(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Any, options: Mapping[str, Any]
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """A babel extractor for the core's modules: what babel's Python extractor finds
    (``t_``, ``nt_``), and each error class's default message (its docstring's first line),
    which :class:`sync.errors.TransyncError` shows as a :class:`Text`."""
    import io

    from babel.messages.extract import extract_python

    data = fileobj.read()
    yield from extract_python(io.BytesIO(data), keywords, comment_tags, options)
    try:
        tree = ast.parse(data)
    except SyntaxError:
        return
    errors = set(ERROR_BASES)
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        if node.name not in ERROR_BASES and not any(
            isinstance(b, ast.Name) and b.id in errors for b in node.bases
        ):
            continue
        errors.add(node.name)
        message = default_message(ast.get_docstring(node))
        if message:
            yield node.lineno, "", message, [f"the default message of {node.name}"]
