"""The formats agencies and CAT tools speak: XLIFF 1.2 and 2.0 for tasks, TMX 1.4b for the
translation memory. Pure readers and writers (``inline``, ``xliff``, ``tmx``, over the
guarded parser in ``safexml``) and their adapters (``tasks``, ``memory``)."""

from sync.interchange.xliff import VERSIONS, sniff

__all__ = ["VERSIONS", "sniff"]
