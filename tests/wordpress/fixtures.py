"""pytest fixtures for the real WordPress (registered by tests/integration/conftest.py).

``wordpress`` starts MariaDB and WordPress once per session (about 3 s; a fresh database
each session); ``real_wp`` gives each test that WordPress emptied of posts, in Polylang Pro
mode, with the proxy's request log cleared. Without PHP, WordPress or MariaDB the tests
skip, and fail in CI (``service_missing``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wordpress.harness import Unavailable, WordPress


@pytest.fixture(scope="session")
def wordpress() -> Iterator[WordPress]:
    from tests.conftest import service_missing

    # not tmp_path_factory: MariaDB's socket path must stay under 108 bytes
    folder = Path(tempfile.mkdtemp(prefix="transync-wp-"))
    try:
        site = WordPress.start(folder)
    except Unavailable as exc:
        shutil.rmtree(folder, ignore_errors=True)
        service_missing("a real WordPress (php-cli, php-mysql, wordpress, mariadb-server)", exc)
    try:
        yield site
    finally:
        site.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def real_wp(wordpress: WordPress) -> WordPress:
    wordpress.php({"op": "reset", "mode": "polylang-pro"})
    wordpress.proxy.requests.clear()
    wordpress.proxy.drops.clear()
    return wordpress
