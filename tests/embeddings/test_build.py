import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import embeddings
import embeddings.build as build_module
from embeddings import IndexBusyError, InputNotFoundError, InvalidInputError, SourceNotFoundError, split_sentences
from embeddings.build import build_lock
from embeddings.index import current_generation
from embeddings.sparse_index import Bm25Index

from ..fakes import FakeEmbedder
from .corpus import ARTICLES, article_text, json_record, jsonl, write_article, write_corpus

TITLE = {name: a["title"] for name, a in ARTICLES.items()}


def titles(index) -> list[str]:
    return sorted(a.title for a in index.articles())


def all_chunk_ids(index) -> set[int]:
    return {c.id for a in index.articles() for c in index.store.chunks_of_article(a.id)}


def dense_ids(index) -> set[int]:
    return set(index.dense.search(np.ones(32, dtype=np.float32) / np.sqrt(32), 10_000)[0].tolist())


def snapshot(index):
    """Everything a reader can see: articles, chunks, and what each search backend holds."""
    chunks = sorted((c.id, c.text) for a in index.articles() for c in index.store.chunks_of_article(a.id))
    return (sorted((a.id, a.title, a.text) for a in index.articles()), chunks, dense_ids(index),
            set(index.sparse.chunk_ids.tolist()))


def generations(settings) -> list[str]:
    return sorted(p.name for p in Path(settings.index_dir).glob("gen-*"))


def one_line(reason: str) -> bool:
    return bool(reason) and "\n" not in reason


# --- first build, incremental builds -----------------------------------------------------

def test_first_build_indexes_every_article(tmp_path, build, open_index, settings):
    corpus = write_corpus(tmp_path / "news")
    report = build([corpus])
    assert (len(report.added), report.updated, report.removed, report.unchanged, report.skipped) == (3, [], [], 0, [])
    assert report.generation == "gen-000001" and report.articles == 3 and report.chunks > 3
    assert "3 added, 0 updated, 0 removed, 0 unchanged, 0 skipped" in report.summary()

    index = open_index()
    assert titles(index) == sorted(TITLE[n] for n in ("storm", "venezuela", "football"))
    m = index.manifest
    assert (m.embedder, m.dim, m.chunk_tokens, m.chunk_overlap_tokens) == ("fake-embedder", 32, 40, 10)
    assert m.inputs == [str(corpus)] and (m.articles, m.chunks) == (3, report.chunks)
    assert len(index.dense) == len(index.sparse) == m.chunks
    assert dense_ids(index) == set(index.sparse.chunk_ids.tolist()) == all_chunk_ids(index)
    venezuela = next(a for a in index.articles() if a.title == TITLE["venezuela"])
    assert (venezuela.byline, venezuela.publish_date) == ("Reuters", "2026-01-10")
    chunks = index.store.chunks_of_article(venezuela.id)
    assert len(chunks) >= 2
    for c in chunks:
        assert venezuela.text[c.start:c.end] == c.text
        assert c.tokens <= settings.chunk_tokens
        assert (c.title, c.byline, c.publish_date, c.path) == (venezuela.title, "Reuters", "2026-01-10", venezuela.path)
    assert index.chunks([chunks[1].id, 999_999, chunks[0].id]) == [chunks[1], chunks[0]]
    assert index.article(venezuela.id) == venezuela and index.article("nope") is None


def test_incremental_add_update_remove_unchanged(tmp_path, build, open_index, embedder):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    before = embedder.embedded
    write_article(corpus, "storm", extra="Insurers estimate the damage at two billion euros.")
    (corpus / "football.txt").unlink()
    write_article(corpus, "markets")

    report = build([corpus])
    assert report.added == [str(corpus / "markets.txt")]
    assert report.updated == [str(corpus / "storm.txt")]
    assert report.removed == [str(corpus / "football.txt")]
    assert report.unchanged == 1 and report.skipped == []
    index = open_index()
    assert titles(index) == sorted(TITLE[n] for n in ("storm", "venezuela", "markets"))
    # Only the changed articles were embedded again.
    changed = [a for a in index.articles() if a.title in (TITLE["storm"], TITLE["markets"])]
    assert embedder.embedded - before == sum(len(index.store.chunks_of_article(a.id)) for a in changed)
    storm = next(a for a in changed if a.title == TITLE["storm"])
    assert "two billion euros" in storm.text
    # The removed and replaced chunks are gone from both search backends.
    assert dense_ids(index) == set(index.sparse.chunk_ids.tolist()) == all_chunk_ids(index)
    assert len(index.bm25_search("goalkeeper penalties shootout", 5)[0]) == 0
    ids, _ = index.bm25_search("insurers damage billion euros", 3)
    assert "two billion euros" in index.chunks(ids[:1])[0].text



def sentence_vector_counts(index) -> dict[int, int]:
    chunks = [c for a in index.articles() for c in index.store.chunks_of_article(a.id)]
    return {cid: len(v) for cid, v in index.sentence_vectors([c.id for c in chunks]).items()}


def test_each_chunk_keeps_one_vector_per_sentence_across_incremental_builds(tmp_path, build, open_index):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    first = sentence_vector_counts(open_index())
    write_article(corpus, "storm", extra="Insurers estimate the damage at two billion euros.")
    (corpus / "football.txt").unlink()
    build([corpus])
    index = open_index()
    chunks = {c.id: c for a in index.articles() for c in index.store.chunks_of_article(a.id)}
    counts = sentence_vector_counts(index)
    assert counts == {cid: len(split_sentences(c.text)) for cid, c in chunks.items()}
    kept = set(first) & set(chunks)  # the unchanged article's chunks were not embedded again
    assert kept and all(first[cid] == counts[cid] for cid in kept)
    assert index.store._db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone() == (len(chunks),)
    # The stored vectors are those of the sentences, as the embedder gives them.
    cid, chunk = next(iter(chunks.items()))
    stored = index.sentence_vectors([cid])[cid]
    alone = FakeEmbedder().embed([chunk.text[a:b] for a, b in split_sentences(chunk.text)])
    assert np.allclose(stored, alone, atol=0.01)


def test_an_embedder_without_sentence_vectors_still_builds(tmp_path, build, open_index):
    class ChunksOnly(FakeEmbedder):
        embed_with_sentences = None

    build([write_corpus(tmp_path / "news")], embedder=ChunksOnly())
    index = open_index()
    assert index.chunks([1]) and sentence_vector_counts(index) == {}


def test_noop_build_writes_no_new_generation(tmp_path, build, settings, embedder):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    before = (generations(settings), (Path(settings.index_dir) / "CURRENT").read_text(), embedder.embedded)
    for inputs in ([corpus], []):  # named again, or re-synced from the manifest
        report = build(inputs)
        assert (report.added, report.updated, report.removed, report.unchanged) == ([], [], [], 3)
        assert report.generation == "" and not report.changed and report.articles == 3
        assert "(no change written)" in report.summary()
        assert (generations(settings), (Path(settings.index_dir) / "CURRENT").read_text(),
                embedder.embedded) == before


def test_resync_from_another_folder_keeps_every_article(tmp_path, build, settings, embedder, monkeypatch):
    corpus = write_corpus(tmp_path / "news")
    monkeypatch.chdir(tmp_path)
    build(["news"])  # a relative input, as typed on the command line
    embedded = embedder.embedded
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report = build([])
    assert (report.added, report.removed, report.unchanged) == ([], [], 3)
    assert embedder.embedded == embedded and corpus.exists()


def test_building_one_input_leaves_other_inputs_alone(tmp_path, build, open_index):
    a = write_corpus(tmp_path / "a", names=("storm", "venezuela"))
    b = write_corpus(tmp_path / "b", names=("football",))
    build([a])
    assert len(build([b]).added) == 1
    (a / "storm.txt").unlink()
    report = build([b])  # a is not synced: its deleted file goes unnoticed
    assert report.removed == [] and report.unchanged == 1
    index = open_index()
    assert titles(index) == sorted(TITLE[n] for n in ("storm", "venezuela", "football"))
    assert index.manifest.inputs == sorted([str(a), str(b)])

    report = build()  # every recorded input
    assert report.removed == [str(a / "storm.txt")] and report.unchanged == 2


def test_removed_input_folder_drops_its_articles(tmp_path, build, open_index):
    a = write_corpus(tmp_path / "a", names=("storm",))
    b = write_corpus(tmp_path / "b", names=("football",))
    build([a, b])
    shutil.rmtree(a)
    report = build()
    assert report.removed == [str(a / "storm.txt")]
    assert any("no longer exists" in w for w in report.warnings)
    index = open_index()
    assert titles(index) == [TITLE["football"]] and index.manifest.inputs == [str(b)]


def test_renamed_file_is_moved_not_lost(tmp_path, build, open_index):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    (corpus / "storm.txt").rename(corpus / "storm-2025.txt")
    report = build([corpus])
    assert report.added == [str(corpus / "storm-2025.txt")] and report.removed == [str(corpus / "storm.txt")]
    assert report.skipped == []
    index = open_index()
    assert TITLE["storm"] in titles(index)
    assert dense_ids(index) == all_chunk_ids(index)


def test_jsonl_records_without_urls_survive_a_line_inserted_above(tmp_path, build, open_index):
    # Such records are keyed by line number, so every key shifts: each line's article is
    # "updated" to the next one's text, which must not be taken for a duplicate of it.
    feed = tmp_path / "feed.jsonl"
    feed.write_text(jsonl(json_record("storm"), json_record("football")))
    build([feed])
    feed.write_text(jsonl(json_record("markets"), json_record("storm"), json_record("football")))
    report = build([feed])
    assert (len(report.added), len(report.updated), report.removed, report.skipped) == (1, 2, [], [])
    assert titles(open_index()) == sorted(TITLE[n] for n in ("storm", "football", "markets"))


def test_build_that_finds_only_duplicates_never_loads_the_model(tmp_path, build, settings, monkeypatch):
    fake_named = settings.replace(embedder="fake-embedder")
    corpus = write_corpus(tmp_path / "news")
    build([corpus], settings=fake_named)
    shutil.copy(corpus / "storm.txt", corpus / "storm-again.txt")

    def no_model(*a, **kw):
        raise AssertionError("the embedder was loaded")
    monkeypatch.setattr(build_module, "get_embedder", no_model)
    report = build([corpus], settings=fake_named, embedder=None)
    assert report.generation == "" and len(report.skipped) == 1


def test_progress_callback_reaches_total(tmp_path, build):
    calls = []
    report = build([write_corpus(tmp_path / "news")], on_progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (report.chunks_embedded, report.chunks_embedded)


@pytest.mark.parametrize("inputs, error", [(["does/not/exist"], InputNotFoundError), ([], InvalidInputError)])
def test_bad_inputs_raise_before_writing(build, settings, inputs, error):
    with pytest.raises(error):
        build(inputs)
    assert current_generation(Path(settings.index_dir)) is None


def test_source_not_found_error_still_catches_a_missing_input(build):
    # SourceNotFoundError is InputNotFoundError's old name, kept for callers that catch it.
    try:
        build(["does/not/exist"])
    except SourceNotFoundError as exc:
        assert "input does/not/exist does not exist" in str(exc)
    else:
        pytest.fail("a missing input was not caught as SourceNotFoundError")
    assert {"SourceNotFoundError", "InputNotFoundError"} <= set(embeddings.__all__)


def test_second_build_waits_for_the_lock(tmp_path, build, settings):
    corpus = write_corpus(tmp_path / "news")
    with build_lock(Path(settings.index_dir)):
        with pytest.raises(IndexBusyError, match="another build"):
            build([corpus])
    assert len(build([corpus]).added) == 3  # the lock is released


# --- duplicates --------------------------------------------------------------------------

LONG = " ".join(" ".join(a["body"]) for a in ARTICLES.values())  # ~280 words: room for near-dups


def test_exact_duplicate_indexed_once(tmp_path, build, open_index, settings):
    corpus = write_corpus(tmp_path / "news", names=("storm", "venezuela"))
    shutil.copy(corpus / "storm.txt", corpus / "storm-copy.txt")
    report = build([corpus])
    assert len(report.added) == 2 and len(report.skipped) == 1
    skip = report.skipped[0]
    assert skip.path == str(corpus / "storm.txt")  # sorted: storm-copy.txt came first
    assert "duplicate" in skip.reason and "same text" in skip.reason and one_line(skip.reason)
    assert titles(open_index()) == sorted([TITLE["storm"], TITLE["venezuela"]])
    # The duplicate is still there next time, but nothing changed: no new generation.
    gens = generations(settings)
    again = build([corpus])
    assert again.generation == "" and generations(settings) == gens and again.unchanged == 2
    assert [s.path for s in again.skipped] == [skip.path]


def test_near_duplicate_indexed_once(tmp_path, build, open_index):
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "a.txt").write_text(f"Roundup of the week\n\nBy Staff\n\n{LONG}\n")
    (corpus / "b.txt").write_text(f"Roundup of the week (updated)\n\nBy Staff\n\n{LONG.replace('goalkeeper', 'keeper')}\n")
    report = build([corpus])
    assert len(report.added) == 1
    [skip] = report.skipped
    assert skip.path == str(corpus / "b.txt") and "duplicate" in skip.reason and "nearly the same" in skip.reason
    assert len(open_index().articles()) == 1


def test_duplicate_across_inputs(tmp_path, build, open_index):
    build([write_corpus(tmp_path / "a", names=("storm",))])
    report = build([write_corpus(tmp_path / "b", names=("storm", "football"))])
    assert len(report.added) == 1 and "duplicates" in report.skipped[0].reason
    assert titles(open_index()) == sorted([TITLE["storm"], TITLE["football"]])


def test_same_url_twice_indexed_once(tmp_path, build, open_index):
    corpus = tmp_path / "feeds"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text(jsonl(json_record("storm", "https://news.example/1"),
                                          json_record("markets", "https://news.example/1")))
    (corpus / "b.jsonl").write_text(jsonl(json_record("storm", "https://news.example/1"),
                                          json_record("football", "https://news.example/2")))
    report = build([corpus])
    assert len(report.added) == 2 and len(report.skipped) == 2
    assert all("same article (URL or file)" in s.reason and one_line(s.reason) for s in report.skipped)
    index = open_index()
    assert titles(index) == sorted([TITLE["storm"], TITLE["football"]])
    assert sorted(a.url for a in index.articles()) == ["https://news.example/1", "https://news.example/2"]


def test_article_edited_into_a_duplicate_leaves_the_index(tmp_path, build, open_index):
    corpus = write_corpus(tmp_path / "news", names=("storm", "venezuela"))
    build([corpus])
    (corpus / "venezuela.txt").write_text(article_text("storm"))
    report = build([corpus])
    assert [s.path for s in report.skipped] == [str(corpus / "venezuela.txt")]
    assert "duplicate" in report.skipped[0].reason
    index = open_index()
    assert titles(index) == [TITLE["storm"]]  # the old Venezuela text is not served any more
    assert len(index.bm25_search("Delcy Rodriguez interim leader", 5)[0]) == 0


# --- bad inputs --------------------------------------------------------------------------

def _random_bytes(n=2048):
    data = bytearray(np.random.default_rng(0).integers(0, 256, n, dtype=np.uint8).tobytes())
    data[10] = 0
    return bytes(data)


def _truncated_gz():
    data = gzip.compress(jsonl(*[json_record("markets", f"https://x/{i}") for i in range(40)]).encode())
    return data[: len(data) // 2]


BAD_INPUTS = {
    # id: (file name, bytes, what the one-line reason says, path of the skip relative to the folder)
    "empty": ("empty.txt", b"", "empty file", "empty.txt"),
    "binary": ("random.txt", _random_bytes(), "binary", "random.txt"),
    "huge": ("huge.txt", article_text("markets").encode() * 10, "over the", "huge.txt"),
    "malformed-jsonl-line": ("feed.jsonl", (jsonl(json_record("markets")) + '{"title": "cut off", "te\n'
                                            + jsonl(json_record("football"))).encode(),
                             "malformed JSON line", "feed.jsonl#2"),
    "unsupported": ("photo.jpg", b"\xff\xd8\xff\xe0JFIF", "unsupported file type", "photo.jpg"),
    "truncated-gz": ("feed.jsonl.gz", _truncated_gz(), "cannot read", "feed.jsonl.gz"),
    "invalid-pdf": ("scan.pdf", b"%PDF-1.7\n garbage", "unreadable PDF", "scan.pdf"),
    "only-noise": ("noise.txt", b"close\n\nAdvertisement\n\n", "no article body", "noise.txt"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_skipped_with_a_reason(tmp_path, build, open_index, settings, case):
    name, data, reason, skip_path = case
    corpus = write_corpus(tmp_path / "news", names=("storm", "venezuela"))
    build([corpus])
    (corpus / name).write_bytes(data)
    # Small enough for "huge" to trip it, big enough for every other file here.
    report = build([corpus], settings=settings.replace(max_file_mb=0.003))
    assert [s.path for s in report.skipped] == [str(corpus / skip_path)]
    assert reason in report.skipped[0].reason and one_line(report.skipped[0].reason)
    assert f"skipped {corpus / skip_path}: " in report.summary()
    have = titles(open_index())
    assert {TITLE["storm"], TITLE["venezuela"]} <= set(have)
    if name == "feed.jsonl":  # the good lines around the bad one are indexed
        assert {TITLE["markets"], TITLE["football"]} <= set(have)


def test_non_utf8_text_is_decoded(tmp_path, build, open_index):
    corpus = tmp_path / "news"
    corpus.mkdir()
    text = "Café owners protest in Málaga\n\nBy El Diario\n\nLos dueños de cafés protestaron el lunes en Málaga.\n"
    (corpus / "cp1252.txt").write_bytes(text.encode("cp1252"))
    (corpus / "latin1.txt").write_bytes(article_text("storm").replace("coast", "côte").encode("latin-1"))
    report = build([corpus])
    assert len(report.added) == 2 and report.skipped == []
    index = open_index()
    texts = " ".join(a.title + " " + a.text for a in index.articles())
    assert "Café owners protest in Málaga" in texts and "dueños" in texts and "côte" in texts


def test_article_over_max_chars_is_cut_with_warning(tmp_path, build, open_index, settings):
    corpus = tmp_path / "news"
    corpus.mkdir()
    paragraphs = "\n\n".join(f"Paragraph {i} tells part {i} of the long story." for i in range(300))
    (corpus / "long.txt").write_text(f"A very long story\n\n{paragraphs}\n")
    report = build([corpus], settings=settings.replace(max_article_chars=2_000))
    assert len(report.added) == 1 and report.skipped == []
    assert len(report.warnings) == 1 and "indexed the first" in report.warnings[0] and one_line(report.warnings[0])
    [article] = open_index().articles()
    assert len(article.text) <= 2_000 and "Paragraph 0 " in article.text and "Paragraph 299 " not in article.text


def _make_unreadable_by_permission(path: Path, monkeypatch):
    # Tests run as root, where chmod 000 does not stop reads: fail the one read instead.
    import embeddings.ingest

    real = embeddings.ingest._read_bytes

    def read_bytes(p: Path) -> bytes:
        if p == path:
            raise PermissionError(13, "Permission denied", str(p))
        return real(p)
    monkeypatch.setattr(embeddings.ingest, "_read_bytes", read_bytes)


def _make_binary(path: Path, monkeypatch):
    path.write_bytes(b"\x00\x01garbage" * 100)


def _truncate(path: Path, monkeypatch):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind, break_file", [
    ("txt", _make_unreadable_by_permission), ("txt", _make_binary),
    ("jsonl.gz-with-urls", _make_unreadable_by_permission), ("jsonl.gz-with-urls", _make_binary),
    ("jsonl.gz-with-urls", _truncate),
], ids=["txt-permission-denied", "txt-now-binary", "gz-permission-denied", "gz-now-binary", "gz-truncated"])
def test_file_that_becomes_unreadable_keeps_its_indexed_version(tmp_path, build, open_index, monkeypatch,
                                                                break_file, kind):
    corpus = write_corpus(tmp_path / "news", names=("venezuela",))
    if kind == "txt":
        path = write_article(corpus, "storm")
        expected = [TITLE["storm"]]
    else:
        path = corpus / "feed.jsonl.gz"
        path.write_bytes(gzip.compress(jsonl(json_record("storm", "https://x/storm"),
                                             json_record("markets", "https://x/markets")).encode()))
        expected = [TITLE["storm"], TITLE["markets"]]
    build([corpus])
    before = snapshot(open_index())
    break_file(path, monkeypatch)

    report = build([corpus])
    assert report.removed == [] and len(report.skipped) == 1 and one_line(report.skipped[0].reason)
    assert any("kept the previously indexed version" in w for w in report.warnings)
    index = open_index()
    assert set(expected) <= set(titles(index))
    assert snapshot(index) == before


# --- atomicity ---------------------------------------------------------------------------

class ExplodingEmbedder(FakeEmbedder):
    """Fails on its ``fail_on``-th ``embed`` call, like a build killed half-way."""

    def __init__(self, fail_on: int, exc: BaseException) -> None:
        super().__init__()
        self.calls, self.fail_on, self.exc = 0, fail_on, exc

    def embed(self, texts):
        self.calls += 1
        if self.calls == self.fail_on:
            raise self.exc
        return super().embed(texts)


def _crash_in_bm25(monkeypatch, embedder):
    def boom(cls, texts, ids):
        raise RuntimeError("disk full while writing BM25")
    monkeypatch.setattr(Bm25Index, "build", classmethod(boom))
    return RuntimeError, embedder


def _crash_mid_embedding(monkeypatch, embedder):
    monkeypatch.setattr(build_module, "EMBED_BATCH", 2)
    return RuntimeError, ExplodingEmbedder(fail_on=2, exc=RuntimeError("CUDA out of memory"))


def _interrupt_mid_embedding(monkeypatch, embedder):
    monkeypatch.setattr(build_module, "EMBED_BATCH", 2)
    return KeyboardInterrupt, ExplodingEmbedder(fail_on=3, exc=KeyboardInterrupt())


def _crash_before_publish(monkeypatch, embedder):
    def boom(index_dir, generation):
        raise OSError("power cut")
    monkeypatch.setattr(build_module, "publish_generation", boom)
    return OSError, embedder


@pytest.mark.parametrize("crash", [_crash_in_bm25, _crash_mid_embedding, _interrupt_mid_embedding,
                                   _crash_before_publish])
def test_crash_mid_build_keeps_previous_generation(tmp_path, build, open_index, settings, embedder,
                                                   monkeypatch, crash):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    before = snapshot(open_index())
    write_article(corpus, "markets")
    write_article(corpus, "storm", extra="The coastguard rescued forty people overnight.")
    (corpus / "football.txt").unlink()

    error, crashing_embedder = crash(monkeypatch, embedder)
    with pytest.raises(error):
        build([corpus], embedder=crashing_embedder)
    monkeypatch.undo()
    assert current_generation(Path(settings.index_dir)).name == "gen-000001"
    index = open_index()
    assert snapshot(index) == before and not index.is_stale()

    report = build([corpus])  # cleans up whatever the crash left and succeeds
    assert (len(report.added), len(report.updated), len(report.removed)) == (1, 1, 1)
    assert generations(settings) == ["gen-000001", "gen-000002"]
    index = open_index()
    assert titles(index) == sorted(TITLE[n] for n in ("storm", "venezuela", "markets"))
    assert dense_ids(index) == set(index.sparse.chunk_ids.tolist()) == all_chunk_ids(index)


def test_leftovers_of_a_killed_build_are_removed(tmp_path, build, open_index, settings):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    index_dir = Path(settings.index_dir)
    (index_dir / "gen-000007").mkdir()  # what a kill -9 during writing leaves
    (index_dir / "gen-000007" / "chunks.sqlite").write_bytes(b"half a database")
    (index_dir / "CURRENT.tmp").write_text("gen-000007")
    assert titles(open_index()) == sorted(TITLE[n] for n in ("storm", "venezuela", "football"))

    write_article(corpus, "markets")
    assert build([corpus]).generation == "gen-000002"
    assert generations(settings) == ["gen-000001", "gen-000002"]
    assert TITLE["markets"] in titles(open_index())


def test_old_generations_are_pruned_but_the_previous_one_stays(tmp_path, build, settings):
    corpus = write_corpus(tmp_path / "news", names=("storm",))
    for n, name in enumerate(["venezuela", "football", "markets"], start=1):
        assert build([corpus]).generation == f"gen-{n:06d}"
        write_article(corpus, name)
    assert build([corpus]).generation == "gen-000004"
    # The one before stays for an app still reading it; older ones go.
    assert generations(settings) == ["gen-000003", "gen-000004"]
    assert current_generation(Path(settings.index_dir)).name == "gen-000004"


def test_chunk_ids_are_never_reused(tmp_path, build, open_index):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    old_ids = all_chunk_ids(open_index())
    write_article(corpus, "storm", extra="A late update on the storm.")
    build([corpus])
    index = open_index()
    storm = next(a for a in index.articles() if a.title == TITLE["storm"])
    new_ids = {c.id for c in index.store.chunks_of_article(storm.id)}
    assert not new_ids & old_ids and min(new_ids) > max(old_ids)


def test_index_dir_with_unusual_characters(tmp_path, build, open_index, settings):
    parent = tmp_path / "my index #1 ?50%"
    odd = settings.replace(index_dir=parent / "idx")
    corpus = write_corpus(tmp_path / "news")
    build([corpus], settings=odd)
    write_article(corpus, "markets")
    assert len(build([corpus], settings=odd).added) == 1
    assert len(open_index(settings=odd).articles()) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["news", parent.name])  # no stray files
    assert (current_generation(parent / "idx") / "chunks.sqlite").stat().st_size > 0


def test_rebuild_starts_over(tmp_path, build, open_index, embedder):
    corpus = write_corpus(tmp_path / "news")
    build([corpus])
    embedded = embedder.embedded
    report = build([corpus], rebuild=True)
    assert len(report.added) == 3 and report.unchanged == 0
    assert embedder.embedded == 2 * embedded
    index = open_index()
    assert len(index.articles()) == 3 and min(all_chunk_ids(index)) == 1


def test_reads_json_inputs_end_to_end(tmp_path, build, open_index):
    corpus = tmp_path / "feeds"
    corpus.mkdir()
    (corpus / "list.json").write_text(json.dumps([json_record("storm", "https://x/1")]))
    with gzip.open(corpus / "more.jsonl.gz", "wt") as fh:
        fh.write(jsonl(json_record("markets", "https://x/2")))
    report = build([corpus])
    assert len(report.added) == 2
    index = open_index()
    markets = next(a for a in index.articles() if a.url == "https://x/2")
    assert (markets.byline, markets.publish_date, markets.path) == ("Bloomberg", "2025-11-02",
                                                                     str(corpus / "more.jsonl.gz"))


def test_a_record_that_changes_only_outside_its_text_is_not_re_embedded(tmp_path, build, open_index, embedder):
    corpus = tmp_path / "feed"
    corpus.mkdir()
    record = {"title": "Harbour bridge reopens", "text": "The harbour bridge reopened on Monday after repairs. "
              "Traffic is back to normal, officials said.", "url": "https://example.com/bridge",
              "publish_date": "2025/01/03", "authors": []}
    (corpus / "feed.jsonl").write_text(json.dumps(record) + "\n")
    build([corpus])
    embedded = embedder.embedded
    record["authors"] = ["Jane Roe"]
    (corpus / "feed.jsonl").write_text(json.dumps(record) + "\n")
    report = build([corpus])
    assert (report.added, report.updated, report.unchanged) == ([], [], 1)
    assert embedder.embedded == embedded
    (article,) = open_index().articles()
    assert article.byline == "Jane Roe"


@pytest.mark.parametrize("before, now, embedded, total, expected", [
    ("", "bf16", 10, 10, "bf16"),  # a fresh build
    ("fp32", "bf16", 10, 10, "bf16"),  # a rebuild
    ("fp32", "bf16", 2, 10, "bf16+fp32"),  # an incremental add at another precision
    ("bf16+fp32", "bf16", 2, 10, "bf16+fp32"),
    ("bf16", "bf16", 2, 10, "bf16"),
    ("fp32", "bf16", 0, 10, "fp32"),  # only removals
    ("", "bf16", 2, 10, ""),  # added to vectors of unrecorded precision
    ("fp32", "", 2, 10, "fp32"),  # an embedder that does not say
    ("fp32", "bf16", 0, 0, ""),  # everything removed
])
def test_manifest_records_the_vectors_precision(before, now, embedded, total, expected):
    assert build_module._precision(before, now, embedded, total) == expected
