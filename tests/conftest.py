"""Fixtures shared by every test package."""

from __future__ import annotations

import pytest

from embeddings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings whose data and index live in this test's tmp dir.

    Chunks are small (in FakeEmbedder words) so a few-paragraph article spans several.
    """
    return Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "data" / "index",
                    chunk_tokens=40, chunk_overlap_tokens=10)


@pytest.fixture(scope="session")
def real_embedder():
    """The packaged all-MiniLM-L6-v2, loaded once per session; for ``slow`` tests only."""
    from embeddings import get_embedder

    return get_embedder()
