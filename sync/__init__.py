"""transync: keep the language versions of a publisher's posts in sync."""

from __future__ import annotations

from sync.errors import TransyncError

__version__ = "0.1.0"

__all__ = ["TransyncError", "__version__"]
