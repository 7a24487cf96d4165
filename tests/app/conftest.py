"""Fixtures for the web app's tests (tests/app/): settings, a scripted ``qa.stream_answer``,
and, for the browser tests, headless Chromium and the real app over a copy of seeds/ with the
real 0.5B model (module-scoped: each browser module starts one)."""

from __future__ import annotations

import shutil

import pytest

import qa
from pages import chat
from tests.app.browser import CHROMIUM, MODEL, REPO, needs_chromium, served
from tests.feeds.test_poll import serve_courier
from tests.feed_site import FeedSite
from tests.fakes import FakeQA


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
    needs_chromium()
    root = tmp_path_factory.mktemp("newsdesk")
    shutil.copytree(REPO / "seeds", root / "seeds")
    settings = qa.Settings.from_env({}, data_dir=root / "data", model=MODEL)
    qa.add_articles([root / "seeds"], settings)
    qa.warm_up(settings)  # as `python app.py` does: the first question pays no loading
    with served(settings) as url:
        yield url, settings


@pytest.fixture(scope="module")
def site():
    """A loopback news site serving the Baltic Courier feed and its pages."""
    with FeedSite() as site:
        serve_courier(site)
        yield site


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update"])
        yield b
        b.close()
