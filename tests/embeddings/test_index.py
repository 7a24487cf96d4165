import json
import re
from pathlib import Path

import numpy as np
import pytest

from embeddings import (IndexDamagedError, IndexMismatchError, IndexNotFoundError, SearchFilters, Settings,
                        build_index, load_index)
from embeddings.index import current_generation

from ..fakes import FakeEmbedder
from .corpus import ARTICLES, DATED_FILTERS, write_article, write_corpus

TITLE = {name: a["title"] for name, a in ARTICLES.items()}


@pytest.fixture(scope="module")
def four(tmp_path_factory):
    """An index of the four sample articles, one per date and outlet, plus one undated.

    Built once for the module (searches only read it), embedded in 256 dimensions, where the
    bag-of-words fake ranks passages reliably."""
    root = tmp_path_factory.mktemp("four")
    corpus = write_corpus(root / "news", names=tuple(ARTICLES))
    (corpus / "undated.txt").write_text("Harbour festival draws crowds\n\nBy Daily News\n\n"
                                        "Thousands of visitors came to the harbour festival for music and food.\n")
    settings = Settings(data_dir=root, index_dir=root / "index", chunk_tokens=40, chunk_overlap_tokens=10)
    wide = FakeEmbedder(dim=256)
    build_index([corpus], settings, embedder=wide, progress=False)
    index = load_index(settings, embedder=wide)
    yield index
    index.close()


def titles_of(index, ids) -> set[str]:
    return {c.title for c in index.chunks(ids)}


# --- loading -----------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda d: None, lambda d: d.mkdir(parents=True),
                                  lambda d: (d.mkdir(parents=True), (d / "CURRENT").write_text("gen-000003"))],
                         ids=["missing-dir", "empty-dir", "current-points-nowhere"])
def test_load_without_index_says_how_to_build(settings, make):
    make(Path(settings.index_dir))
    with pytest.raises(IndexNotFoundError, match="python -m embeddings build"):
        load_index(settings)


def _set_manifest(settings, **changes):
    path = current_generation(Path(settings.index_dir)) / "manifest.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


class OtherEmbedder(FakeEmbedder):
    model_id = "other-embedder"


@pytest.mark.parametrize("case", ["format-version", "embedder", "chunking", "dim", "garbage"])
def test_mismatched_index_says_rebuild_and_rebuild_fixes_it(tmp_path, build, open_index, settings, embedder, case):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    build_kw, load_kw = {}, {}
    if case == "format-version":
        _set_manifest(settings, format_version=99)
    elif case == "embedder":
        build_kw = load_kw = {"embedder": OtherEmbedder()}
    elif case == "chunking":
        build_kw = load_kw = {"settings": settings.replace(chunk_tokens=60)}
    elif case == "dim":
        _set_manifest(settings, dim=16)
    else:
        (current_generation(Path(settings.index_dir)) / "manifest.json").write_text("{not json")

    with pytest.raises(IndexMismatchError, match="--rebuild"):
        open_index(**load_kw)
    if case != "dim":  # the build checks what it can without the embedder's output
        with pytest.raises(IndexMismatchError, match="--rebuild"):
            build([corpus], **build_kw)

    report = build([corpus], rebuild=True, **build_kw)
    assert len(report.added) == 3
    assert len(open_index(**load_kw).articles()) == 3


def _remove(path: Path):
    path.unlink()


def _garble(path: Path):
    path.write_bytes(b"\x00garbage" * 64)


@pytest.mark.parametrize("damage", [_remove, _garble], ids=["missing", "garbled"])
@pytest.mark.parametrize("part", ["chunks.sqlite", "dense.faiss", "bm25/chunk_ids.npy", "bm25/state.json"])
def test_damaged_index_says_rebuild(tmp_path, build, open_index, settings, part, damage):
    build([write_corpus(tmp_path / "news")])
    damage(current_generation(Path(settings.index_dir)) / part)
    with pytest.raises(IndexDamagedError, match=f"damaged.*--rebuild --index {re.escape(str(settings.index_dir))}`"):
        open_index()
    build([], rebuild=True)
    assert len(open_index().articles()) == 3


def test_load_without_embedder_checks_the_configured_one(tmp_path, build, settings):
    build([write_corpus(tmp_path / "news")])
    with pytest.raises(IndexMismatchError, match="fake-embedder"):
        load_index(settings)  # settings name all-MiniLM-L6-v2


def test_wrong_dimension_embedder_is_refused(tmp_path, build, settings):
    build([write_corpus(tmp_path / "news")])
    with pytest.raises(IndexMismatchError, match="16-d"):
        load_index(settings, embedder=FakeEmbedder(dim=16))


def test_rebuild_without_inputs_uses_the_recorded_ones(tmp_path, build, open_index, settings):
    a = write_corpus(tmp_path / "a", names=("storm",))
    b = write_corpus(tmp_path / "b", names=("markets",))
    build([a])
    build([b])
    _set_manifest(settings, format_version=99)  # what an upgrade leaves behind
    report = build([], rebuild=True)
    assert len(report.added) == 2
    index = open_index()
    assert sorted(x.title for x in index.articles()) == sorted([TITLE["storm"], TITLE["markets"]])
    assert index.manifest.inputs == sorted([str(a), str(b)])


def _as_written_before_inputs(settings) -> None:
    """The live manifest as Newsdesk wrote it before 2026-12: its inputs under ``sources``."""
    path = current_generation(Path(settings.index_dir)) / "manifest.json"
    data = json.loads(path.read_text())
    data["sources"] = data.pop("inputs")
    path.write_text(json.dumps(data))


def test_a_manifest_that_calls_its_inputs_sources_loads_and_builds_on(tmp_path, build, open_index, settings,
                                                                      capsys):
    corpus = write_corpus(tmp_path / "news", names=("storm", "markets"))
    build([corpus])
    _as_written_before_inputs(settings)
    assert open_index().manifest.inputs == [str(corpus)]

    write_article(corpus, "football")
    report = build()  # no inputs named: the ones the old manifest recorded
    assert (len(report.added), report.unchanged, report.warnings) == (1, 2, [])
    assert capsys.readouterr() == ("", "")
    written = json.loads((current_generation(Path(settings.index_dir)) / "manifest.json").read_text())
    # Written under both names: a Newsdesk from before the rename still finds its inputs.
    assert written["inputs"] == written["sources"] == [str(corpus)]

    _as_written_before_inputs(settings)
    assert len(build([], rebuild=True).added) == 3  # a rebuild reads the old key too


# --- search ------------------------------------------------------------------------------

@pytest.mark.parametrize("query, title, needle", [
    ("His vice president Delcy Rodriguez took over as interim leader after the capture of Maduro",
     "venezuela", "Delcy Rodriguez"),
    ("Goalkeeper saving two spot kicks in the penalty shootout after a goalless draw", "football", "spot kicks"),
    ("Asian shares fell sharply as investors worried central banks keep interest rates high",
     "markets", "Nikkei"),
    ("Rescue teams in boats worked through the night to reach families stranded on rooftops",
     "storm", "rooftops"),
])
def test_dense_search_finds_the_chunk_that_shares_the_words(four, query, title, needle):
    # The fake embedder is a bag of words: a question sharing a passage's words must find it.
    ids, scores = four.dense_search(query, 3)
    top = four.chunks(ids[:1])[0]
    assert top.title == TITLE[title] and needle in top.text
    assert list(scores) == sorted(scores, reverse=True) and scores[0] <= 1.0 + 1e-5


def test_dense_search_accepts_a_vector(four):
    chunk = four.chunks([2])[0]
    vector = four.embedder.embed([f"{chunk.title}. {chunk.text}"])[0]  # exactly what was indexed
    ids, scores = four.dense_search(vector, 1)
    assert ids.tolist() == [2] and scores[0] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("query, title", [("Delcy Rodriguez interim leader", "venezuela"),
                                          ("Nikkei yen bond yields", "markets"),
                                          ("goalkeeper penalties shootout", "football"),
                                          ("rivers burst banks rooftops", "storm")])
def test_bm25_search_ranks_the_matching_article_first(four, query, title):
    ids, scores = four.bm25_search(query, 5)
    assert four.chunks(ids[:1])[0].title == TITLE[title] and (scores > 0).all()


FILTERS = DATED_FILTERS + [
    (SearchFilters(sources=("Daily News",)), {"storm", "undated"}),
    (SearchFilters(), {"storm", "venezuela", "football", "markets", "undated"}),
]


@pytest.mark.parametrize("filters, expected", FILTERS)
@pytest.mark.parametrize("method", ["dense", "bm25"])
def test_filters_restrict_both_searches(four, filters, expected, method):
    query = ("storm coast Venezuela leader cup final markets fall harbour festival "
             "rain diplomatic goalkeeper shares visitors")
    search = four.dense_search if method == "dense" else four.bm25_search
    ids, scores = search(query, 100, filters)
    names = {n for n, t in TITLE.items() if t in titles_of(four, ids)}
    names |= {"undated"} if "Harbour festival draws crowds" in titles_of(four, ids) else set()
    assert names == expected and len(ids) == len(scores)


def test_undated_articles_are_left_out_of_date_ranges(four):
    undated = SearchFilters(date_from="1900-01-01")
    ids, _ = four.bm25_search("harbour festival", 10, undated)
    assert "Harbour festival draws crowds" not in titles_of(four, ids)
    assert "Harbour festival draws crowds" in titles_of(four, four.bm25_search("harbour festival", 10)[0])


def test_articles_newest_first_and_sources(four):
    dates = [a.publish_date for a in four.articles()]
    assert dates == ["2026-01-10", "2025-11-02", "2025-05-20", "2025-03-04", ""]
    assert four.store.sources()[0] == ("Daily News", 2)


# --- staleness ---------------------------------------------------------------------------

def test_is_stale_after_a_new_build(tmp_path, build, open_index):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    index = open_index()
    assert not index.is_stale()
    build([corpus])  # no change, no new generation
    assert not index.is_stale()
    write_article(corpus, "markets")
    build([corpus])
    assert index.is_stale()
    assert not open_index().is_stale()
    # The stale index still answers from its own generation until it is reloaded.
    assert TITLE["markets"] not in {a.title for a in index.articles()}
    assert len(index.dense_search("storm", 3)[0]) == 3 and isinstance(index.dense_search("x", 1)[0], np.ndarray)
