"""Fixtures for qa tests: a tiny real index (FAISS + BM25 + SQLite) over a fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from embeddings import Settings, build_index, load_index
from tests.fakes import CannedGenerator, FakeEmbedder

VENEZUELA = """Venezuela looks to rebuild diplomatic ties with US

By Reuters
January 10, 2026

Venezuela's government has begun exploring the potential to expand diplomatic ties with the United States, with US State Department officials travelling to Caracas for technical assessments.

Washington and Caracas have signalled they are seeking cooperation since last week's US military operation that resulted in the capture of President Nicolas Maduro. His vice president, Delcy Rodriguez, took over as interim leader.

Earlier on Friday, US President Donald Trump said the release of political prisoners in Venezuela was a sign of "seeking peace" and that he had cancelled a planned second wave of attacks.
"""

HARVEST = """Farmers report record apple harvest in Washington state

By Associated Press
October 3, 2025

Orchards across central Washington picked more apples this autumn than in any year on record, growers said, crediting a mild spring and fewer late frosts.

Prices paid to farmers fell by about a tenth as supermarkets bought the surplus, the state tree fruit association reported.
"""


@pytest.fixture
def qa_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "data" / "index",
                    chunk_tokens=60, chunk_overlap_tokens=10, min_relevance=0.3)


@pytest.fixture
def news_index(tmp_path: Path, qa_settings: Settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "venezuela.txt").write_text(VENEZUELA)
    (corpus / "harvest.txt").write_text(HARVEST)
    embedder = FakeEmbedder()
    build_index([corpus], qa_settings, embedder=embedder, progress=False)
    index = load_index(qa_settings, embedder=embedder)
    yield index
    index.close()


@pytest.fixture
def canned() -> type[CannedGenerator]:
    return CannedGenerator
