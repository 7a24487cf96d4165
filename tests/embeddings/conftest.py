"""Fixtures for index tests: a FakeEmbedder and short-hands for building and loading."""

from __future__ import annotations

import pytest

from embeddings import build_index, load_index

from ..fakes import FakeEmbedder


@pytest.fixture
def embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def build(settings, embedder):
    """``build(sources, **kw)``: ``build_index`` with the test settings and FakeEmbedder."""
    def run(sources=(), **kw):
        kw.setdefault("settings", settings)
        kw.setdefault("embedder", embedder)
        return build_index(list(sources), progress=False, **kw)
    return run


@pytest.fixture
def open_index(settings, embedder):
    """``open_index()``: the live index (closed at teardown)."""
    opened = []

    def run(**kw):
        kw.setdefault("embedder", embedder)
        index = load_index(kw.pop("settings", settings), **kw)
        opened.append(index)
        return index
    yield run
    for index in opened:
        index.close()
