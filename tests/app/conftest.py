"""Fixtures for the web app's tests (tests/app/): settings, a scripted ``qa.stream_answer``,
and, for the browser tests, headless Chromium and the real app over a copy of seeds/ with the
real 0.5B model (module-scoped: each browser module starts one)."""

from __future__ import annotations

import shutil

import pytest

import app
import qa
from pages import chat
from tests.app.browser import CHROMIUM, MODEL, REPO
from tests.fakes import FakeQA
from tests.page_protocol import free_port
from webui import WebSettings


@pytest.fixture
def settings(tmp_path):
    return qa.Settings.from_env({}, data_dir=tmp_path / "data", model=qa.MODEL_CHOICES[-1])


@pytest.fixture
def fake(monkeypatch):
    stream = FakeQA()
    monkeypatch.setattr(qa, "stream_answer", stream)
    monkeypatch.setattr(chat, "STREAM_EVERY_S", 0.0)
    return stream


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real app on a loopback port, over an index built from a copy of seeds/."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: run `make browser`")
    root = tmp_path_factory.mktemp("newsdesk")
    shutil.copytree(REPO / "seeds", root / "seeds")
    settings = qa.Settings.from_env({}, data_dir=root / "data", model=MODEL)
    web = WebSettings(port=free_port())
    qa.add_articles([root / "seeds"], settings)
    qa.warm_up(settings)  # as `python app.py` does: the first question pays no loading
    demo = app.build_app(settings, web)
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    yield f"http://127.0.0.1:{web.port}/", settings
    demo.close()


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update"])
        yield b
        b.close()
