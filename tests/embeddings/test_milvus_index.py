"""The index on Milvus (NEWSDESK_INDEX_BACKEND=milvus), against a real Milvus-protocol server:
milvus-lite's gRPC server on a loopback port (``milvus_server`` in conftest.py), the app talking
to it by URI, the code path a cluster gets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from embeddings import (IndexAuthError, IndexMismatchError, IndexNotFoundError, IndexServerError, SearchFilters,
                        Settings, build_index, load_index)
from embeddings.index import current_generation
from embeddings.milvus_index import MilvusChunks, connect, forget_client

from ..fakes import FakeEmbedder
from .conftest import MILVUS_TOKEN, MilvusServer
from .corpus import ARTICLES, DATED_FILTERS, write_article, write_corpus

TITLE_OF = {name: a["title"] for name, a in ARTICLES.items()}

WIDE = 256  # the bag-of-words fake ranks passages reliably in 256 dimensions


@pytest.fixture
def wide():
    return FakeEmbedder(dim=WIDE)


@pytest.fixture
def mbuild(milvus_settings, wide):
    def run(inputs=(), **kw):
        kw.setdefault("settings", milvus_settings)
        kw.setdefault("embedder", wide)
        return build_index(list(inputs), progress=False, **kw)
    return run


@pytest.fixture
def mopen(milvus_settings, wide):
    opened = []

    def run(settings=None, **kw):
        kw.setdefault("embedder", wide)
        index = load_index(settings or milvus_settings, **kw)
        opened.append(index)
        return index
    yield run
    for index in opened:
        index.close()


def titles_of(index, ids) -> set[str]:
    return {c.title for c in index.chunks([int(i) for i in ids])}


def all_rows(settings, name) -> list[dict]:
    """Every row of a collection, whatever generation wrote or removed it."""
    client = connect(settings)
    return client.query(name, filter="id >= 0", output_fields=["id", "gen", "gone"], limit=16_384)


def store_ids(index) -> set[int]:
    return {c.id for a in index.articles() for c in index.store.chunks_of_article(a.id)}


def test_build_writes_a_collection_that_searches_like_the_local_index(tmp_path, mbuild, mopen, milvus_settings):
    corpus = write_corpus(tmp_path / "news", names=tuple(ARTICLES))
    report = mbuild([corpus])
    assert len(report.added) == 4 and report.generation == "gen-000001" and report.warnings == []
    index = mopen()
    m = index.manifest
    assert (m.backend, m.dense_kind, m.collection) == ("milvus", "milvus", f"{milvus_settings.milvus_collection}_000001")
    assert not (index.generation / "dense.faiss").exists() and not (index.generation / "bm25").exists()
    assert index.search.count() == m.chunks == len(store_ids(index))
    ids, scores = index.dense_search("Rescue teams in boats reached families stranded on rooftops", 3)
    assert index.chunks(ids[:1])[0].title == TITLE_OF["storm"] and "rooftops" in index.chunks(ids[:1])[0].text
    assert list(scores) == sorted(scores, reverse=True) and scores[0] <= 1 + 1e-5
    for query, name in [("Delcy Rodriguez interim leader", "venezuela"), ("Nikkei yen bond yields", "markets"),
                        ("goalkeeper penalties shootout", "football")]:
        ids, scores = index.bm25_search(query, 5)
        assert index.chunks(ids[:1])[0].title == TITLE_OF[name] and (scores > 0).all()
    # The ranker's extra signals: stored similarities, BM25 scores of given chunks, idf.
    vector = index.embed_query("storm flooded coast")
    some = sorted(store_ids(index))[:5]
    assert np.allclose(index.dense_similarities(vector, some),
                       [float(vector @ wide_vector(index, c)) for c in index.chunks(some)], atol=1e-4)
    assert index.bm25_scores("storm coast", some).shape == (5,)
    rare, common = index.idf(["nikkei", "storm"]), index.idf(["zzzunknown"])
    assert rare[0] > 0 and common[0] >= rare[0]


def wide_vector(index, chunk):
    return index.embedder.embed([f"{chunk.title}. {chunk.text}"])[0]


FILTERS = DATED_FILTERS + [
    (SearchFilters(sources=('Daily "News',)), set()),  # a quote cannot break out of the expression
    (SearchFilters(), {"storm", "venezuela", "football", "markets"}),
]


def test_filters_are_pushed_down_to_both_searches(tmp_path, mbuild, mopen):
    mbuild([write_corpus(tmp_path / "news", names=tuple(ARTICLES))])
    index = mopen()
    query = "storm coast Venezuela leader cup final markets fall harbour rain diplomatic goalkeeper shares"
    for filters, expected in FILTERS:
        for search in (index.dense_search, index.bm25_search):
            ids, scores = search(query, 100, filters)
            names = {n for n, t in TITLE_OF.items() if t in titles_of(index, ids)}
            assert names == expected, (filters, search.__name__)
            assert len(ids) == len(scores)


def test_incremental_builds_upsert_and_delete_by_id(tmp_path, mbuild, mopen, milvus_settings, wide):
    corpus = write_corpus(tmp_path / "news")  # storm, venezuela, football
    mbuild([corpus])
    first = mopen()
    before = store_ids(first)
    football = {c.id for c in first.store.chunks_of_article(
        next(a.id for a in first.articles() if a.title == TITLE_OF["football"]))}

    write_article(corpus, "storm", extra="Insurers expect the damage to run into millions.")  # changed
    (corpus / "football.txt").unlink()  # vanished
    write_article(corpus, "markets")  # new
    embedded = wide.embedded
    report = mbuild([corpus])
    assert (len(report.added), len(report.updated), len(report.removed)) == (1, 1, 1)
    assert report.warnings == []
    assert wide.embedded > embedded  # only the new and changed articles' chunks
    second = mopen()
    assert second.search.count() == second.manifest.chunks == len(store_ids(second))
    assert not store_ids(second) & football
    assert TITLE_OF["football"] not in titles_of(second, second.bm25_search("goalkeeper penalties", 50)[0])
    assert TITLE_OF["markets"] in titles_of(second, second.bm25_search("Nikkei yen", 5)[0][:1])
    assert "Insurers" in " ".join(c.text for c in second.chunks(second.bm25_search("insurers damage", 3)[0]))
    # The generation loaded before the build still reads its own rows: an app that has not
    # reloaded answers as before.
    assert first.search.count() == first.manifest.chunks == len(before)
    assert TITLE_OF["football"] in titles_of(first, first.bm25_search("goalkeeper penalties", 5)[0])
    # Removed rows stay one build (for that app), then go.
    name = second.manifest.collection
    assert {r["id"] for r in all_rows(milvus_settings, name) if r["gone"]} >= football
    write_article(corpus, "football")
    mbuild([corpus])
    rows = all_rows(milvus_settings, name)
    assert not {r["id"] for r in rows} & football
    third = mopen()
    assert len(rows) - sum(1 for r in rows if r["gone"]) == third.manifest.chunks == third.search.count()


def test_an_unchanged_build_writes_nothing(tmp_path, mbuild, mopen):
    corpus = write_corpus(tmp_path / "news")
    mbuild([corpus])
    assert mbuild([corpus]).generation == ""
    assert mopen().manifest.collection.endswith("_000001")


KILLED_BUILD = """
import sys, time
import embeddings.build as build
from embeddings import Settings, build_index
from tests.fakes import FakeEmbedder

class Stalls(FakeEmbedder):
    def embed(self, texts):
        if self.embedded >= 4:  # some batches are in Milvus by now
            print("embedding", flush=True)
            time.sleep(600)
        return super().embed(texts)

build.EMBED_BATCH = 2
settings = Settings.from_env()
build_index([sys.argv[1]], settings, embedder=Stalls(dim=256), progress=False)
"""


def test_a_build_killed_mid_write_leaves_the_live_generation_serving(tmp_path, mbuild, mopen, milvus_settings):
    corpus = write_corpus(tmp_path / "news")
    mbuild([corpus])
    live = mopen()
    expected = (live.manifest.chunks, sorted(store_ids(live)))
    (corpus / "football.txt").unlink()
    write_article(corpus, "markets", extra=" ".join(["More trading news follows here."] * 40))
    env = {**os.environ, "NEWSDESK_INDEX_DIR": str(milvus_settings.index_dir), "NEWSDESK_INDEX_BACKEND": "milvus",
           "NEWSDESK_MILVUS_URI": milvus_settings.milvus_uri, "NEWSDESK_MILVUS_TOKEN": MILVUS_TOKEN,
           "NEWSDESK_MILVUS_COLLECTION": milvus_settings.milvus_collection, "NEWSDESK_CHUNK_TOKENS": "40",
           "NEWSDESK_CHUNK_OVERLAP_TOKENS": "10"}
    child = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(corpus)], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    try:
        assert child.stdout.readline().strip() == "embedding", child.stderr.read()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    name = live.manifest.collection
    rows = all_rows(milvus_settings, name)
    assert any(r["gen"] == 2 for r in rows) and any(r["gone"] == 2 for r in rows)  # it was half-way
    again = mopen()  # a reader after the kill: the old generation, whole
    assert again.generation.name == "gen-000001"
    assert (again.search.count(), sorted(store_ids(again))) == expected
    assert TITLE_OF["football"] in titles_of(again, again.bm25_search("goalkeeper penalties", 5)[0])
    assert TITLE_OF["markets"] not in titles_of(again, again.bm25_search("Nikkei yen", 50)[0])
    report = mbuild([corpus])  # the next build undoes the leftovers and finishes the job
    assert report.generation == "gen-000002"
    done = mopen()
    assert done.search.count() == done.manifest.chunks == len(store_ids(done))
    assert not any(r["gen"] > 2 for r in all_rows(milvus_settings, name))


def test_the_server_down_is_one_line_naming_the_uri(tmp_path, settings, capfd, monkeypatch):
    server = MilvusServer(tmp_path / "milvus")
    on = settings.replace(index_backend="milvus", milvus_uri=server.uri, milvus_token=MILVUS_TOKEN,
                          milvus_collection="down")
    corpus = write_corpus(tmp_path / "news", names=("storm",))
    build_index([corpus], on, embedder=FakeEmbedder(), progress=False)
    running = load_index(on, embedder=FakeEmbedder())
    assert len(running.bm25_search("storm", 3)[0])
    server.stop()
    try:
        # An app whose server goes away: the next search says so at once, no traceback printed.
        capfd.readouterr()
        started = time.monotonic()
        with pytest.raises(IndexServerError) as caught:
            running.bm25_search("storm", 3)
        assert server.uri in str(caught.value) and time.monotonic() - started < 10
        assert "Traceback" not in capfd.readouterr().err
        running.close()
        forget_client(on)
        with pytest.raises(IndexServerError) as caught:
            load_index(on, embedder=FakeEmbedder())
        message = str(caught.value)
        assert server.uri in message and "NEWSDESK_MILVUS_URI" in message and "\n" not in message
        # The CLI: one line on stderr, no traceback, exit 1.
        for name, value in {"INDEX_DIR": on.index_dir, "INDEX_BACKEND": "milvus", "MILVUS_URI": server.uri,
                            "MILVUS_TOKEN": MILVUS_TOKEN, "EMBEDDER": "fake-embedder", "CHUNK_TOKENS": "40",
                            "CHUNK_OVERLAP_TOKENS": "10"}.items():
            monkeypatch.setenv(f"NEWSDESK_{name}", str(value))
        from embeddings.cli import main

        started = time.monotonic()
        assert main(["build", "--no-progress"]) != 0
        err = capfd.readouterr().err.strip().splitlines()
        assert len(err) == 1 and server.uri in err[0] and "Traceback" not in err[0], err
        assert time.monotonic() - started < 20
    finally:
        forget_client(on)


def test_a_wrong_token_is_refused_in_one_line(tmp_path, mbuild, milvus_settings, wide):
    mbuild([write_corpus(tmp_path / "news", names=("storm",))])
    wrong = milvus_settings.replace(milvus_token="root:wrong")
    try:
        with pytest.raises(IndexAuthError) as caught:
            load_index(wrong, embedder=wide)
    finally:
        forget_client(wrong)
    message = str(caught.value)
    assert "refused the token" in message and "NEWSDESK_MILVUS_TOKEN" in message and milvus_settings.milvus_uri in message
    assert "root:wrong" not in message and "\n" not in message


def test_the_backend_settings_are_documented():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in ("INDEX_BACKEND", "MILVUS_URI", "MILVUS_TOKEN", "MILVUS_COLLECTION"):
        assert f"`NEWSDESK_{name}`" in readme
    with pytest.raises(Exception, match="NEWSDESK_INDEX_BACKEND"):
        Settings.from_env({"NEWSDESK_INDEX_BACKEND": "faiss"})


def test_the_token_is_never_written_or_shown(tmp_path, mbuild, milvus_settings):
    mbuild([write_corpus(tmp_path / "news", names=("storm",))])
    manifest = (current_generation(Path(milvus_settings.index_dir)) / "manifest.json").read_text()
    assert MILVUS_TOKEN not in manifest and MILVUS_TOKEN not in repr(milvus_settings)
    assert Settings.from_env({"NEWSDESK_MILVUS_TOKEN": "u:p"}).milvus_token == "u:p"


def test_an_unknown_collection_names_the_collection_and_the_fix(tmp_path, mbuild, mopen, milvus_settings):
    mbuild([write_corpus(tmp_path / "news", names=("storm",))])
    name = json.loads((current_generation(Path(milvus_settings.index_dir)) / "manifest.json").read_text())["collection"]
    connect(milvus_settings).drop_collection(name)
    with pytest.raises(IndexNotFoundError) as caught:
        mopen()
    message = str(caught.value)
    assert name in message and "--rebuild" in message and milvus_settings.milvus_uri in message
    mbuild([], rebuild=True)  # the fix works
    assert mopen().search.count() > 0


def test_a_collection_of_another_embedder_or_dimension_is_refused(tmp_path, mbuild, mopen, milvus_settings):
    mbuild([write_corpus(tmp_path / "news", names=("storm",))])
    name = mopen().manifest.collection
    client = connect(milvus_settings)
    client.drop_collection(name)
    MilvusChunks.create(client, milvus_settings.milvus_uri, name, 8, "other-embedder", "elsewhere")
    with pytest.raises(IndexMismatchError) as caught:
        mopen()
    assert "8-d vectors of other-embedder" in str(caught.value) and "--rebuild" in str(caught.value)
    # A first build whose collection name another index holds stops instead of dropping it.
    other = milvus_settings.replace(index_dir=tmp_path / "other")
    with pytest.raises(IndexMismatchError) as caught:
        mbuild([write_corpus(tmp_path / "news2", names=("storm",))], settings=other)
    assert "NEWSDESK_MILVUS_COLLECTION" in str(caught.value)
    # An existing index built with another embedder: the manifest check says so first.
    with pytest.raises(IndexMismatchError):
        mbuild([tmp_path / "news"], embedder=FakeEmbedder(dim=16))


def test_switching_backends_needs_a_rebuild(tmp_path, settings, milvus_settings, wide, mopen):
    corpus = write_corpus(tmp_path / "news", names=("storm", "markets"))
    build_index([corpus], settings, embedder=wide, progress=False)
    with pytest.raises(IndexMismatchError) as caught:
        build_index([corpus], milvus_settings, embedder=wide, progress=False)
    assert "--rebuild" in str(caught.value)
    build_index([corpus], milvus_settings, embedder=wide, progress=False, rebuild=True)
    index = mopen()
    assert index.manifest.backend == "milvus" and index.search.count() == index.manifest.chunks


def test_retrieval_and_search_run_unchanged_on_milvus(tmp_path, mbuild, mopen):
    from qa.retrieve import retrieve
    from qa._search import search

    mbuild([write_corpus(tmp_path / "news", names=tuple(ARTICLES))])
    index = mopen()
    hits = retrieve(index, "Who took over as interim leader of Venezuela?", 3)
    assert hits and hits[0].chunk.title == TITLE_OF["venezuela"] and 0 < hits[0].score <= 1
    hits = retrieve(index, "storm coast flooding", 3, filters=SearchFilters(sources=("bloomberg",)))
    assert {h.chunk.title for h in hits} <= {TITLE_OF["markets"]}
    results = search("goalkeeper penalties", index=index)
    assert TITLE_OF["football"] in str(results)


def test_a_db_path_runs_milvus_lite_inside_the_process(tmp_path, settings, wide):
    # The default URI: milvus-lite in this process, in a data directory beside the index.
    local_db = settings.replace(index_backend="milvus", milvus_uri="")
    try:
        build_index([write_corpus(tmp_path / "news", names=("storm", "markets"))], local_db, embedder=wide,
                    progress=False)
        index = load_index(local_db, embedder=wide)
        assert (Path(local_db.index_dir) / "milvus.db").is_dir()
        assert index.chunks(index.bm25_search("Nikkei yen", 1)[0])[0].title == TITLE_OF["markets"]
        index.close()
    finally:
        forget_client(local_db)


@pytest.mark.slow
def test_the_real_embedder_answers_alike_on_both_backends(tmp_path, settings, milvus_settings, real_embedder):
    from qa import answer
    from qa.retrieve import retrieve

    from ..fakes import CannedGenerator

    corpus = write_corpus(tmp_path / "news", names=tuple(ARTICLES))
    seeds = Path(__file__).parents[2] / "seeds"
    shipped = {"chunk_tokens": 200, "chunk_overlap_tokens": 40}
    local = settings.replace(**shipped)
    on_milvus = milvus_settings.replace(index_dir=tmp_path / "on-milvus", **shipped)
    tops = {}
    for chosen in (local, on_milvus):
        build_index([corpus, seeds], chosen, embedder=real_embedder, progress=False)
        index = load_index(chosen, embedder=real_embedder)
        hits = retrieve(index, "Who became Venezuela's interim leader?", 4)
        assert any("Delcy Rodriguez" in h.chunk.text for h in hits[:2])
        result = answer("Who became Venezuela's interim leader?", settings=chosen, index=index,
                        generator=CannedGenerator(["Delcy Rodriguez became interim leader [1]."]))
        assert not result.abstained and "Delcy Rodriguez" in result.citations[0].quote
        tops[chosen.index_backend] = [h.chunk.article_id for h in hits]
        index.close()
    assert tops["local"][:1] == tops["milvus"][:1]


@pytest.mark.slow
def test_a_ray_build_writes_the_same_collection(tmp_path, milvus_settings):
    import ray

    from embeddings.ray_embed import RayEmbedder

    corpus = write_corpus(tmp_path / "news", names=tuple(ARTICLES))
    local = milvus_settings.replace(index_dir=tmp_path / "local")
    on_ray = milvus_settings.replace(index_dir=tmp_path / "ray", milvus_collection=milvus_settings.milvus_collection + "r")
    build_index([corpus], local, embedder=FakeEmbedder(dim=WIDE), progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        import functools

        embedder = RayEmbedder("local", load=functools.partial(FakeEmbedder, dim=WIDE), local=FakeEmbedder(dim=WIDE), actors=2,
                               cpus_per_actor=1, progress=False, group_size=5)
        assert build_index([corpus], on_ray, embedder=embedder, progress=False).chunks_embedded >= 9
    finally:
        ray.shutdown()
    a, b = load_index(local, embedder=FakeEmbedder(dim=WIDE)), load_index(on_ray, embedder=FakeEmbedder(dim=WIDE))
    try:
        assert a.search.count() == b.search.count() == a.manifest.chunks
        for query in ("Delcy Rodriguez interim leader", "goalkeeper penalties"):
            assert a.bm25_search(query, 5)[0].tolist() == b.bm25_search(query, 5)[0].tolist()
            assert a.dense_search(query, 5)[0].tolist() == b.dense_search(query, 5)[0].tolist()
    finally:
        a.close(), b.close()
