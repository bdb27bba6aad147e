"""The examples in docstrings are run, so they stay true: segmenting, rendering, alignment
and loss (sync.segments), HTML segmenting (sync.htmlsegments), text normalization
(sync.text), and the settings `serve` hands its server processes (sync.cli.web)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "sync.text",
    "sync.segments.markdown",
    "sync.segments.render",
    "sync.segments.diff",
    "sync.segments.loss",
    "sync.segments.fields",
    "sync.htmlsegments.analysis",
    "sync.htmlsegments.render",
    "sync.cli.web",
    "sync.sources.wordpress.writing",
)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    assert doctest.testmod(module).failed == 0, name
