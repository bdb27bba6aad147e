"""The examples in the docstrings of the text layer's modules are run, so they stay true:
segmenting, rendering, alignment and loss (sync.segments), HTML segmenting
(sync.htmlsegments) and text normalization (sync.text)."""

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
)


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    assert doctest.testmod(module).failed == 0, name
