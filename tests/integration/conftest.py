"""Fixtures of the integration tests beyond tests/conftest.py: the real WordPress."""

from tests.wordpress.fixtures import real_wp, wordpress  # noqa: F401 - pytest fixtures
