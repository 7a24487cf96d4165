"""qa.stories: grouping articles into stories (pure ``assign`` and the index-backed update)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from embeddings import Settings, build_index, load_index
from qa.stories import StoryItem, assign, build_stories, load_stories, stories_dir, unplaced, update_stories
from tests.fakes import FakeEmbedder
from tests.story_news import ARTICLES, story_of, write_corpus


def _unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


ITEMS = [StoryItem("a", "2026-03-01", "A"), StoryItem("b", "2026-03-02", "B"), StoryItem("c", "2026-03-02", "C"),
         StoryItem("d", "2026-03-20", "D"), StoryItem("e", "", "E")]
VECTORS = np.stack([_unit(1, 0.1, 0), _unit(1, 0, 0.1), _unit(0, 1, 0), _unit(1, 0.05, 0.05), _unit(1, 0, 0)])


def test_close_articles_within_the_window_share_a_story_and_others_do_not():
    got = assign(ITEMS, VECTORS, threshold=0.9, window_days=3)
    assert got["a"] == got["b"] == "a"  # the story is named after the article that started it
    assert got["c"] == "c"  # another subject
    assert got["d"] == "d"  # the same subject, but 18 days later
    assert "e" not in got  # no date: no window can hold it


def test_the_grouping_does_not_depend_on_the_order_articles_are_given():
    order = [3, 0, 4, 2, 1]
    shuffled = assign([ITEMS[i] for i in order], VECTORS[order], threshold=0.9, window_days=3)
    assert shuffled == assign(ITEMS, VECTORS, threshold=0.9, window_days=3)


def test_an_update_keeps_earlier_stories_and_places_only_new_articles():
    before = assign(ITEMS[:2], VECTORS[:2], threshold=0.9)
    # With a previous assignment, a new article that is close joins; the old pair is kept even
    # at a threshold that would now split it.
    items = ITEMS[:2] + [StoryItem("f", "2026-03-03", "F")]
    vectors = np.vstack([VECTORS[:2], _unit(1, 0, 0.3)[None]])
    after = assign(items, vectors, previous=before, threshold=0.995)
    assert after["a"] == after["b"] == "a"
    assert after["f"] == "f"
    after = assign(items, vectors, previous=before, threshold=0.9)
    assert after["f"] == "a"


def test_a_vanished_article_leaves_its_story():
    before = assign(ITEMS, VECTORS, threshold=0.9)
    after = assign(ITEMS[1:], VECTORS[1:], previous=before, threshold=0.9)
    assert "a" not in after and after["b"] == "a"


def test_a_rewrite_joins_by_its_minhash_even_when_its_vector_is_far():
    sig = np.arange(64, dtype=np.uint64)
    near = sig.copy()
    near[:20] += 1000  # 44 of 64 equal: Jaccard ~0.69
    got = assign(ITEMS[:3], VECTORS[:3], [sig, None, near], threshold=0.9)
    assert got["c"] == "a"
    assert assign(ITEMS[:3], VECTORS[:3], [sig, None, near], threshold=0.9, rewrite_jaccard=0.8)["c"] == "c"


def test_stories_are_biggest_first_with_a_version_that_follows_their_members():
    got = assign(ITEMS, VECTORS, threshold=0.9)
    stories = build_stories(ITEMS, VECTORS, got)
    assert [s.id for s in stories] == ["a", "d", "c"]
    first = stories[0]
    assert (first.size, first.first, first.latest) == (2, "2026-03-01", "2026-03-02")
    assert [a.id for a in first.articles] == ["a", "b"]
    smaller = build_stories(ITEMS, VECTORS, {"a": "a"})[0]
    assert smaller.version != first.version


def test_an_empty_collection_has_no_stories():
    assert assign([], np.zeros((0, 3), np.float32)) == {}
    assert build_stories([], np.zeros((0, 3), np.float32), {}) == []


@pytest.fixture
def story_index(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", chunk_tokens=60, chunk_overlap_tokens=10)
    embedder = FakeEmbedder(dim=64)
    write_corpus(tmp_path / "corpus")
    build_index([tmp_path / "corpus"], settings, embedder=embedder, progress=False)
    index = load_index(settings, embedder=embedder)
    yield settings, index, embedder, tmp_path
    index.close()


def test_the_index_articles_group_into_their_stories(story_index):
    settings, index, embedder, _ = story_index
    assert unplaced(settings, index) == len(ARTICLES)
    stories = update_stories(settings, index, threshold=0.4)
    assert unplaced(settings, index) == 0
    grouped = sorted(sorted(story_of(a.title) for a in s.articles) for s in stories)
    assert grouped == [["flood"] * 3, ["mission"] * 2, ["other"], ["other"], ["strike"] * 2]
    assert stories[0].size == 3 and stories[0].sources == ("AP", "BBC", "Reuters")
    saved = json.loads((stories_dir(settings) / "stories.json").read_text())
    assert len(saved["stories"]) == len(ARTICLES)
    assert [s.to_dict() for s in load_stories(settings, index)] == [s.to_dict() for s in stories]


def test_after_a_poll_only_the_new_articles_are_embedded_and_placed(story_index):
    settings, index, embedder, tmp_path = story_index
    before = {s.id: s for s in update_stories(settings, index, threshold=0.4)}
    embedded = embedder.embedded
    write_corpus(tmp_path / "corpus", [("flood", "Dresden flood: Elbe old town residents return home", "DW",
                                        "2026-03-05", "Residents of the Dresden old town returned home as the "
                                        "Elbe flood receded, the city said.")], name="later.jsonl")
    build_index([tmp_path / "corpus"], settings, embedder=embedder, progress=False)
    index2 = load_index(settings, embedder=embedder)
    try:
        embedder.embedded = 0
        after = {s.id: s for s in update_stories(settings, index2, threshold=0.4)}
    finally:
        index2.close()
    assert embedder.embedded == 1  # the new article's title and lead only
    flood = next(s for s in after.values() if any("DW" == a.source for a in s.articles))
    assert flood.id in before and flood.size == before[flood.id].size + 1
    assert flood.version != before[flood.id].version
    unchanged = [sid for sid in before if sid != flood.id]
    assert all(after[sid].version == before[sid].version for sid in unchanged)
    assert embedded > 0


def test_saved_stories_from_another_format_are_made_again(story_index):
    settings, index, _, _ = story_index
    folder = stories_dir(settings)
    folder.mkdir(parents=True)
    (folder / "stories.json").write_text('{"format": 99, "stories": {"x": "y"}}')
    (folder / "vectors.npz").write_bytes(b"not numpy")
    stories = update_stories(settings, index, threshold=0.4)
    assert sum(s.size for s in stories) == len(ARTICLES)


@pytest.mark.parametrize("byline, url, name", [
    ("Reuters", "https://www.reuters.com/x", "Reuters"),
    ("", "https://www.usatoday.com/story/1", "usatoday.com"),
    ("", "javascript:alert(1)", ""),
    ("  ", "", ""),
])
def test_an_outlet_is_its_byline_else_its_site(byline, url, name):
    from qa.stories import outlet

    assert outlet(byline, url) == name
