"""Errors raised by transync.

Every error is a :class:`TransyncError`; a subclass's docstring is its default
message (a :class:`sync.i18n.Text`, so the web shows it in the reader's language:
babel.cfg's extractor finds the docstrings). Errors carry their context as fields
(file, line, post, language) and say what to do next.

TransyncError
├── ConfigError                 a setting has a value transync cannot use
├── InputError                  a file, upload or field was rejected
│   ├── FrontMatterError        front matter is not valid YAML/TOML/JSON
│   ├── SubmissionError         a submitted translation failed its checks
│   └── CatalogError            a PO file could not be read
├── SourceError                 a source could not be read (network, path)
├── NotFound                    a post, task or user does not exist
├── PermissionDenied            the actor may not do this
└── ConflictError               the state does not allow this (task not claimed, …)
"""

from __future__ import annotations

from sync.i18n import Text, default_message, nt_

#: A refusal lists at most this many problems, then how many more there are (a PO file of
#: 90,000 bad entries must not print 90,000 lines); ``InputError.problems`` keeps them all.
MAX_SHOWN_PROBLEMS = 50


class TransyncError(Exception):
    """transync failed."""

    def __init__(self, message: str | None = None, **context: object) -> None:
        self.message = message or Text(default_message(self.__doc__))
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
        problem_count: int | None = None,
        **context: object,
    ) -> None:
        super().__init__(message, **context)
        self.path = path
        self.line = line
        #: Every problem found (a producer that stops collecting early passes problem_count).
        self.problems = list(problems or [])
        self._problem_count = problem_count or 0

    @property
    def problem_count(self) -> int:
        """How many problems there are in all, listed or not."""
        return max(self._problem_count, len(self.problems))

    @property
    def shown_problems(self) -> list[str]:
        """The problems a person is shown: the first :data:`MAX_SHOWN_PROBLEMS`."""
        return self.problems[:MAX_SHOWN_PROBLEMS]

    @property
    def more_problems(self) -> str | None:
        """The line that stands for the problems not shown, or None when all are."""
        hidden = self.problem_count - len(self.shown_problems)
        if hidden <= 0:
            return None
        return nt_(
            "… and %(hidden)s more problem (%(count)s in all); fix these and try again "
            "to see the rest",
            "… and %(hidden)s more problems (%(count)s in all); fix these and try again "
            "to see the rest",
            hidden,
            hidden=f"{hidden:,}",
            count=f"{self.problem_count:,}",
        )

    def problem_lines(self) -> list[str]:
        """What a person reads: the shown problems, then how many more there are."""
        more = self.more_problems
        return self.shown_problems + ([more] if more else [])

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = where + self.message
        lines = [f"  - {p}" for p in self.shown_problems]
        if self.more_problems:
            lines.append(f"  {self.more_problems}")
        if lines:
            text += "\n" + "\n".join(lines)
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
