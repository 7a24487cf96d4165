import numpy as np
import pytest

from embeddings.dedupe import NUM_PERM, NearDuplicateFinder, signature, similarity

from .corpus import ARTICLES

STORY = " ".join(" ".join(a["body"]) for a in ARTICLES.values())  # ~250 words


def test_signature_is_deterministic_uint64():
    sig = signature(STORY)
    assert sig.dtype == np.uint64 and sig.shape == (NUM_PERM,)
    assert np.array_equal(sig, signature(STORY))


@pytest.mark.parametrize("text", ["", "one", "two words", "   ", "!!!"])
def test_signature_of_tiny_texts(text):
    assert signature(text).shape == (NUM_PERM,)


def test_case_and_punctuation_do_not_matter():
    assert similarity(signature(STORY), signature(STORY.upper().replace(",", " "))) == 1.0


def test_one_word_changed_is_near_duplicate():
    edited = STORY.replace("goalkeeper", "keeper", 1)
    assert edited != STORY
    assert similarity(signature(STORY), signature(edited)) >= 0.9


def test_different_articles_are_not_similar():
    a = " ".join(ARTICLES["storm"]["body"])
    b = " ".join(ARTICLES["markets"]["body"])
    assert similarity(signature(a), signature(b)) < 0.2


def test_finder_finds_near_duplicate_not_distinct_article():
    finder = NearDuplicateFinder(threshold=0.9)
    finder.add("story", signature(STORY))
    finder.add("storm", signature(" ".join(ARTICLES["storm"]["body"])))
    assert finder.find(signature(STORY.replace("goalkeeper", "keeper", 1))) == "story"
    assert finder.find(signature(" ".join(ARTICLES["markets"]["body"]))) is None


def test_finder_threshold_is_respected():
    edited = STORY
    for word in ["storm", "Caracas", "penalties", "Nikkei"]:  # ~20 of ~250 shingles change
        edited = edited.replace(word, "changed", 1)
    sim = similarity(signature(STORY), signature(edited))
    assert 0.7 < sim < 1.0
    for threshold, expected in [(sim - 0.05, "a"), (sim + 0.01, None)]:
        finder = NearDuplicateFinder(threshold)
        finder.add("a", signature(STORY))
        assert finder.find(signature(edited)) == expected


def test_finder_remove():
    finder = NearDuplicateFinder(0.9)
    finder.add("a", signature(STORY))
    finder.remove("a")
    finder.remove("never-added")
    assert finder.find(signature(STORY)) is None
