"""app.py's handlers, with qa's functions replaced by fakes (no model, no index)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import threading
import uuid
from dataclasses import astuple
from pathlib import Path

import gradio as gr
import httpx
import pytest

import app
import webui
from pages import api, chat
from webui import indexing, render, turns
import qa
from tests.app.browser import running_app
from tests.page_protocol import queue_event
from tests.fakes import FakeQA
from tests.webui import factories as f
from webui import WebSettings


def run_turn(settings, question="Who leads Venezuela?", messages=(), history=(), model="", k=4,
             date_from="", date_to="", sources=()):
    return list(chat.chat_turn(question, list(messages), list(history), model, k, date_from, date_to,
                              list(sources), settings=settings))


def last_message(update) -> str:
    return update[1][-1]["content"]


def test_a_turn_streams_status_then_text_then_the_checked_answer(settings, fake):
    updates = run_turn(settings)
    assert updates[0][0] == "" and "Searching" in last_message(updates[0])
    assert updates[0][1][0] == {"role": "user", "content": '<div class="nd-q">Who leads Venezuela?</div>'}
    assert "Reading 2 passages from 2 articles" in last_message(updates[1])
    streamed = [last_message(u) for u in updates if "nd-streaming" in last_message(u)]
    assert len(streamed) >= 3 and "Delcy Rodriguez" in streamed[-1]
    final = updates[-1]
    assert 'class="nd-cite"' in last_message(final) and "nd-pending" not in last_message(final)
    assert final[2] == [["Who leads Venezuela?", "Delcy Rodriguez took over [1]."]]
    assert "Cited: 1 article" in final[3]
    assert len(final[1]) == 2  # one user and one assistant message


def test_the_final_answer_replaces_the_streamed_text(settings, monkeypatch):
    # The model streamed no marker; qa repaired it: the chat must show qa's text, not the stream.
    stream = FakeQA([f.retrieved(), "Rodriguez took over.", f.answer("Rodriguez took over [1].")])
    monkeypatch.setattr(qa, "stream_answer", stream)
    final = run_turn(settings)[-1]
    assert "Rodriguez took over " in last_message(final) and 'class="nd-cite"' in last_message(final)


def test_follow_ups_pass_the_conversation_as_history(settings, fake):
    first = run_turn(settings)[-1]
    run_turn(settings, "And when?", messages=first[1], history=first[2])
    assert fake.calls[0]["history"] is None
    assert fake.calls[1]["history"] == [("Who leads Venezuela?", "Delcy Rodriguez took over [1].")]
    assert fake.calls[1]["question"] == "And when?"


def test_history_is_capped_to_recent_turns(settings, fake):
    history = [[f"q{i}", f"a{i}"] for i in range(10)]
    run_turn(settings, history=history)
    assert fake.calls[0]["history"] == [(f"q{i}", f"a{i}") for i in range(10 - turns.HISTORY_TURNS, 10)]


def test_settings_reach_qa(settings, fake):
    run_turn(settings, model=qa.MODEL_CHOICES[0], k=7, date_from="2026-01-01", date_to="2026-01-31",
             sources=["Reuters"])
    call = fake.calls[0]
    assert call["k"] == 7
    assert call["settings"].model == qa.MODEL_CHOICES[0]
    assert call["filters"] == qa.SearchFilters("2026-01-01", "2026-01-31", ("Reuters",))


def test_no_filters_means_none(settings, fake):
    run_turn(settings)
    assert fake.calls[0]["filters"] is None and fake.calls[0]["settings"] == settings


def test_empty_question_changes_nothing(settings, fake):
    updates = run_turn(settings, "   ")
    assert len(updates) == 1 and updates[0][1] == [] and fake.calls == []


def test_bad_date_is_a_message_in_the_chat_and_qa_is_not_called(settings, fake):
    final = run_turn(settings, date_from="01/02/2026")[-1]
    assert "YYYY-MM-DD" in last_message(final) and "nd-error" in last_message(final)
    assert final[2] == [] and fake.calls == []


def test_unknown_model_is_a_message(settings, fake):
    assert "Unknown model" in last_message(run_turn(settings, model="gpt-9")[-1])


def test_expected_errors_show_their_message_and_the_chat_goes_on(settings, monkeypatch):
    monkeypatch.setattr(qa, "stream_answer", FakeQA([], error=qa.IndexNotFoundError(
        "no index in data/index yet: run `python -m embeddings build seeds`")))
    final = run_turn(settings)[-1]
    assert "no index in data/index yet" in last_message(final)
    assert final[2] == []  # a failed turn is not history
    monkeypatch.setattr(qa, "stream_answer", FakeQA())
    after = run_turn(settings, messages=final[1], history=final[2])[-1]
    assert len(after[1]) == 4 and after[2] == [["Who leads Venezuela?", "Delcy Rodriguez took over [1]."]]


def test_unexpected_errors_log_the_traceback_and_show_a_short_message(settings, monkeypatch, caplog):
    monkeypatch.setattr(qa, "stream_answer", FakeQA([f.retrieved(), "Half"], error=KeyError("boom")))
    with caplog.at_level(logging.ERROR, logger="newsdesk.app"):
        final = run_turn(settings)[-1]
    assert webui.GENERIC_ERROR.split(";")[0] in last_message(final)
    assert "KeyError" not in last_message(final) and "Traceback" not in last_message(final)
    assert any(r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)


def test_a_stream_without_an_answer_is_an_error_not_a_hang(settings, monkeypatch):
    monkeypatch.setattr(qa, "stream_answer", FakeQA([f.retrieved(), "text"]))
    assert "nd-error" in last_message(run_turn(settings)[-1])


def test_abstentions_show_related_reading(settings, monkeypatch):
    monkeypatch.setattr(qa, "stream_answer", FakeQA([qa.Retrieved((), "q"), f.abstention()]))
    final = run_turn(settings)[-1]
    assert "The articles don&#x27;t say." in last_message(final) or "The articles don't say." in last_message(final)
    assert "Related reading" in last_message(final) and "related reading" in final[3]


def test_stop_freezes_a_pending_answer_only(settings, fake):
    updates = run_turn(settings)
    pending = next(u for u in updates if "nd-streaming" in last_message(u))[1]
    stopped = render.stop_turn(pending)
    assert "Stopped." in stopped[-1]["content"] and "nd-pending" not in stopped[-1]["content"]
    done = updates[-1][1]
    assert render.stop_turn(done) == done
    assert render.stop_turn([]) == []


class PageSession:
    """One browser page's session on a running app, speaking Gradio's queue protocol as the
    page does (gradio_client refuses the page's private events, such as Ask)."""

    def __init__(self, base_url: str, demo: gr.Blocks, name: str):
        self.base_url, self.session = base_url, f"{name}-{uuid.uuid4().hex[:8]}"
        self.ask_fn, self.stop_fn = (click_fn(demo, button) for button in ("nd-ask", "nd-stop"))

    def event(self, fn_index: int, data: list) -> list:
        """Run one event; returns its outputs when it completes."""
        return queue_event(self.base_url, self.session, fn_index, data)

    def ask(self, question: str, model: str, ticket: str = "") -> str:
        """Ask as the Ask button does (the conversation and history are the session's, kept on the
        server: the page sends nothing for them, nor for the finished answers' records; the
        page's script adds a ticket); returns the chat's text as shown."""
        return chat_text(self.event(self.ask_fn, [question, None, None, model, 4, "", "", [], None,
                                                  ticket or uuid.uuid4().hex]))

    def stop(self, ticket: str) -> None:
        """Press Stop, as the page does for the question with this ticket (not queued)."""
        httpx.post(f"{self.base_url}/gradio_api/run/predict", timeout=10,
                   json={"data": [None, ticket], "fn_index": self.stop_fn, "session_hash": self.session}
                   ).raise_for_status()


def click_fn(demo: gr.Blocks, elem_id: str) -> int:
    (button,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
    (fn,) = [d._id for d in demo.fns.values() if (button._id, "click") in d.targets]
    return fn


def chat_text(outputs) -> str:
    return " ".join(part["text"] for message in outputs[1] for part in message["content"])


def test_each_page_session_keeps_its_own_conversation(settings, fake):
    with running_app(settings) as (url, demo):
        a, b = PageSession(url, demo, "a"), PageSession(url, demo, "b")
        a.ask("Question from A", settings.model)
        b.ask("Question from B", settings.model)
        chat_a = a.ask("And A's follow-up?", settings.model)
        chat_b = b.ask("And B's follow-up?", settings.model)
    assert "Question from A" in chat_a and "And A&#x27;s follow-up?" in chat_a and "from B" not in chat_a
    assert "Question from B" in chat_b and "And B&#x27;s follow-up?" in chat_b and "from A" not in chat_b
    histories = {call["question"]: call["history"] for call in fake.calls}
    assert histories["And A's follow-up?"] == [("Question from A", "Delcy Rodriguez took over [1].")]
    assert histories["And B's follow-up?"] == [("Question from B", "Delcy Rodriguez took over [1].")]


# --- API ---------------------------------------------------------------------------------

def test_api_answer_returns_the_answer_as_a_dict(settings, monkeypatch):
    calls = []

    def fake_answer(question, **kwargs):
        calls.append(kwargs)
        return f.answer()

    monkeypatch.setattr(qa, "answer", fake_answer)
    out = api.api_answer("Who leads?", settings, k=3, sources=["Reuters"], history=[["q", "a"]])
    expected = f.answer().to_dict()
    # server paths stay on the server (and would trip gradio_client)
    expected["passages"] = [{k: v for k, v in p.items() if k != "path"} for p in expected["passages"]]
    assert out == expected
    assert "path" not in str([list(p) for p in out["passages"]])
    assert out["citations"][0]["quote"] == f.SEED_QUOTE
    assert calls[0]["k"] == 3 and calls[0]["history"] == [("q", "a")]
    assert calls[0]["filters"].sources == ("Reuters",)


def test_api_answer_turns_expected_errors_into_gradio_errors(settings, monkeypatch):
    def fails(question, **kwargs):
        raise qa.InvalidInputError("the question is empty; ask something")

    monkeypatch.setattr(qa, "answer", fails)
    with pytest.raises(gr.Error, match="the question is empty"):
        api.api_answer("", settings)
    with pytest.raises(gr.Error, match="YYYY-MM-DD"):
        api.api_answer("q", settings, date_from="yesterday")


# --- the index panel and adding articles -------------------------------------------------

def test_index_view_explains_a_missing_index(settings, monkeypatch):
    def missing(s):
        raise qa.IndexNotFoundError("no index yet: run `make index`")

    monkeypatch.setattr(indexing, "index_info", missing)
    panel, sources, examples = astuple(indexing.index_view(settings))
    assert "no index yet" in panel and "upload files or paste" in panel
    assert sources == [] and examples == []


def test_index_view_survives_failing_examples(settings, monkeypatch):
    from qa.collection import IndexInfo

    info = IndexInfo(3, 9, "2026-01-01T00:00:00+00:00", "mini", "flat", ("Reuters", "AP"), "d")
    monkeypatch.setattr(indexing, "index_info", lambda s: info)
    monkeypatch.setattr(indexing, "example_questions", lambda s, n=4: 1 / 0)
    panel, sources, examples = astuple(indexing.index_view(settings))
    assert ">3<" in panel and sources == ["Reuters", "AP"] and examples == []


class FakeReport:
    def __init__(self, added):
        self.added, self.updated = added, []

    def summary(self):
        return f"{len(self.added)} added"


def test_add_files_stores_safely_and_indexes_only_stored_files(settings, monkeypatch, tmp_path):
    seen = {}

    def fake_add(paths, s, on_progress=None):
        seen["paths"] = list(paths)
        on_progress and on_progress(1, 1)
        return FakeReport([str(p) for p in paths])

    monkeypatch.setattr(indexing, "add_articles", fake_add)
    good = tmp_path / "upload" / "..%2F..%2Fstory.txt"
    good.parent.mkdir()
    good.write_text("Headline\n\nBody.")
    bad = tmp_path / "upload" / "virus.exe"
    bad.write_text("MZ")
    result = indexing.add_files([str(good), str(bad)], settings, upload_cache=tmp_path / "gradio")
    uploads_dir = settings.data_dir / "uploads"
    assert [p.parent for p in seen["paths"]] == [uploads_dir]
    assert result.ok and result.text.startswith("Added 1 article")
    assert "virus.exe" in result.text and "not a supported file type" in result.text


def test_add_files_reports_index_errors(settings, monkeypatch, tmp_path):
    def busy(paths, s, on_progress=None):
        raise qa.NewsdeskError("another build is running; try again in a minute")

    monkeypatch.setattr(indexing, "add_articles", busy)
    src = tmp_path / "a.txt"
    src.write_text("Headline\n\nBody.")
    failed = indexing.add_files([str(src)], settings, upload_cache=tmp_path / "gradio")
    assert not failed.ok and "another build is running" in failed.text
    assert indexing.add_files([], settings, upload_cache=tmp_path / "gradio") == indexing.IndexResult(False, "Choose one or more files first.")


def test_add_pasted_checks_the_date_and_the_headline(settings, monkeypatch):
    monkeypatch.setattr(indexing, "add_articles", lambda paths, s, on_progress=None: FakeReport(list(paths)))
    for refused, message in [(("Title", "", "March 3", "Body"), "YYYY-MM-DD"), (("", "", "", "Body"), "headline")]:
        result = indexing.add_pasted(*refused, settings)
        assert not result.ok and message in result.text
    result = indexing.add_pasted("Harbour festival", "Gazette", "2026-03-01", "It opens on 3 March.", settings)
    assert result.ok and result.text.startswith("Added 1 article")
    (stored,) = (settings.data_dir / "uploads").iterdir()
    assert stored.read_text().startswith("Harbour festival\n\nBy Gazette\n2026-03-01\n\nIt opens")


# --- command line ------------------------------------------------------------------------

def test_main_rejects_a_malformed_login(capsys):
    assert app.main(["--auth", "nopassword", "--no-warm-up"]) == 2
    assert "user:password" in capsys.readouterr().err


def test_main_passes_flags_over_environment(monkeypatch, tmp_path):
    built, launched = {}, {}
    monkeypatch.setenv("NEWSDESK_PORT", "9999")
    monkeypatch.setenv("NEWSDESK_HOST", "0.0.0.0")
    monkeypatch.setenv("NEWSDESK_UPLOAD_MAX_MB", "2.5")
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setattr(app, "build_app", lambda settings, web: built.update(settings=settings, web=web) or "demo")
    monkeypatch.setattr(app, "launch_app", lambda demo, web, **kw: launched.update(web=web))
    assert app.main(["--port", "8123", "--auth", "ann:pw", "--data-dir", str(tmp_path / "flag"),
                     "--no-warm-up"]) == 0
    web = launched["web"]
    assert built["web"] == web == WebSettings(host="0.0.0.0", port=8123, auth="ann:pw", upload_max_mb=2.5)
    assert built["settings"].data_dir == tmp_path / "flag"


def test_default_bind_is_loopback():
    assert WebSettings.from_env({}).host == "127.0.0.1"


def test_build_app_has_the_ask_endpoint(settings):
    demo = app.build_app(settings)
    names = [d.api_name for d in demo.fns.values()]
    assert "ask" in names
    ask = next(d for d in demo.fns.values() if d.api_name == "ask")
    assert ask.concurrency_limit == 1 and ask.concurrency_id == "answer"
    answering = [d for d in demo.fns.values() if d.concurrency_id == "answer"]
    assert len(answering) >= 3  # Enter, Ask and the example buttons share one queue slot
    assert all(d.concurrency_limit == 1 for d in answering)
    assert [d.api_name for d in demo.fns.values() if d.api_visibility != "private"] == ["ask"]


def test_python_app_py_runs_main_and_exits_with_its_code(tmp_path):
    # `python app.py` is how the README starts the chat: the script must reach main() and pass
    # its exit code on (a refused start, so no server and no model).
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(tmp_path)}
    env.pop("NEWSDESK_AUTH", None)
    run = subprocess.run([sys.executable, str(Path(app.__file__)), "--host", "0.0.0.0", "--no-warm-up"],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: refusing to serve on 0.0.0.0 without a login")


def test_an_abstention_under_filters_says_so(settings, monkeypatch):
    monkeypatch.setattr(qa, "stream_answer", FakeQA([qa.Retrieved((), "q"), f.abstention(related=())]))
    final = run_turn(settings, date_from="2026-02-01")[-1]
    assert "Searched only: Articles published on or after 2026-02-01" in last_message(final)


def test_one_passage_limit_for_the_slider_the_form_and_the_api(settings):
    from webui import api_args, forms

    demo = app.build_app(settings)
    (slider,) = [b for b in demo.blocks.values() if isinstance(b, gr.Slider)]
    assert slider.maximum == forms.MAX_K == forms.clamp_k(forms.MAX_K + 1, default=4)
    assert api_args.check_ask_args("q", k=forms.MAX_K).k == forms.MAX_K
    with pytest.raises(forms.FormError, match=f"1 to {forms.MAX_K} passages"):
        api_args.check_ask_args("q", k=forms.MAX_K + 1)
    ask = next(d for d in demo.fns.values() if d.api_name == "ask")
    assert f"1 to {forms.MAX_K}, or 0" in ask.fn.__doc__


def test_the_date_boxes_state_the_date_rule(settings):
    demo = app.build_app(settings)
    boxes = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) in ("nd-date-from", "nd-date-to")]
    assert len(boxes) == 2 and all(qa.DATE_RULE in b.info for b in boxes)


@pytest.mark.parametrize("added, cleared", [(["x.txt"], True), ([], False)])
def test_the_paste_form_is_cleared_only_when_an_article_was_added(settings, monkeypatch, added, cleared):
    monkeypatch.setattr(indexing, "add_articles", lambda paths, s, on_progress=None: FakeReport(added))
    demo = app.build_app(settings)
    (title,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "nd-paste-title"]
    (handler,) = [d for d in demo.fns.values() if d.inputs and d.inputs[0] is title]
    report, *boxes = handler.fn("Harbour festival", "Gazette", "2026-03-01", "It opens on 3 March.")
    assert report.startswith("Added 1 article" if cleared else "Nothing new was added")
    assert all(box == "" for box in boxes) if cleared else all(isinstance(box, type(gr.skip())) for box in boxes)


def test_model_server_flags_reach_the_settings(monkeypatch):
    monkeypatch.delenv("NEWSDESK_LLM_URL", raising=False)
    settings, _ = app.read_settings(app.parse_args(["--llm-url", "http://127.0.0.1:8080/v1", "--llm-model", "qwen"]))
    assert (settings.llm_url, settings.llm_model) == ("http://127.0.0.1:8080/v1", "qwen")


def test_a_question_too_long_to_answer_is_shown_cut_not_echoed_whole(settings):
    # The real qa.stream_answer refuses it; the chat shows its start and its length only.
    question = "Who leads Venezuela? " + "x" * 100_000
    updates = run_turn(settings, question=question)
    shown = updates[-1][1][0]["content"]
    assert len(shown) < 1_000 and "100,021 characters in all" in shown, shown[:300]
    assert "nd-error" in last_message(updates[-1]) and "characters long" in last_message(updates[-1])


def test_a_stopped_turn_ends_without_another_repaint(settings):
    cancel = threading.Event()
    events = [f.retrieved(f.passage(1)), "Delcy ", "Rodriguez"]

    def stream(question, **kwargs):
        assert kwargs["cancel"] is cancel  # the page's Stop reaches the model's loop
        yield events[0]
        yield events[1]
        cancel.set()  # Stop pressed mid-stream: qa ends the stream with no Answer
        yield events[2]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(qa, "stream_answer", stream)
        mp.setattr(chat, "STREAM_EVERY_S", 0.0)
        updates = list(chat.chat_turn("Who?", [], [], "", 4, "", "", [], settings=settings, cancel=cancel))
    assert not any("nd-error" in last_message(u) for u in updates)  # no "ended without an Answer"


class SlowQA:
    """A qa.stream_answer that streams a long answer slowly and honours ``cancel`` as qa does."""

    def __init__(self):
        self.started: list[str] = []

    def __call__(self, question, cancel=None, **kwargs):
        self.started.append(question)
        yield f.retrieved(f.passage(1))
        for i in range(500):
            if cancel is not None and cancel.is_set():
                return
            time.sleep(0.01)
            yield f"word{i} "
        yield f.answer("Delcy Rodriguez took over [1].")


def test_stop_ends_the_running_answer_itself_and_a_queued_one_never_starts(settings, monkeypatch):
    slow = SlowQA()
    monkeypatch.setattr(qa, "stream_answer", slow)
    monkeypatch.setattr(chat, "STREAM_EVERY_S", 0.0)
    with running_app(settings) as (url, demo):
        a, b = PageSession(url, demo, "a"), PageSession(url, demo, "b")
        out: dict = {}

        def ask(page, question, ticket):
            try:
                out[ticket] = page.ask(question, settings.model, ticket)
            except BaseException as exc:  # shown by the asserts below
                out[ticket] = exc

        running = threading.Thread(target=ask, args=(a, "First?", "ta"))
        running.start()
        deadline = time.monotonic() + 10
        while not slow.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert slow.started, out
        queued = threading.Thread(target=ask, args=(b, "Second?", "tb"))
        queued.start()  # waits: one answer at a time
        time.sleep(0.3)
        b.stop("tb")  # stopped while it waits in the queue
        a.stop("ta")  # stopped mid-stream
        running.join(10)
        queued.join(10)
        assert not running.is_alive() and not queued.is_alive(), "a stopped answer never ended"
        assert "Stopped." in out["ta"] and "word1" in out["ta"], out["ta"]
        assert slow.started == ["First?"]  # the queued question never ran
        a.stop("ta")  # Stop once more, with nothing running: harmless
        ask(a, "Third?", "tc")  # and the page asks again at once
        assert "Delcy Rodriguez" in out["tc"] and "Stopped." in out["tc"], out["tc"]  # both turns shown
