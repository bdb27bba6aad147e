"""The Hugo site a content tree belongs to: its languages' content folders and its default
content language, read from the site's configuration.

A site may give each language its own content folder under any name (``[languages.en]
contentDir = "content/english"``); only its configuration says which folder is which
language. The configuration is the first of ``hugo.toml``/``.yaml``/``.json`` and
``config.toml``/``.yaml``/``.json`` in the site folder, with ``config/_default/`` (``hugo.*``,
``config.*``, ``languages.*``, ``module.*``) filling in what it does not set. A folder mounted
as content for one language (``[[module.mounts]] source = "content/turkish" target = "content"
lang = "tr"``, or ``sites.matrix.languages = ["tr"]``) is that language's content folder, as
a ``contentDir`` is. Keys are read in any case, as Hugo reads them. Reads files, nothing else.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sync.errors import InputError
from sync.frontmatter import _yaml_problem, front_value
from sync.i18n import t_

#: Root configuration files in the order Hugo looks for them; the first one found is read.
EXTENSIONS = ("toml", "yaml", "yml", "json")
ROOT_FILES = tuple(f"{stem}.{ext}" for stem in ("hugo", "config") for ext in EXTENSIONS)
#: How far above the scanned folder the site folder may be (content/english/posts is three).
MAX_DEPTH = 3
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True, kw_only=True)
class HugoSite:
    """What transync takes from a Hugo site's configuration."""

    folder: Path
    config: str  # the files read, for messages
    #: language code as the configuration writes it → its content folder (absolute)
    content_dirs: dict[str, Path] = field(default_factory=dict)
    default_lang: str | None = None  # defaultContentLanguage, when set
    content_dir: Path | None = None  # the site's contentDir (content/ unless set)
    #: (language code, folder) for each folder mounted as one language's content
    mounts: tuple[tuple[str, Path], ...] = ()
    #: ignoreFiles: regular expressions; Hugo reads no file whose path one of them matches
    ignore_files: tuple[str, ...] = ()
    ignore_files_in: Path | None = None  # the file that sets them, for messages


def find_site(tree: Path) -> HugoSite | None:
    """The Hugo site `tree` is in (the tree's folder or one up to MAX_DEPTH above it that
    holds a configuration), or None. A configuration that cannot be read raises InputError
    naming the file and line: reading the tree without it would pair the wrong files."""
    for folder in [tree, *tree.parents][: MAX_DEPTH + 1]:
        root = next((folder / n for n in ROOT_FILES if (folder / n).is_file()), None)
        default = folder / "config" / "_default"
        if root is None and not default.is_dir():
            continue
        return read_site(folder, root, default)
    return None


def read_site(folder: Path, root: Path | None, default: Path) -> HugoSite:
    """The site's settings from its root configuration file, then config/_default/."""
    read: list[Path] = []
    settings: dict[str, Any] = {}  # lower-cased name → value
    languages: dict[str, dict[str, Any]] = {}
    mounts: list[tuple[str, Path]] = []

    def take(
        data: Mapping[str, Any], path: Path, languages_only: bool = False, module: bool = False
    ) -> None:
        read.append(path)
        if not mounts:  # the first file that mounts content folders has them all
            found_module = data if module else front_value(data, "module")
            if isinstance(found_module, Mapping):
                mounts.extend(content_mounts(folder, front_value(found_module, "mounts")))
        if module:
            return
        found = data if languages_only else front_value(data, "languages")
        if isinstance(found, Mapping):
            for code, values in found.items():
                if isinstance(values, Mapping):
                    languages.setdefault(str(code).lower(), dict(values))
        if languages_only:
            return
        for name in ("contentDir", "defaultContentLanguage"):
            value = front_value(data, name)
            if isinstance(value, str) and name.lower() not in settings:
                settings[name.lower()] = value
        patterns = front_value(data, "ignoreFiles")
        if isinstance(patterns, str):
            patterns = [patterns]
        if isinstance(patterns, list) and "ignorefiles" not in settings:
            settings["ignorefiles"] = (tuple(str(p) for p in patterns), path)

    if root is not None:
        take(load(root), root)
    if default.is_dir():
        for stem in ("hugo", "config", "languages", "module"):
            for ext in EXTENSIONS:
                path = default / f"{stem}.{ext}"
                if path.is_file():
                    take(
                        load(path),
                        path,
                        languages_only=stem == "languages",
                        module=stem == "module",
                    )
    own = {
        code: value
        for code, values in languages.items()
        if isinstance(value := front_value(values, "contentDir"), str) and value.strip()
    }
    dirs: dict[str, Path] = {}
    if own:
        dirs = {code: _folder(folder, value) for code, value in own.items()}
        # languages without a folder of their own share the site's contentDir; it is one
        # language's folder only when exactly one language has it (else suffixes tell)
        rest = [code for code in languages if code not in own]
        if len(rest) == 1 and "contentdir" in settings:
            dirs[rest[0]] = _folder(folder, settings["contentdir"])
        shared = [p for p in dirs.values() if list(dirs.values()).count(p) > 1]
        dirs = {code: path for code, path in dirs.items() if path not in shared}
    default_lang = settings.get("defaultcontentlanguage")
    return HugoSite(
        folder=folder,
        config=", ".join(os.path.relpath(p, folder) for p in read),
        content_dirs=dirs,
        default_lang=default_lang.strip().lower() if default_lang else None,
        content_dir=_folder(folder, settings.get("contentdir") or "content"),
        mounts=tuple(mounts),
        ignore_files=settings["ignorefiles"][0] if "ignorefiles" in settings else (),
        ignore_files_in=settings["ignorefiles"][1] if "ignorefiles" in settings else None,
    )


def content_mounts(site: Path, found: Any) -> list[tuple[str, Path]]:
    """(language, folder) for each module mount that makes a folder one language's content:
    its target is ``content`` (or a folder in it) and it names one language, as ``lang`` or
    as the only one of ``sites.matrix.languages``. A folder mounted for several languages is
    no one language's (suffixes tell then)."""
    out: list[tuple[str, Path]] = []
    if not isinstance(found, list):
        return out
    for mount in found:
        if not isinstance(mount, Mapping):
            continue
        source, target = front_value(mount, "source"), front_value(mount, "target")
        if not isinstance(source, str) or not isinstance(target, str):
            continue
        if target.strip().strip("/").split("/")[0] != "content" or not source.strip():
            continue
        lang = front_value(mount, "lang")
        if not isinstance(lang, str) or not lang.strip():
            sites = front_value(mount, "sites")
            matrix = front_value(sites, "matrix") if isinstance(sites, Mapping) else None
            codes = front_value(matrix, "languages") if isinstance(matrix, Mapping) else None
            if isinstance(codes, str):
                codes = [codes]
            if not isinstance(codes, list) or len(codes) != 1 or not isinstance(codes[0], str):
                continue
            lang = codes[0]
        out.append((lang.strip().lower(), _folder(site, source)))
    return out


def _folder(site: Path, value: str) -> Path:
    return Path(os.path.normpath(site / value.strip()))


def load(path: Path) -> dict[str, Any]:
    """One configuration file as a mapping; InputError at its line when it cannot be read."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(
            t_("the Hugo configuration cannot be read: %(error)s", error=exc.strerror),
            path=str(path),
        ) from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            t_("the Hugo configuration is not valid UTF-8; save it as UTF-8"), path=str(path)
        ) from exc
    line: int | None = None
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text) if text.strip() else {}
        else:
            data = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        line, problem = (int(found.group(1)) if found else None), str(exc)
    except json.JSONDecodeError as exc:
        line, problem = exc.lineno, exc.msg
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = _yaml_problem(str(getattr(exc, "problem", None) or exc))
    except (ValueError, RecursionError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    else:
        if data is None:
            return {}
        if isinstance(data, dict):
            return data
        problem = type(data).__name__
        raise InputError(
            t_(
                "the Hugo configuration must be a mapping of settings, found %(found)s; fix "
                "it (transync reads its languages' content folders from it)",
                found=problem,
            ),
            path=str(path),
            line=1,
        )
    raise InputError(
        t_(
            "the Hugo configuration cannot be read (%(problem)s); fix it (transync reads its "
            "languages' content folders from it)",
            problem=problem,
        ),
        path=str(path),
        line=line,
    )
