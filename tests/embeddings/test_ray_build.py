"""The build's embedding step on Ray (embeddings/ray_embed.py), on a local Ray instance.

One Ray session serves the module (start-up costs seconds); ``RayEmbedder`` finds it
initialised and leaves it running.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import embeddings.ray_embed as ray_embed
from embeddings import build_index, load_index
from embeddings.cli import main
from embeddings.index import current_generation
from embeddings.ray_embed import RayEmbedder

from ..fakes import FakeEmbedder
from .corpus import ARTICLES, write_article, write_corpus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def ray_session():
    import ray

    # As many CPUs as a local build's threads: the default single actor then embeds with them,
    # and the real embedder's bfloat16 vectors equal a local build's.
    ray.init(num_cpus=max(2, os.cpu_count() or 2), include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def fake_ray(**kw) -> RayEmbedder:
    """A RayEmbedder whose actors run FakeEmbedder: the pipeline without the model's load time."""
    return RayEmbedder("local", load=FakeEmbedder, local=FakeEmbedder(), actors=2, cpus_per_actor=1, progress=False,
                       **kw)


def vectors(index) -> dict[int, np.ndarray]:
    ids = sorted(c.id for a in index.articles() for c in index.store.chunks_of_article(a.id))
    stored = index.dense._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
    return dict(zip(ids, stored))


def chunks(index) -> list[tuple[int, str, int, str]]:
    return sorted((c.id, a.id, c.ordinal, c.text) for a in index.articles() for c in index.store.chunks_of_article(a.id))


def manifest(index_dir: Path) -> dict:
    """The manifest less what two equal builds at different times differ in: the build time,
    and the hashes of files that hold it (articles carry it) or float noise below 1e-5; and
    the chunk store's size, since a local build stores sentence vectors and a Ray build does
    not (the test on the real embedder checks which holds them)."""
    data = json.loads((current_generation(index_dir) / "manifest.json").read_text())
    data.pop("built_at")
    data["file_sizes"].pop("chunks.sqlite")
    hashes = data.pop("file_hashes")
    assert set(hashes) == {"dense.faiss", "chunks.sqlite"} | {k for k in hashes if k.startswith("bm25/")}
    data["bm25_hashes"] = {k: v for k, v in hashes.items() if k.startswith("bm25/")}
    return data


def many_articles(folder: Path, copies: int) -> Path:
    """``copies`` distinct variants of each corpus article (distinct enough not to be near-duplicates)."""
    for k in range(copies):
        for name in ARTICLES:
            write_article(folder, name, f"{name}-{k}.txt", extra=" ".join(f"Item{k}x{j} report{k}" for j in range(60)))
    return folder


# --- no Ray needed ------------------------------------------------------------------------

def test_ray_missing_is_one_line_naming_the_install(tmp_path, monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(ray_embed.importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] == "ray" else real(name, *a))
    corpus = write_corpus(tmp_path / "src")
    assert main(["build", str(corpus), "--index", str(tmp_path / "index"), "--ray", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and 'pip install -e ".[ray]"' in err
    assert not list((tmp_path / "index").glob("gen-*"))


def test_ray_address_setting_reads_the_environment():
    from embeddings import Settings

    assert Settings.from_env({}).ray_address == ""
    assert Settings.from_env({"NEWSDESK_RAY_ADDRESS": "ray://head:10001"}).ray_address == "ray://head:10001"


# --- on a local Ray instance, FakeEmbedder in the actors ----------------------------------

@pytest.mark.slow
def test_ray_build_is_the_same_index_as_a_local_one(tmp_path, ray_session, settings):
    corpus = many_articles(tmp_path / "src", 3)
    local = settings.replace(index_dir=tmp_path / "local")
    on_ray = settings.replace(index_dir=tmp_path / "ray")
    # group_size 5: a few dozen chunks still make many groups, over both actors
    build_index([corpus], local, embedder=FakeEmbedder(), progress=False)
    report = build_index([corpus], on_ray, embedder=fake_ray(group_size=5), progress=False)
    assert report.chunks_embedded > 20
    a, b = load_index(local, embedder=FakeEmbedder()), load_index(on_ray, embedder=FakeEmbedder())
    try:
        assert chunks(a) == chunks(b)
        va, vb = vectors(a), vectors(b)
        assert va.keys() == vb.keys()
        assert max(float(np.abs(va[i] - vb[i]).max()) for i in va) < 1e-5
    finally:
        a.close(), b.close()
    assert manifest(local.index_dir) == manifest(on_ray.index_dir)


@pytest.mark.slow
def test_incremental_ray_build_embeds_only_what_changed(tmp_path, ray_session, settings):
    corpus = write_corpus(tmp_path / "src", names=("storm", "venezuela"))
    build_index([corpus], settings, embedder=fake_ray(), progress=False)
    write_article(corpus, "football")
    write_article(corpus, "storm", extra="The harbour reopened on Friday.")
    local = FakeEmbedder()
    report = build_index([corpus], settings, embedder=fake_ray(), progress=False)
    assert sorted(Path(p).name for p in report.added) == ["football.txt"]
    assert sorted(Path(p).name for p in report.updated) == ["storm.txt"]
    assert report.unchanged == 1
    index = load_index(settings, embedder=local)
    try:
        expected = local.embed([f"{a.title}. {c.text}" for a in index.articles()
                                for c in index.store.chunks_of_article(a.id)])
        ids = [c.id for a in index.articles() for c in index.store.chunks_of_article(a.id)]
        got = index.dense._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        assert np.abs(got - expected).max() < 1e-5
    finally:
        index.close()


class PidFake(FakeEmbedder):
    """Appends its process id to ``log`` for each group it embeds: which actor did the work."""

    def __init__(self, log: str) -> None:
        super().__init__()
        self.log = log

    def embed(self, texts):
        with open(self.log, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        return super().embed(texts)


@pytest.mark.slow
def test_groups_spread_over_the_actors(tmp_path, ray_session):
    # The pipeline starts before the texts are known and reads them off a queue: each group
    # must still be its own block, or one actor would embed them all.
    log = tmp_path / "pids"
    embedder = RayEmbedder("local", load=functools.partial(PidFake, str(log)), local=FakeEmbedder(), actors=2,
                           cpus_per_actor=1, group_size=2, progress=False)
    texts = [f"text number {k} about storms" for k in range(40)]
    embedder.count_tokens(texts)  # starts the pipeline, as a build's chunking does
    assert np.abs(embedder.embed(texts) - FakeEmbedder().embed(texts)).max() < 1e-6
    pids = log.read_text().split()
    assert len(pids) == 20 and len(set(pids)) == 2


@pytest.mark.slow
def test_a_build_that_fails_while_chunking_stops_the_pipeline_it_started(tmp_path, ray_session, settings,
                                                                        monkeypatch):
    corpus = write_corpus(tmp_path / "src", names=("storm", "venezuela"))
    embedder = fake_ray()
    calls = []

    def chunk_then_fail(text, count_tokens, *args):
        count_tokens([text])  # the pipeline starts here
        calls.append(embedder._pipeline)
        raise OSError("disk gone")

    monkeypatch.setattr("embeddings.build.chunk_text", chunk_then_fail)
    with pytest.raises(OSError, match="disk gone"):
        build_index([corpus], settings, embedder=embedder, progress=False)
    assert calls and embedder._pipeline is None
    calls[0]._thread.join(30)
    assert not calls[0]._thread.is_alive()
    # The embedder still works after: the next texts get a pipeline of their own.
    assert embedder.embed(["storm text"]).shape == (1, FakeEmbedder.dim)


class SlowFake(FakeEmbedder):
    """Touches ``marker`` when it starts embedding, then takes a minute: a build to kill mid-way."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def embed(self, texts):
        Path(self.marker).touch()
        time.sleep(60)
        return super().embed(texts)


def build_slowly(corpus: str, index_dir: str, marker: str) -> None:
    """Run in a subprocess by the kill test: a Ray build whose actors stall mid-embedding."""
    from embeddings import Settings

    settings = Settings(index_dir=Path(index_dir), chunk_tokens=40, chunk_overlap_tokens=10)
    embedder = RayEmbedder("local", load=functools.partial(SlowFake, marker), local=FakeEmbedder(), actors=1,
                           cpus_per_actor=1, progress=False)
    build_index([corpus], settings, embedder=embedder, progress=False)


@pytest.mark.slow
def test_killed_ray_build_leaves_the_previous_index_live(tmp_path, ray_session, settings):
    corpus = write_corpus(tmp_path / "src", names=("storm", "venezuela"))
    build_index([corpus], settings, embedder=fake_ray(), progress=False)
    live = current_generation(settings.index_dir)
    before = load_index(settings, embedder=FakeEmbedder())
    expected = chunks(before)
    before.close()

    write_article(corpus, "football")
    marker = tmp_path / "embedding-started"
    code = (f"from tests.embeddings.test_ray_build import build_slowly; "
            f"build_slowly({str(corpus)!r}, {str(settings.index_dir)!r}, {str(marker)!r})")
    # Its own session: the driver's Ray processes go with it, not with this test.
    driver = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert driver.poll() is None, driver.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the build never started embedding"
            time.sleep(0.2)
        assert len(list(Path(settings.index_dir).glob("gen-*"))) == 2  # the new generation is being written
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)  # the killed driver's local Ray instance
        except ProcessLookupError:
            pass
        driver.stderr.close()

    assert current_generation(settings.index_dir) == live
    after = load_index(settings, embedder=FakeEmbedder())
    try:
        assert chunks(after) == expected
    finally:
        after.close()
    # The next build clears the killed one's leftovers and completes.
    report = build_index([corpus], settings, embedder=fake_ray(), progress=False)
    assert [Path(p).name for p in report.added] == ["football.txt"]


# --- the real embedder, through the CLI ---------------------------------------------------

@pytest.mark.slow
def test_cli_ray_build_matches_a_local_build_with_the_real_embedder(tmp_path, ray_session, monkeypatch):
    monkeypatch.delenv("NEWSDESK_RAY_ADDRESS", raising=False)
    corpus = many_articles(tmp_path / "src", 2)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    assert main(["build", str(corpus), "--index", str(local), "--no-progress"]) == 0
    assert main(["build", str(corpus), "--index", str(on_ray), "--no-progress", "--ray"]) == 0
    a, b = load_index(settings_for(local)), load_index(settings_for(on_ray))
    try:
        assert chunks(a) == chunks(b) and len(chunks(a)) > 20
        ids = [c[0] for c in chunks(a)]
        # Ray's actors return chunk vectors only: its index embeds sentences when answering.
        assert len(a.sentence_vectors(ids)) == len(ids) and b.sentence_vectors(ids) == {}
        va, vb = vectors(a), vectors(b)
        assert max(float(np.abs(va[i] - vb[i]).max()) for i in va) < 1e-5
    finally:
        a.close(), b.close()
    assert manifest(local) == manifest(on_ray)


def settings_for(index_dir: Path):
    from embeddings import Settings

    return Settings.from_env(index_dir=index_dir)
