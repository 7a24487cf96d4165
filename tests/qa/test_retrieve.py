import pytest

from qa.retrieve import recency, retrieve


@pytest.mark.parametrize("published, expected", [
    ("2025-03-27", 1.0), ("2024-09-28", 0.5), ("2020-01-01", 0.0), ("", 0.0), ("not a date", 0.0),
])
def test_recency_fades_over_a_year(published, expected):
    assert recency(published, "2025-03-27") == pytest.approx(expected, abs=0.01)


def test_hybrid_retrieval_finds_the_answering_passage_first(news_index):
    hits = retrieve(news_index, "Who became Venezuela's interim leader?", k=3)
    assert "Delcy Rodriguez" in hits[0].chunk.text
    assert len({h.chunk.id for h in hits}) == len(hits)


def test_filters_restrict_the_articles_searched(news_index):
    from embeddings import SearchFilters

    hits = retrieve(news_index, "Who became Venezuela's interim leader?", k=3,
                    filters=SearchFilters(sources=("Associated Press",)))
    assert hits and all(h.chunk.byline == "Associated Press" for h in hits)
