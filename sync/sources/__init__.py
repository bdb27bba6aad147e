"""Sources of documents: content trees (fs:), WordPress REST (wp:) and WXR files (wxr:)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sync.config import Settings
from sync.errors import ConfigError


def open_source(spec: str, settings: Settings) -> Any:
    """The source a spec names: ``fs:PATH`` (or a bare path), ``wxr:FILE``, ``wp:URL``."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in {"fs", "wxr", "wp"} or (len(kind) == 1 and sep):
        kind, rest = "fs", spec
    if kind == "fs":
        from sync.sources.fs import ContentTree

        return ContentTree(
            Path(rest).expanduser().resolve(),
            languages=settings.languages,
            default_lang=settings.source_lang,
            settings=settings,
        )
    if kind == "wxr":
        from sync.sources.wxr import WxrFile

        # the path as given, made absolute but not resolved: a link such as latest.xml that
        # points at each new dated export stays one source
        return WxrFile(Path(os.path.abspath(Path(rest).expanduser())), settings)
    if kind == "wp":
        from sync.sources.wordpress import WordPressSite

        return WordPressSite(rest, settings)
    raise ConfigError(f"unknown source {spec!r}; use fs:PATH, wxr:FILE or wp:URL")
