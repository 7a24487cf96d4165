import numpy as np
import pytest

from embeddings.dense_index import FaissIndex


def unit_vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture
def index():
    idx = FaissIndex.create(16)
    idx.add(unit_vectors(50), np.arange(100, 150))
    return idx


def test_search_finds_the_vector_itself(index):
    ids, scores = index.search(unit_vectors(50)[7], 3)
    assert ids[0] == 107 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert len(ids) == 3 and list(scores) == sorted(scores, reverse=True)


def test_search_restricted_to_allowed_ids(index):
    allowed = np.array([120, 121, 999])
    ids, _ = index.search(unit_vectors(50)[7], 10, allowed)
    assert set(ids) == {120, 121}
    assert len(index.search(unit_vectors(50)[7], 10, np.array([], dtype=np.int64))[0]) == 0


def test_remove_and_roundtrip(index, tmp_path):
    assert index.remove([107, 108, 5000]) == 2
    assert index.remove([]) == 0
    index.save(tmp_path / "d.faiss")
    loaded = FaissIndex.load(tmp_path / "d.faiss")
    assert len(loaded) == 48 and loaded.kind == "flat"
    assert 107 not in loaded.search(unit_vectors(50)[7], 48)[0]


@pytest.mark.parametrize("k", [0, -1])
def test_empty_results(k):
    idx = FaissIndex.create(16)
    assert len(idx.search(unit_vectors(1)[0], 5)[0]) == 0
    idx.add(unit_vectors(3), np.arange(3))
    assert len(idx.search(unit_vectors(1)[0], k)[0]) == 0


def test_resized_to_ivf_past_exact_max():
    vectors = unit_vectors(400, seed=1)
    idx = FaissIndex.create(16)
    idx.add(vectors, np.arange(1, 401))
    assert idx.resized(1000) is idx
    ivf = idx.resized(100)
    assert ivf.kind == "ivf" and len(ivf) == 400
    hits = sum(ivf.search(vectors[i], 1)[0][0] == i + 1 for i in range(0, 400, 20))
    assert hits >= 18  # nprobe 16 of ~80 lists: nearly always exact
    ids, _ = ivf.search(vectors[0], 5, np.array([2, 3]))
    assert set(ids) <= {2, 3} and len(ids) > 0
    assert ivf.remove([1]) == 1 and len(ivf) == 399
