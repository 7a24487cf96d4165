"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from embeddings import Settings

from .fakes import FakeEmbedder


@pytest.fixture(autouse=True, scope="module")
def no_background_summaries_left_running():
    """A module that showed a briefing leaves qa.SUMMARIES summarising its stories with the
    real model; stopped at the module's end, so the next module's server is not starved."""
    yield
    import qa  # here: importing qa at collection would load it for every test package

    assert qa.SUMMARIES.stop(), "the background summaries did not stop within two minutes"


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose data and index live in this test's tmp dir.

    Chunks are small (in FakeEmbedder words) so a few-paragraph article spans several.
    """
    return Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "data" / "index",
                    chunk_tokens=40, chunk_overlap_tokens=10)


@pytest.fixture
def embedder():
    """The FakeEmbedder: deterministic unit vectors, no model (index and feed tests)."""
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder():
    """The packaged all-MiniLM-L6-v2, loaded once per session; for ``slow`` tests only."""
    from embeddings import get_embedder

    return get_embedder()


def pytest_collection_modifyitems(config, items):
    """One rule for slow tests: the ``slow`` marker, on the module (``pytestmark``) when all its
    tests are slow, else on the test; the file name says nothing. A test that drives Chromium
    (``browser``) or loads a real model is slow: a browser test without ``slow`` is refused,
    so ``-m "not slow"`` never starts a browser."""
    unmarked = [item.nodeid for item in items
                if item.get_closest_marker("browser") and not item.get_closest_marker("slow")]
    if unmarked:
        raise pytest.UsageError(f"browser tests must be marked slow too: {', '.join(unmarked[:5])}")
