"""Errors raised by transync.

Every error is a :class:`TransyncError`; a subclass's docstring is its default
message. Errors carry their context as fields (file, line, post, language) and
say what to do next.

TransyncError
├── ConfigError                 a setting has a value transync cannot use
├── InputError                  a file, upload or field was rejected
│   ├── FrontMatterError        front matter is not valid YAML/TOML
│   ├── SubmissionError         a submitted translation failed its checks
│   └── CatalogError            a PO file could not be read
├── SourceError                 a source could not be read (network, path)
├── NotFound                    a post, task or user does not exist
├── PermissionDenied            the actor may not do this
└── ConflictError               the state does not allow this (task not claimed, …)
"""

from __future__ import annotations


class TransyncError(Exception):
    """transync failed."""

    def __init__(self, message: str | None = None, **context: object) -> None:
        self.message = message or (self.__doc__ or "").strip().splitlines()[0]
        self.context = context
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ConfigError(TransyncError):
    """A setting has a value transync cannot use; check TRANSYNC_* variables and transync.toml."""


class InputError(TransyncError):
    """The input was rejected."""

    def __init__(
        self,
        message: str | None = None,
        *,
        path: str | None = None,
        line: int | None = None,
        problems: list[str] | None = None,
        **context: object,
    ) -> None:
        super().__init__(message, **context)
        self.path = path
        self.line = line
        self.problems = list(problems or [])

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = where + self.message
        if self.problems:
            text += "\n" + "\n".join(f"  - {p}" for p in self.problems)
        return text


class FrontMatterError(InputError):
    """Front matter is not valid; fix the YAML between the --- lines."""


class SubmissionError(InputError):
    """The submitted translation failed its checks; nothing was applied."""


class CatalogError(InputError):
    """The file is not a readable PO catalog."""


class SourceError(TransyncError):
    """A source could not be read."""


class NotFound(TransyncError):
    """No such post, task or user."""


class PermissionDenied(TransyncError):
    """You may not do this."""


class ConflictError(TransyncError):
    """The current state does not allow this."""
