import json
import sqlite3
import threading

import pytest

import qa
from embeddings import build_index
from qa.collection import IndexCache, example_questions
from tests.fakes import CannedGenerator, FakeEmbedder

from .conftest import HARVEST, VENEZUELA


def test_example_questions_come_from_the_model_once_then_from_disk(news_index, qa_settings, monkeypatch):
    import qa.collection as collection

    monkeypatch.setattr(collection.INDEXES, "get", lambda settings: news_index)
    generator = CannedGenerator(["Who became Venezuela's interim leader?", "Not a question"])
    first = example_questions(qa_settings, n=2, generator=generator)
    assert "Who became Venezuela's interim leader?" in first
    assert any(q.startswith("What do the articles say about") for q in first)  # the bad one fell back
    assert len(generator.calls) == 2
    assert example_questions(qa_settings, n=2, generator=CannedGenerator(["unused?"])) == first
    assert example_questions(qa_settings, n=2) == first  # no model needed once cached
    cached = json.loads((qa_settings.data_dir / "example_questions.json").read_text())
    assert len(cached) == 2


def test_example_questions_read_titles_and_leads_not_every_text(news_index, qa_settings, monkeypatch):
    import qa.collection as collection

    monkeypatch.setattr(collection.INDEXES, "get", lambda settings: news_index)
    newest = news_index.articles()  # what example_questions read before: every article, texts and all

    def every_text():
        raise AssertionError("example_questions read every article's text")

    monkeypatch.setattr(news_index, "articles", every_text)
    generator = CannedGenerator(["Who became Venezuela's interim leader?", "Who picked a record apple crop?"])
    assert example_questions(qa_settings, n=2, generator=generator) == ["Who became Venezuela's interim leader?",
                                                                         "Who picked a record apple crop?"]
    # The model saw each article's title and first 120 words, in the old order.
    assert [call[1]["content"] for call in generator.calls] == [
        f"{a.title}\n\n{' '.join(a.text.split()[:120])}" for a in newest]


def test_a_failed_cache_write_leaves_the_old_cache_and_no_temp_file(news_index, qa_settings, monkeypatch):
    import os

    import qa.collection as collection

    monkeypatch.setattr(collection.INDEXES, "get", lambda settings: news_index)
    cache = qa_settings.data_dir / "example_questions.json"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("{}")

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        example_questions(qa_settings, n=2, generator=CannedGenerator(["Who leads Venezuela now?"]))
    monkeypatch.undo()
    assert cache.read_text() == "{}"
    assert sorted(p.name for p in qa_settings.data_dir.iterdir()) == ["example_questions.json", "index"]


@pytest.fixture
def cache_settings(tmp_path, qa_settings):
    """A corpus of one article, indexed; ``add_harvest()`` indexes a second one."""
    settings = qa_settings.replace(embedder=FakeEmbedder.model_id)  # loads without the real model
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "venezuela.txt").write_text(VENEZUELA)
    build_index([corpus], settings, embedder=FakeEmbedder(), progress=False)

    def add_harvest():
        (corpus / "harvest.txt").write_text(HARVEST)
        assert build_index([corpus], settings, embedder=FakeEmbedder(), progress=False).added

    return settings, add_harvest


def test_a_replaced_index_is_closed_when_its_last_reader_lets_go(cache_settings):
    settings, add_harvest = cache_settings
    cache = IndexCache()
    reader = cache.get(settings)
    assert cache.get(settings) is reader
    store = reader.store
    add_harvest()
    newer = cache.get(settings)
    assert newer is not reader and len(newer.articles()) == 2
    assert len(reader.articles()) == 1  # still open for whoever holds it
    del reader
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        store.counts()
    assert len(newer.articles()) == 2


def test_an_answer_on_the_old_index_in_another_thread_reads_on_after_the_swap(cache_settings):
    settings, add_harvest = cache_settings
    cache = IndexCache()
    holding, swapped = threading.Event(), threading.Event()
    read = []

    def answer():  # what stream_answer does: get the index, then read it for a while
        index = cache.get(settings)
        holding.set()
        assert swapped.wait(10)
        read.append([a.title for a in index.articles()])
        read.append([c.article_id for c in index.chunks([1])])

    thread = threading.Thread(target=answer)
    thread.start()
    assert holding.wait(10)
    old_store = cache.get(settings).store
    add_harvest()
    assert cache.get(settings).store is not old_store
    swapped.set()
    thread.join(10)
    assert len(read) == 2 and len(read[0]) == 1 and len(read[1]) == 1
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):  # closed as the answer let go
        old_store.counts()


def test_a_missing_input_is_caught_by_its_old_name_too(qa_settings, tmp_path):
    # SourceNotFoundError is InputNotFoundError's old name, kept for callers that catch it.
    assert {"SourceNotFoundError", "InputNotFoundError"} <= set(qa.__all__)
    for caught in (qa.InputNotFoundError, qa.SourceNotFoundError):
        with pytest.raises(caught, match="input .*missing does not exist; check the path"):
            qa.add_articles([tmp_path / "missing"], qa_settings)
