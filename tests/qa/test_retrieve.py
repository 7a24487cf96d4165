from datetime import date

import numpy as np
import pytest

from embeddings import ChunkRecord, ModelUnavailableError, Settings, build_index, load_index
from qa.features import FEATURES, Candidate, QuestionTerms, age_days, feature_matrix
from qa.ranker import RANKER_FILE, load_ranker
from qa.retrieve import default_as_of, relevance, retrieve
from tests.fakes import FakeEmbedder


@pytest.mark.parametrize("published, as_of, expected", [
    ("2025-03-27", date(2025, 3, 27), 0), ("2025-03-20", date(2025, 3, 27), 7),
    ("2025-04-01", date(2025, 3, 27), -5), ("", date(2025, 3, 27), None), ("not a date", date(2025, 3, 27), None),
    ("2025-03-20", None, None),
])
def test_age_is_days_before_the_question_date(published, as_of, expected):
    assert age_days(published, as_of) == expected


def _chunk(cid, text, title="", published="2025-03-01", article="a", ordinal=0):
    return ChunkRecord(cid, article, ordinal, 0, len(text), text, len(text.split()), title, "", published, "", "")


def test_features_describe_scores_coverage_and_dates():
    question = QuestionTerms(("rodriguez", "interim", "leader"), (3.0, 1.0, 1.0))
    candidates = [
        Candidate(_chunk(1, "Delcy Rodriguez is interim leader.", "Venezuela"), 0.8, 12.0, 0, 0),
        Candidate(_chunk(2, "Leader of the harvest.", published="2020-03-01", article="b", ordinal=3), 0.2, 0.0, 5, -1),
    ]
    matrix, coverage = feature_matrix(candidates, question, date(2025, 3, 3), depth=100)
    assert matrix.shape == (2, len(FEATURES))
    row = dict(zip(FEATURES, matrix[0]))
    other = dict(zip(FEATURES, matrix[1]))
    assert coverage == [1.0, pytest.approx(1 / 3)]
    assert row["idf_coverage"] == 1.0 and other["idf_coverage"] == pytest.approx(0.2)
    assert row["bm25_norm"] == 1.0 and other["bm25_norm"] == 0.0
    assert other["bm25_rank"] == pytest.approx(np.log1p(100))  # not found by BM25: ranked past the pool
    assert row["within_week"] == 1.0 and other["within_week"] == 0.0 and other["age_log"] > row["age_log"]
    assert other["position"] == pytest.approx(np.log1p(3)) and row["first_chunk"] == 1.0


@pytest.mark.parametrize("scale", [0.01, 0.37, 7.3, 250.0])
def test_features_do_not_depend_on_the_bm25_scale(scale):
    # Milvus's BM25 (another k1, another idf, negated scores in milvus-lite) scores on another
    # scale than bm25s: every BM25 feature is a rank or a share of the question's best score,
    # so one ranker serves both backends (parity numbers: benchmarks/RESULTS.md, issue 21).
    question = QuestionTerms(("storm", "coast"), (2.0, 1.0))
    candidates = [Candidate(_chunk(1, "Storm hits the coast.", "Storm"), 0.7, 9.5, 0, 0),
                  Candidate(_chunk(2, "Coast guard drill.", article="b"), 0.5, 3.1, 1, 1),
                  Candidate(_chunk(3, "Storm warning.", article="b", ordinal=1), 0.4, 0.0, 2, -1)]
    scaled = [Candidate(c.chunk, c.dense, c.bm25 * scale, c.dense_rank, c.bm25_rank) for c in candidates]
    before, _ = feature_matrix(candidates, question, date(2025, 3, 3), depth=100)
    after, _ = feature_matrix(scaled, question, date(2025, 3, 3), depth=100)
    assert np.allclose(before, after, atol=1e-6)


def test_packaged_ranker_loads_and_scores_in_0_1():
    ranker = load_ranker()
    probabilities = ranker.probabilities(np.zeros((3, len(FEATURES)), dtype=np.float32))
    assert probabilities.shape == (3,) and ((0 < probabilities) & (probabilities < 1)).all()


@pytest.mark.parametrize("content", ["", "{not json", '{"format_version": 1, "features": ["dense"], "mean": [0], '
                                     '"scale": [1], "coef": [1], "intercept": 0}'])
def test_damaged_or_foreign_ranker_file_names_the_fix(tmp_path, content):
    path = tmp_path / "ranker.json"
    path.write_text(content)
    with pytest.raises(ModelUnavailableError, match="make setup"):
        load_ranker(path)
    assert RANKER_FILE.is_file()


def test_hybrid_retrieval_finds_the_answering_passage_first(news_index):
    hits = retrieve(news_index, "Who became Venezuela's interim leader?", k=3)
    assert "Delcy Rodriguez" in hits[0].chunk.text
    assert len({h.chunk.id for h in hits}) == len(hits)
    assert 0 < relevance(hits) <= 1 and hits == sorted(hits, key=lambda h: -h.score)


def test_filters_restrict_the_articles_searched(news_index):
    from embeddings import SearchFilters

    hits = retrieve(news_index, "Who became Venezuela's interim leader?", k=3,
                    filters=SearchFilters(sources=("Associated Press",)))
    assert hits and all(h.chunk.byline == "Associated Press" for h in hits)


def test_the_article_nearest_the_question_date_ranks_first(tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join([
        '{"title": "Storm report", "publish_date": "2019-06-02", "text": "Storm Ana hit the coast on Monday. '
        'Fishermen in the bay counted their losses while the ferry stayed in port."}',
        '{"title": "Storm report", "publish_date": "2025-06-02", "text": "Storm Bea hit the coast on Monday. '
        'A primary school became a shelter for two hundred families overnight."}',
    ]))
    settings = Settings(index_dir=tmp_path / "index", chunk_tokens=60, chunk_overlap_tokens=10)
    embedder = FakeEmbedder()
    build_index([corpus], settings, embedder=embedder, progress=False)
    index = load_index(settings, embedder=embedder)
    question = "Which storm hit the coast this week?"
    assert "Bea" in retrieve(index, question, k=1, as_of=date(2025, 6, 5))[0].chunk.text
    assert "Ana" in retrieve(index, question, k=1, as_of=date(2019, 6, 5))[0].chunk.text
    assert default_as_of(index, today=date(2026, 1, 1)) == date(2025, 6, 2)
    assert default_as_of(index, today=date(2025, 1, 1)) == date(2025, 1, 1)
    index.close()


def test_an_index_without_stored_vectors_still_ranks(news_index, monkeypatch):
    # An IVF index cannot return stored vectors; chunks only BM25 found then get the last
    # dense score found as their (upper-bound) similarity.
    monkeypatch.setattr(news_index, "dense_similarities", lambda vector, ids: None)
    hits = retrieve(news_index, "Who became Venezuela's interim leader?", k=3)
    assert "Delcy Rodriguez" in hits[0].chunk.text


def test_dense_similarities_are_the_cosines_faiss_stores(news_index):
    vector = news_index.embed_query("Who became Venezuela's interim leader?")
    ids, scores = news_index.dense_search(vector, 3)
    assert np.allclose(news_index.dense_similarities(vector, ids), scores, atol=1e-5)
    assert news_index.bm25_scores("interim leader", [int(ids[0]), 10**9])[1] == 0.0


def test_each_feature_is_computed_by_name_once():
    # feature_matrix lays out a row by FEATURES' names, so the order cannot drift from the ranker's.
    from qa.features import _features

    c = Candidate(_chunk(1, "Storm hits the coast.", "Storm"), 0.7, 9.5, 0, 0)
    values = _features(c, [c], QuestionTerms(("storm",), (1.0,)), {"storm"}, 1.0, 1.0, 1.0, 1.0, 0.7, 9.5,
                       date(2025, 3, 3), 100)
    assert list(values) == list(FEATURES)
