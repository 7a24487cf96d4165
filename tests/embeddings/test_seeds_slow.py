"""The real embedder on the repository's seed article: retrieval must find the answer."""

from pathlib import Path

import pytest

from embeddings import Settings, build_index, load_index

pytestmark = pytest.mark.slow

SEEDS = Path(__file__).parents[2] / "seeds"
QUESTION = "Who became Venezuela's interim leader?"


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("seed-index")
    settings = Settings(data_dir=root, index_dir=root / "index")  # the shipped chunk sizes
    report = build_index([SEEDS], settings, embedder=real_embedder, progress=False)
    assert len(report.added) == len(list(SEEDS.glob("*.txt"))) and report.skipped == []
    index = load_index(settings, embedder=real_embedder)
    yield settings, index
    index.close()


@pytest.mark.parametrize("method", ["dense_search", "bm25_search"])
def test_question_finds_the_passage_with_the_answer(seed_index, method):
    _, index = seed_index
    ids, scores = getattr(index, method)(QUESTION, 5)
    assert len(ids) >= 1 and (scores[:2] > 0).all()
    assert any("Delcy Rodriguez" in c.text for c in index.chunks(ids[:2]))


def test_chunks_fit_the_real_token_bound(seed_index, real_embedder):
    settings, index = seed_index
    chunks = [c for a in index.articles() for c in index.store.chunks_of_article(a.id)]
    assert chunks
    counts = real_embedder.count_tokens([c.text for c in chunks])
    assert max(counts) <= settings.chunk_tokens
    assert [c.tokens for c in chunks] == counts  # the recorded counts are the real ones


def test_seed_is_cleaned_before_indexing(seed_index):
    _, index = seed_index
    article = next(a for a in index.articles() if a.title.startswith("Venezuela looks to rebuild"))
    assert (article.byline, article.publish_date) == ("Reuters", "2026-01-10")
    assert "close" not in article.text.split("\n\n")
    assert article.text.count("The Venezuelan flag flies atop") == 1
