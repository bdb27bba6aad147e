"""Fixtures for the web tests: a scanned site with four people, and cheap password hashes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest

# Starlette warns that its TestClient wants httpx2; httpx is what this project installs
warnings.filterwarnings("ignore", message=r".*httpx.*starlette\.testclient.*")

import sync.people  # noqa: E402
from tests.web.site import FAST_HASHER, Pristine, Site  # noqa: E402


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sync.people, "_hasher", FAST_HASHER)
    yield


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    saved = sync.people._hasher
    sync.people._hasher = FAST_HASHER
    try:
        return Pristine(tmp_path_factory.mktemp("site"))
    finally:
        sync.people._hasher = saved


@pytest.fixture
def site(pristine: Pristine, fast_hashes: None) -> Site:
    """The demo content scanned, four people; restored before each test."""
    return pristine.restore()


@pytest.fixture
def review_site(pristine: Pristine, fast_hashes: None) -> Site:
    return pristine.restore(review=True)
