"""Version states, derived from recorded revisions; never typed in by hand. Pure."""

from __future__ import annotations

import enum


class State(enum.StrEnum):
    SOURCE = "source"
    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"
    ORPHANED = "orphaned"


STATES: tuple[State, ...] = tuple(State)


def translation_state(
    *,
    version_alive: bool,
    source_alive: bool,
    based_on: int | None,
    source_revision: int | None,
) -> State:
    """The state of a non-source language of a post.

    >>> translation_state(version_alive=True, source_alive=True, based_on=1, source_revision=2)
    <State.STALE: 'stale'>
    >>> translation_state(version_alive=True, source_alive=False, based_on=1, source_revision=1)
    <State.ORPHANED: 'orphaned'>
    """
    if not version_alive:
        return State.MISSING
    if not source_alive:
        return State.ORPHANED
    if based_on is None or source_revision is None or based_on >= source_revision:
        return State.CURRENT
    return State.STALE
