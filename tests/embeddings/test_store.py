import dataclasses
import sqlite3

import numpy as np
import pytest

from embeddings.store import Article, ArticleState, ChunkRecord, ChunkRow, ChunkStore

# Every field a different value: a column read into the wrong field shows.
ARTICLE = Article(id="a1", key="/news/a.txt", input_root="/news", path="news/a.txt", url="https://x.test/a",
                  title="Storm floods the coast", byline="By Port Gazette", publish_date="2026-01-10",
                  content_hash="c" * 64, raw_hash="r" * 64, text="Storm. The coast flooded.",
                  indexed_at="2026-01-11T00:00:00+00:00")
CHUNK = ChunkRow(id=7, article_id="a1", ordinal=3, start=7, end=25, text="The coast flooded.", tokens=4)


@pytest.fixture
def store(tmp_path):
    generation = tmp_path / "index" / "gen-000001"
    generation.mkdir(parents=True)
    opened = ChunkStore(generation / "chunks.sqlite")
    opened.put_article(ARTICLE, np.arange(4, dtype=np.uint64))
    opened.put_chunks([CHUNK])
    opened.commit()
    yield opened
    opened.close()


def test_schema_columns_are_the_records_fields(store):
    def columns(table):
        return [r[1] for r in store._db.execute(f"PRAGMA table_info({table})")]

    # input_root keeps its column's name from before inputs were called inputs: stores already
    # written must read as they are.
    named = ["source_root" if f.name == "input_root" else f.name for f in dataclasses.fields(Article)]
    assert columns("articles") == named[:11] + ["minhash", "indexed_at"]
    assert columns("chunks") == ["end_" if f == "end" else f for f in ChunkRow._fields]
    chunk_fields = [f.name for f in dataclasses.fields(ChunkRecord)]
    assert chunk_fields[:len(ChunkRow._fields)] == list(ChunkRow._fields)
    assert set(chunk_fields[len(ChunkRow._fields):]) <= {f.name for f in dataclasses.fields(Article)}


def test_records_come_back_field_for_field(store):
    assert store.article("a1") == ARTICLE
    assert store.articles() == [ARTICLE]
    expected = ChunkRecord(**CHUNK._asdict(), title=ARTICLE.title, byline=ARTICLE.byline,
                           publish_date=ARTICLE.publish_date, url=ARTICLE.url, path=ARTICLE.path)
    assert store.chunks([7, 99]) == [expected]
    assert store.chunks_of_article("a1") == [expected]


def test_article_states_are_named(store):
    assert store.article_states() == {"a1": ArticleState(raw_hash="r" * 64, content_hash="c" * 64,
                                                         input_root="/news", key="/news/a.txt",
                                                         path="news/a.txt")}
    with pytest.raises(TypeError):
        store.article_states()["a1"][0]  # by name only


def test_closed_store_is_a_bug_not_damage(store):
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.article_states()


def test_newest_leads_follow_the_articles_order_with_the_start_of_each_text(store):
    for n, (date, title) in enumerate([("2026-01-09", "B older"), ("2026-01-11", "Z newest"),
                                       ("2026-01-11", "A newest too"), ("", "No date")]):
        store.put_article(dataclasses.replace(ARTICLE, id=f"b{n}", title=title, publish_date=date,
                                              text=f"{title}. " + "word " * 1000), np.arange(4, dtype=np.uint64))
    newest = store.articles()
    leads = store.newest_leads(limit=4, lead_chars=30)
    assert [(a.id, a.title) for a in leads] == [(a.id, a.title) for a in newest[:4]]
    assert [a.lead for a in leads] == [a.text[:30] for a in newest[:4]]
    assert len(store.newest_leads(limit=100, lead_chars=10)) == len(newest) == 5
    assert store.newest_leads(limit=0, lead_chars=10) == []


def test_sentence_vectors_round_trip_as_int8_within_cosine_0_999(store):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[1] = 0  # a sentence past the embedder's window
    store.put_sentence_vectors([(CHUNK.id, vectors)])
    store.commit()
    (back,) = store.sentence_vectors([CHUNK.id, 999]).values()
    assert back.shape == (3, 384) and not back[1].any()
    for row in (0, 2):
        assert back[row] @ vectors[row] / np.linalg.norm(back[row]) > 0.999


def test_deleting_an_article_deletes_its_sentence_vectors(store):
    store.put_sentence_vectors([(CHUNK.id, np.ones((2, 8), dtype=np.float32))])
    store.delete_article("a1")
    assert store.sentence_vectors([CHUNK.id]) == {}
    assert store._db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone() == (0,)


def test_a_store_from_before_sentence_vectors_reads_as_having_none(tmp_path):
    generation = tmp_path / "index" / "gen-000001"
    generation.mkdir(parents=True)
    old = sqlite3.connect(generation / "chunks.sqlite")
    old.executescript("CREATE TABLE chunks (id INTEGER PRIMARY KEY, article_id TEXT, ordinal INTEGER, "
                      "start INTEGER, end_ INTEGER, text TEXT, tokens INTEGER);")
    old.close()
    readonly = ChunkStore(generation / "chunks.sqlite", readonly=True)
    try:
        assert readonly.sentence_vectors([1, 2]) == {}
    finally:
        readonly.close()


def test_a_damaged_sentence_vector_row_reads_as_missing(store):
    store._db.execute("INSERT INTO sentence_vectors VALUES (?, ?, ?)",
                      (CHUNK.id, np.ones(3, dtype=np.float32).tobytes(), b"\x01" * 10))
    assert store.sentence_vectors([CHUNK.id]) == {}
