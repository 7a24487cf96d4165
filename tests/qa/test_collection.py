import json

import pytest

from qa.collection import example_questions
from tests.fakes import CannedGenerator


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
