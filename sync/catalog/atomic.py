"""Atomic file writes: readers see the old file or the new one, never a partial write.

The only file system access of the catalog package besides :class:`CatalogStream`'s
temporary files, which it renames into place with the same steps.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file renamed into place.

    Returns False, writing nothing, when the file already holds exactly these bytes.
    Readers see either the old file or the new one, never a partial write. A new
    file gets mode 0644; an existing file keeps its mode.
    """
    path = Path(path)
    try:
        current = path.stat()
    except FileNotFoundError:
        mode = 0o644
    else:
        if current.st_size == len(data) and path.read_bytes() == data:
            return False
        mode = current.st_mode & 0o7777
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        _rename_into_place(Path(tmp_name), path, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return True


def _rename_into_place(tmp: Path, path: Path, mode: int) -> None:
    """The last step of an atomic write: ``tmp`` (written and fsynced, in ``path``'s folder)
    gets ``mode`` and replaces ``path``; then the folder is fsynced."""
    os.chmod(tmp, mode)
    os.replace(os.fspath(tmp), path)
    _fsync_dir(path.parent)


def _same_file_bytes(a: Path, b: Path, *, chunk: int = 1 << 20) -> bool:
    """Whether two files hold the same bytes (read in chunks, never whole)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(chunk), fb.read(chunk)
                if x != y:
                    return False
                if not x:
                    return True
    except FileNotFoundError:
        return False


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
