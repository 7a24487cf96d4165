import numpy as np
import pytest

from embeddings.sparse_index import Bm25Index

TEXTS = ["Delcy Rodriguez became interim leader of Venezuela",
         "The cat sat on the mat in the sun",
         "Football results from Sunday's cup final",
         "Asian markets fell sharply on rate fears"]
IDS = [10, 20, 30, 40]


@pytest.fixture(scope="module")
def index():
    return Bm25Index.build(TEXTS, IDS)


@pytest.mark.parametrize("query, top", [("interim leader", 10), ("Who leads Venezuela?", 10),
                                        ("cats", 20), ("market falls", 40), ("mat zzzunknown", 20)])
def test_search_ranks_matching_chunk_first(index, query, top):
    ids, scores = index.search(query, 3)
    assert ids[0] == top and (scores > 0).all()


@pytest.mark.parametrize("query", ["zzzqqq unknownword", "the of and", "", "?!"])
def test_no_match_is_empty(index, query):
    ids, scores = index.search(query, 3)
    assert len(ids) == 0 and len(scores) == 0


def test_allowed_ids_filter(index):
    assert list(index.search("cat", 3, np.array([10, 30]))[0]) == []
    assert list(index.search("cat", 3, np.array([20, 30]))[0]) == [20]
    assert list(index.search("cat", 3, np.array([999]))[0]) == []


def test_roundtrip(index, tmp_path):
    index.save(tmp_path / "bm25")
    loaded = Bm25Index.load(tmp_path / "bm25")
    assert len(loaded) == 4
    for query in ["interim leader", "cats", "zzzqqq"]:
        a, b = index.search(query, 3), loaded.search(query, 3)
        assert np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1])


def test_empty_index_roundtrip(tmp_path):
    empty = Bm25Index.build([], [])
    assert len(empty.search("anything", 3)[0]) == 0
    empty.save(tmp_path / "bm25")
    assert len(Bm25Index.load(tmp_path / "bm25").search("anything", 3)[0]) == 0


def test_scores_for_given_chunks_match_search_and_unknown_ids_score_zero(index):
    ids, scores = index.search("interim leader of Venezuela", 4)
    assert np.allclose(index.scores_for("interim leader of Venezuela", list(ids) + [99]), list(scores) + [0.0])
    assert (index.scores_for("zzzqqq", IDS) == 0).all()


def test_idf_is_larger_for_rarer_terms():
    index = Bm25Index.build(["market news today", "market rally", "cat nap"], [1, 2, 3])
    market, cat, unseen = index.idf(["market", "cat", "zzz"])
    assert 0 <= market < cat < unseen
    assert Bm25Index.build([], []).idf(["cat"]) == [0.0]
