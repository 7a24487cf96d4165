"""Hostile use of the web app, one parametrized matrix per way in.

- the ``/ask`` API called with wrong types, through the real Gradio protocol (Gradio passes
  any JSON through to the function unchecked), answered by a fake ``qa.answer``;
- the server started on an address beyond loopback without a login;
- uploaded originals left in Gradio's upload cache, downloadable by URL.

Hostile file names and pasted headlines are ``webui.uploads``' own: tests/webui/test_uploads.py.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import app
import webui
import pages.api
from webui import indexing, turns
import qa
from tests.page_protocol import free_port
from tests.webui import factories as f
from webui import WebSettings
from webui.forms import FormError


# --- the /ask API with wrong types --------------------------------------------------------

class RecordingAnswer:
    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, question, **kwargs):
        self.calls.append({"question": question, **kwargs})
        return f.answer()


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """The real app on a loopback port with a fake ``qa.answer``, and a gradio_client for it."""
    from gradio_client import Client

    recorder = RecordingAnswer()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(qa, "answer", recorder)
        root = tmp_path_factory.mktemp("api")
        settings = qa.Settings.from_env({}, data_dir=root / "data", model=qa.MODEL_CHOICES[-1])
        web = WebSettings(port=free_port())
        demo = app.build_app(settings, web)
        app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
        try:
            yield Client(f"http://127.0.0.1:{web.port}/", verbose=False), recorder, settings
        finally:
            demo.close()


@pytest.mark.parametrize("kwargs, message", [
    ({"question": None}, "question must be text, not None"),
    ({"question": ["Who?"]}, "question must be text, not list"),
    ({"question": 42}, "question must be text, not int"),
    ({"model": 7}, "model must be a model name as text .* not int"),
    ({"model": ["qwen2.5-0.5b"]}, "model must be a model name as text .* not list"),
    ({"model": "gpt-9"}, "Unknown model"),
    ({"k": "abc"}, r"k must be a whole number of passages, 1 to 12 \(0 for the default\), not str"),
    ({"k": "4"}, "k must be a whole number .* not str"),
    ({"k": 2.5}, "k must be a whole number .* not float"),
    ({"k": True}, "k must be a whole number .* not bool"),
    ({"k": [4]}, "k must be a whole number .* not list"),
    ({"k": -1}, r"k must be 1 to 12 passages \(0 for the default\), not -1"),
    ({"k": 500}, "k must be 1 to 12 passages .* not 500"),
    ({"date_from": 3}, r"date_from must be a date as text, YYYY-MM-DD.* not int"),
    ({"date_to": ["2026-01-01"]}, "date_to must be a date as text.* not list"),
    ({"date_from": "yesterday"}, "date_from 'yesterday' is not a date; use YYYY-MM-DD, e.g. 2026-01-31"),
    ({"date_to": "2026-02-30"}, "date_to '2026-02-30' is not a real date"),
    ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "The date range is empty"),
    ({"sources": 5}, "sources must be a list of source names, not int"),
    ({"sources": "Reuters"}, "sources must be a list of source names, not str"),
    ({"sources": {"Reuters": 1}}, "sources must be a list of source names, not dict"),
    ({"sources": ["Reuters", 1]}, r"sources must be a list of source names, but sources\[1\] is int"),
    ({"sources": [None]}, r"sources\[0\] is None"),
    ({"history": "x"}, r"history must be a list of \[question, answer\] pairs, not str"),
    ({"history": {"q": "a"}}, r"history must be a list of \[question, answer\] pairs, not dict"),
    ({"history": [[1]]}, r"history\[0\] is a list of 1"),
    ({"history": [["q", "a", "extra"]]}, r"history\[0\] is a list of 3"),
    ({"history": [[1, 2]]}, r"history\[0\] is \[int, int\]"),
    ({"history": [["q", "a"], "qa"]}, r"history\[1\] is str"),
    ({"history": [["q", None]]}, r"history\[0\] is \[str, None\]"),
])
def test_ask_with_a_wrong_argument_names_it_and_what_it_should_be(api, kwargs, message):
    from gradio_client.exceptions import AppError

    client, recorder, _ = api
    before = len(recorder.calls)
    with pytest.raises(AppError, match=message) as info:
        client.predict(**{"question": "Who leads Venezuela?", **kwargs}, api_name="/ask")
    assert webui.GENERIC_ERROR not in str(info.value)
    assert len(recorder.calls) == before  # refused before qa was asked


@pytest.mark.parametrize("kwargs, expected", [
    ({}, {"k": 4, "filters": None, "history": None}),
    ({"k": 0, "model": "", "sources": [], "history": []}, {"k": 4, "filters": None, "history": None}),
    ({"k": None, "model": None, "date_from": None, "sources": None, "history": None},
     {"k": 4, "filters": None, "history": None}),
    ({"k": 7.0}, {"k": 7}),  # JSON has one number type
    ({"k": 12}, {"k": 12}),
    ({"sources": ["Reuters", "", "AP"]}, {"filters": qa.SearchFilters("", "", ("Reuters", "AP"))}),
    ({"date_from": " 2026-01-01 "}, {"filters": qa.SearchFilters("2026-01-01", "", ())}),
    ({"history": [["q", "a"], ("q2", "a2")]}, {"history": [("q", "a"), ("q2", "a2")]}),
    ({"history": [[f"q{i}", f"a{i}"] for i in range(9)]},
     {"history": [(f"q{i}", f"a{i}") for i in range(9 - turns.HISTORY_TURNS, 9)]}),
])
def test_ask_with_right_arguments_reaches_qa(api, kwargs, expected):
    client, recorder, _ = api
    result = client.predict(**{"question": "Who leads Venezuela?", **kwargs}, api_name="/ask")
    assert result["text"] == f.answer().text
    call = recorder.calls[-1]
    assert call["question"] == "Who leads Venezuela?"
    assert {key: call[key] for key in expected} == expected


def test_api_answer_refuses_wrong_types_without_gradio(settings, monkeypatch):
    # The same check for Python callers of api_answer, and no traceback in the log.
    monkeypatch.setattr(qa, "answer", RecordingAnswer())
    with pytest.raises(app.gr.Error, match="sources must be a list of source names, not int"):
        pages.api.api_answer("Who?", settings, sources=5)


# --- binding beyond loopback without a login ----------------------------------------------

class FakeDemo:
    def __init__(self):
        self.options = None

    def launch(self, **options):
        self.options = options


@pytest.fixture
def demo(monkeypatch):
    demo = FakeDemo()
    monkeypatch.setattr(app, "build_app", lambda settings, web: demo)
    for name in ("NEWSDESK_HOST", "NEWSDESK_AUTH", "GRADIO_SERVER_NAME"):
        monkeypatch.delenv(name, raising=False)
    return demo


EXPOSED = ["0.0.0.0", "::", "[::]", "192.168.1.20", "10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "example.com",
           "127.0.0.1.example.com", "127.1"]
LOOPBACK = ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "localhost", "LOCALHOST",
            "::ffff:127.0.0.1"]


@pytest.mark.parametrize("host", EXPOSED)
def test_an_exposed_bind_without_a_login_exits_2_naming_the_fix(demo, capsys, host):
    assert app.main(["--host", host, "--no-warm-up"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "--auth user:password" in err and host.strip("[]") in err
    assert demo.options is None


@pytest.mark.parametrize("env", [{"NEWSDESK_HOST": "0.0.0.0"}, {"NEWSDESK_HOST": "", "GRADIO_SERVER_NAME": "0.0.0.0"}])
def test_an_exposed_bind_from_the_environment_is_refused_too(demo, monkeypatch, capsys, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert app.main(["--no-warm-up"]) == 2
    assert "--auth user:password" in capsys.readouterr().err and demo.options is None


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_needs_no_login(demo, host):
    assert app.main(["--host", host, "--no-warm-up"]) == 0
    assert demo.options["server_name"] == host and demo.options["auth"] is None


@pytest.mark.parametrize("how", ["flag", "env"])
def test_an_exposed_bind_with_a_login_starts(demo, monkeypatch, how):
    monkeypatch.setenv("NEWSDESK_HOST", "0.0.0.0")
    if how == "env":
        monkeypatch.setenv("NEWSDESK_AUTH", "ann:pw")
    assert app.main(["--no-warm-up", *(["--auth", "ann:pw"] if how == "flag" else [])]) == 0
    assert demo.options["server_name"] == "0.0.0.0" and demo.options["auth"] == ("ann", "pw")


def test_insecure_no_auth_starts_with_a_loud_warning(demo, caplog):
    with caplog.at_level(logging.WARNING, logger="newsdesk.app"):
        assert app.main(["--host", "0.0.0.0", "--insecure-no-auth", "--no-warm-up"]) == 0
    assert demo.options["server_name"] == "0.0.0.0" and demo.options["auth"] is None
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "WITHOUT A LOGIN" in warning.getMessage() and "0.0.0.0" in warning.getMessage()


def test_a_refused_start_loads_no_model(demo, monkeypatch):
    monkeypatch.setattr(qa, "warm_up", lambda s: pytest.fail("warmed up before refusing"))
    assert app.main(["--host", "0.0.0.0"]) == 2


def test_launch_app_itself_refuses_an_exposed_bind():
    # Python callers that skip main() get the same check.
    demo = FakeDemo()
    with pytest.raises(FormError, match="--auth user:password"):
        app.launch_app(demo, WebSettings(host="0.0.0.0"))
    with pytest.raises(FormError, match="without a login"):
        app.launch_app(demo, WebSettings(), server_name="0.0.0.0")
    assert demo.options is None
    app.launch_app(demo, WebSettings(host="0.0.0.0"), insecure_no_auth=True)
    assert demo.options["server_name"] == "0.0.0.0"


# --- uploaded originals left in Gradio's cache --------------------------------------------

class FakeReport:
    def __init__(self, added):
        self.added, self.updated = added, []

    def summary(self):
        return f"{len(self.added)} added"


@pytest.fixture
def gradio_cache(tmp_path, monkeypatch):
    cache = tmp_path / "gradio"
    cache.mkdir()
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(cache))
    return cache


def cached(cache: Path, name: str, text: str = "Headline\n\nBody.") -> Path:
    """A file where Gradio keeps an upload: in a folder named by its hash."""
    path = cache / f"{abs(hash(name)):x}" / name
    path.parent.mkdir()
    path.write_text(text)
    return path


@pytest.mark.parametrize("outcome", ["indexed", "index failed"])
def test_add_files_deletes_stored_and_refused_originals_from_the_upload_cache(settings, monkeypatch, gradio_cache,
                                                                              outcome):
    def add(paths, s, on_progress=None):
        if outcome == "index failed":
            raise qa.NewsdeskError("another build is running; try again in a minute")
        return FakeReport(list(paths))

    monkeypatch.setattr(indexing, "add_articles", add)
    good, refused = cached(gradio_cache, "story.txt"), cached(gradio_cache, "virus.exe", "MZ")
    result = indexing.add_files([str(good), str(refused)], settings, upload_cache=gradio_cache)
    assert "virus.exe" in result.text
    assert not good.exists() and not refused.exists()
    assert not good.parent.exists() and not refused.parent.exists()  # Gradio's per-upload folders
    assert gradio_cache.is_dir()
    (stored,) = (settings.data_dir / "uploads").iterdir()
    assert stored.read_text() == "Headline\n\nBody."


def test_add_files_never_deletes_files_outside_the_upload_cache(settings, monkeypatch, gradio_cache, tmp_path):
    monkeypatch.setattr(indexing, "add_articles", lambda paths, s, on_progress=None: FakeReport(list(paths)))
    mine = tmp_path / "mine"
    mine.mkdir()
    passed = mine / "story.txt"
    passed.write_text("Headline\n\nBody.")
    refused = mine / "notes.exe"
    refused.write_text("MZ")
    dotdot = gradio_cache / ".." / "mine" / "story.txt"  # looks inside, is not
    link = gradio_cache / "abc" / "link.txt"
    link.parent.mkdir()
    link.symlink_to(passed)
    indexing.add_files([str(passed), str(refused), str(dotdot), str(link)], settings, upload_cache=gradio_cache)
    assert passed.read_text() == "Headline\n\nBody." and refused.exists() and link.is_symlink()
    assert len(list((settings.data_dir / "uploads").iterdir())) == 3


def test_the_file_box_is_cleared_after_adding(settings, monkeypatch, gradio_cache):
    monkeypatch.setattr(indexing, "add_articles", lambda paths, s, on_progress=None: FakeReport(list(paths)))
    demo = app.build_app(settings)
    (files_box,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "nd-files"]
    (handler,) = [d for d in demo.fns.values() if d.inputs == [files_box]]
    assert files_box in handler.outputs
    for given in ([str(cached(gradio_cache, "story.txt"))], [str(cached(gradio_cache, "x.exe", "MZ"))], None):
        values = dict(zip(handler.outputs, handler.fn(given), strict=True))
        assert values[files_box] is None
