"""app.py's coverage, export and feedback handlers, with qa's answers faked (no model).

The page-level behaviour (the chart drawn, the timeline shown, the download's contents, a
thumbs-up in the browser) is in tests/app/test_takeaway_browser.py.
"""

from __future__ import annotations

import uuid

import pytest

import app
from pages import chat
from webui import coverage, export, turns
import qa
from embeddings import build_index
from tests.fakes import FakeEmbedder
from tests.page_protocol import free_port, queue_event
from tests.fakes import FakeQA
from tests.webui import factories as f
from webui import WebSettings, feedback


def test_chat_turn_hands_over_the_checked_answer_once_before_showing_it(settings, fake):
    got, shown_before = [], []
    turn = chat.chat_turn("Who leads?", [], [], "", 5, "2026-01-01", "", ["Reuters"], settings=settings,
                         on_answer=lambda a, c: got.append((a, c)))
    for update in turn:
        shown_before.append(len(got))
    (answer, choice), = got
    assert answer.text == "Delcy Rodriguez took over [1]." and choice.k == 5
    assert choice.filters == qa.SearchFilters("2026-01-01", "", ("Reuters",))
    assert shown_before[-1] == 1 and shown_before[-2] == 0  # handed over just before the last repaint


def test_no_answer_no_record(settings, monkeypatch):
    monkeypatch.setattr(qa, "stream_answer", FakeQA([f.retrieved()], error=qa.InvalidInputError("bad")))
    got = []
    list(chat.chat_turn("q", [], [], "", 4, "", "", [], settings=settings, on_answer=lambda a, c: got.append(a)))
    assert got == []


def test_the_answer_record_names_the_message_and_the_index_generation(settings, monkeypatch):
    info = qa.IndexInfo(1, 2, "2026-11-28T03:15:12+00:00", "mini", "flat", (), "d", "gen-000004")
    monkeypatch.setattr(turns, "index_info", lambda s: info)
    from webui import forms

    choice = forms.read_search_form(settings, "", 3, "", "", [])
    record = turns.answered_turn(f.answer(), choice, 5, settings)
    assert record["message_index"] == 5 and record["settings"]["index_generation"] == "gen-000004"
    assert record["settings"]["k"] == 3


def test_save_feedback_appends_a_line_for_a_finished_answer_only(settings, monkeypatch):
    monkeypatch.setattr(turns, "index_info", lambda s: (_ for _ in ()).throw(qa.IndexNotFoundError("none")))
    from webui import forms

    record = turns.answered_turn(f.answer(), forms.read_search_form(settings, "", 4, "", "", []), 1, settings)
    assert record["settings"]["index_generation"] == ""  # unknown, still recorded
    assert feedback.save_feedback([record], 1, True, settings) == ""
    assert feedback.save_feedback([record], 0, True, settings) == "Only finished answers can be marked."
    (entry,) = feedback.read_feedback(settings.data_dir / "feedback.jsonl")
    assert entry["question"] == "Who leads?" and entry["rating"] == "up" and entry["answer_id"] == record["id"]


def test_export_view_gives_the_conversation_as_markdown(settings, monkeypatch):
    monkeypatch.setattr(turns, "index_info", lambda s: None)
    from webui import forms

    record = turns.answered_turn(f.answer(), forms.read_search_form(settings, "", 4, "", "", []), 1, settings)
    text = export.conversation_markdown([record])
    assert "## 1. Who leads?" in text and "- [1] **Venezuela looks to rebuild" in text
    assert export.conversation_markdown([]) == ""


def test_coverage_view_draws_dated_articles_and_is_quiet_without_an_index(settings, tmp_path):
    assert coverage.coverage_view(settings) == coverage.CoverageView(None, {}, "")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Bridge opens\n\nBy Baltic Courier\n2026-02-14\n\nThe bridge opened on Saturday "
                                  "after three years of work on both banks of the river.\n")
    (corpus / "b.txt").write_text("Undated note\n\nSomething happened somewhere, and people talked about it "
                                  "for a long while afterwards.\n")
    fake_settings = settings.replace(embedder="fake-embedder")
    build_index([corpus], fake_settings, embedder=FakeEmbedder(), progress=False)
    view = coverage.coverage_view(fake_settings)
    labels, summary = view.labels, view.summary
    assert view.columns == {"period": ["2026-02-14"], "source": ["Baltic Courier"], "articles": [1]}
    assert labels["label"] == "Articles per day, by source" and labels["x_title"] == "Day"
    assert labels["x_lim"] == [1771027200.0 - 86400, 1771027200.0 + 86400]  # 14 Feb 2026 00:00 UTC, ± a day
    assert "Feb 14, 2026" in summary and "1 article has no publish date" in summary


def test_a_thumbs_up_on_the_page_stores_the_question_answer_and_settings(settings, fake, monkeypatch):
    """The real app over HTTP, as the page speaks to it: ask, then the Chatbot's like event."""
    web = WebSettings(port=free_port())
    demo = app.build_app(settings, web)
    chatbot = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "nd-chat")
    ask_btn = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "nd-ask")
    ask_fn = next(d._id for d in demo.fns.values() if (ask_btn._id, "click") in d.targets)
    like_fn = next(d._id for d in demo.fns.values() if (chatbot._id, "like") in d.targets)
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    try:
        url, session = f"http://127.0.0.1:{web.port}", uuid.uuid4().hex
        queue_event(url, session, ask_fn, ["Who leads Venezuela?", None, None, settings.model, 7, "", "", [], None, "t1"])
        queue_event(url, session, like_fn, [None], {"index": 1, "value": ["…"], "liked": False})
        queue_event(url, session, like_fn, [None], {"index": 0, "value": ["…"], "liked": True})  # the question
    finally:
        demo.close()
    (entry,) = feedback.read_feedback(settings.data_dir / "feedback.jsonl")
    assert entry["rating"] == "down" and entry["question"] == "Who leads?"  # the (fake) answer's question
    assert entry["answer"]["text"] == "Delcy Rodriguez took over [1]."
    assert entry["answer"]["citations"][0]["quote"] == f.SEED_QUOTE
    assert entry["settings"]["k"] == 7 and entry["settings"]["model"] == settings.model
