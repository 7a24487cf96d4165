import numpy as np
import pytest

from embeddings import ModelUnavailableError, get_embedder
from embeddings.embedder import MINILM_ID, embedder_id_for

from ..fakes import FakeEmbedder


def test_unknown_embedder_names_the_packaged_one():
    with pytest.raises(ModelUnavailableError, match="all-MiniLM-L6-v2"):
        get_embedder("no-such-model")


@pytest.mark.parametrize("name, model_id", [("all-MiniLM-L6-v2", MINILM_ID), (MINILM_ID, MINILM_ID),
                                            ("fake-embedder", "fake-embedder")])
def test_embedder_id_for(name, model_id):
    assert embedder_id_for(name) == model_id


def test_fake_embedder_is_deterministic_unit_bag_of_words():
    e = FakeEmbedder()
    v = e.embed(["Storm floods the coast", "storm floods coast!", "Markets fall in Asia", ""])
    assert v.shape == (4, 32) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(v, FakeEmbedder().embed(["Storm floods the coast", "storm floods coast!",
                                                   "Markets fall in Asia", ""]))
    assert v[0] @ v[1] > 0.8 > v[0] @ v[2]
    assert e.count_tokens(["a b  c", "", "one"]) == [3, 0, 1] and e.embedded == 4


@pytest.mark.slow
def test_real_embedder_vectors_and_tokens(real_embedder):
    v = real_embedder.embed(["Delcy Rodriguez took over as interim leader.", "Who leads Venezuela now?",
                             "The cup final went to penalties."])
    assert v.shape == (3, real_embedder.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert v[0] @ v[1] > v[2] @ v[1]
    assert real_embedder.max_tokens == 254
    assert real_embedder.count_tokens(["hello world", ""]) == [2, 0]
    assert real_embedder.embed([]).shape == (0, real_embedder.dim)
