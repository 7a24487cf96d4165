"""What the browser tests share: where Chromium and the artifacts are, the model they ask,
markup that must stay inert, and steps on a page (open it, ask, wait for the answer, open an
accordion, take a screenshot). Their fixtures (``browser``, ``server``) are in conftest.py."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
MODEL = "qwen2.5-0.5b"
ANSWER_TIMEOUT_MS = 240_000  # two shared CPU cores; the queue may hold another page's answer first
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_IMG = '<img src=x onerror="window.__xss=2">'
FINISHED = "#nd-chat .nd-answer:not(.nd-pending), #nd-chat .nd-error"

BRIDGE_ARTICLE = """Glass footbridge opens over the Vistula in Torun

By Baltic Courier
2026-02-14

Torun opened a glass footbridge over the Vistula river on Saturday. The 310-metre bridge cost 48 million zloty and took three years to build, the city's mayor, Anna Kowalczyk, said.

About 12,000 people crossed the bridge on its first day. Cyclists must dismount on the glass section.
"""

XSS_TITLE = f"Kelvik harbour festival {XSS_SCRIPT}{XSS_IMG}"
XSS_BODY = (f"The Kelvik harbour festival opens on 3 March and runs for a week. {XSS_SCRIPT} "
            f"Organisers expect 40,000 visitors to the harbour. {XSS_IMG} "
            "The festival ends with fireworks over the old harbour.")


def open_page(browser, url):
    """A fresh page in its own context: its own Gradio session."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#nd-question textarea")
    page.locator("#nd-examples button").first.wait_for()  # the page-load event has run
    return page


def finished_count(page) -> int:
    return page.locator(FINISHED).count()


def ask(page, question: str):
    """Type and send a question; returns how many finished answers to wait for."""
    before = finished_count(page)
    page.fill("#nd-question textarea", question)
    page.click("#nd-ask")
    return before + 1


def wait_answer(page, n: int):
    page.wait_for_function(f"document.querySelectorAll({FINISHED!r}).length >= {n}", timeout=ANSWER_TIMEOUT_MS)
    return page.locator(FINISHED).nth(n - 1)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def open_accordion(page, label: str):
    page.locator("button.label-wrap", has_text=label).click()


def needs_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium: run `make browser`")


@contextlib.contextmanager
def running_app(settings):
    """The real app for ``settings`` on a free loopback port; yields its root (no slash) and Blocks."""
    import app
    from tests.page_protocol import free_port
    from webui import WebSettings

    web = WebSettings(port=free_port())
    demo = app.build_app(settings, web)
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{web.port}", demo
    finally:
        demo.close()


@contextlib.contextmanager
def served(settings):
    """The real app for ``settings`` on a free loopback port; yields its URL."""
    with running_app(settings) as (root, _):
        yield root + "/"
