"""Coverage at a glance and taking answers away, in a real browser: real index (a copy of
seeds/), real 0.5B model, headless Chromium (the setup of tests/app/test_browser.py).

One app for the module; one real answer (the seed question), shared by the tests that
inspect it. Run with ``pytest -m browser``; needs /usr/bin/chromium (``make browser``).
"""

from __future__ import annotations

import io
import json
import re
import time
from types import SimpleNamespace

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")

from tests.app.browser import (ANSWER_TIMEOUT_MS, ask, open_accordion, open_page, screenshot,  # noqa: E402
                               wait_answer)

SEED_QUESTION = "Who became Venezuela's interim leader?"
SEED_TITLE = "Venezuela looks to rebuild diplomatic ties with US"
PLOT_DRAWN = "#nd-coverage-plot canvas, #nd-coverage-plot svg"


def drawn_bars(plot) -> int:
    """How many bars the chart's canvas shows: runs of pixel columns with a tall stretch of
    colour (the legend's swatches are too short to count)."""
    from PIL import Image

    image = Image.open(io.BytesIO(plot.screenshot())).convert("RGB")
    width, height = image.size
    pixels = image.load()

    def coloured(x):
        return sum(max(pixels[x, y]) - min(pixels[x, y]) > 60 for y in range(height)) > 20

    columns = [coloured(x) for x in range(width)]
    return sum(1 for x in range(width) if columns[x] and (x == 0 or not columns[x - 1]))


@pytest.fixture(scope="module")
def answered(server, browser):
    url, settings = server
    page = open_page(browser, url)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    answer = wait_answer(page, ask(page, SEED_QUESTION))
    yield SimpleNamespace(page=page, answer=answer, settings=settings)
    page.context.close()


def test_index_panel_charts_coverage_with_dates_and_follows_added_articles(server, browser):
    url, _ = server
    page = open_page(browser, url)
    open_accordion(page, "Index")
    page.locator(PLOT_DRAWN).first.wait_for(timeout=30_000)
    summary = page.locator("#nd-coverage")
    summary.get_by_text("Newest").wait_for()
    text = summary.inner_text()
    assert "Jan 10, 2026 (1 article that day)" in text and "Oldest" in text, text
    assert "One bar per day" in text
    box = page.locator("#nd-coverage-plot").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 120, box
    time.sleep(1)  # the chart draws itself in a moment
    assert drawn_bars(page.locator("#nd-coverage-plot")) == 1
    screenshot(page, "coverage.png")

    # A pasted article from another day: the chart and its dates follow.
    page.get_by_role("tab", name="Paste text").click()
    page.fill("#nd-paste-title textarea, #nd-paste-title input", "Glass footbridge opens in Torun")
    page.get_by_label("Published (optional)").fill("2026-02-14")
    page.fill("#nd-paste-body textarea", "Torun opened a glass footbridge over the Vistula river on Saturday. "
                                         "The 310-metre bridge cost 48 million zloty and took three years to build.")
    page.click("#nd-add-text")
    page.wait_for_function("document.querySelector('#nd-report textarea').value.startsWith('Added 1 article')",
                           timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_function("document.querySelector('#nd-coverage').innerText.includes('Feb 14, 2026')",
                           timeout=60_000)
    text = summary.inner_text()
    assert "Newest" in text and "Feb 14, 2026" in text and "Jan 10, 2026" in text, text
    page.locator(PLOT_DRAWN).first.wait_for()
    time.sleep(1)
    assert drawn_bars(page.locator("#nd-coverage-plot")) == 2  # the new source's bar too
    screenshot(page, "coverage-after-add.png")
    page.context.close()


def test_the_answer_shows_when_its_articles_appeared(answered):
    answer = answered.answer
    assert re.search(r"Delcy Rodr[ií]guez", answer.inner_text()), answer.inner_text()
    strip = answer.locator(".nd-tl")
    strip.wait_for()
    assert "Cited" in strip.locator(".nd-tl-h").inner_text()
    assert "Jan 10, 2026" in strip.inner_text()
    dot = strip.locator(".nd-tl-dot.nd-tl-cited").first
    assert dot.is_visible() and re.fullmatch(r"\d+(,\d+)*", dot.inner_text())
    assert SEED_TITLE in dot.get_attribute("title")
    box = dot.bounding_box()
    track = strip.locator(".nd-tl-track").bounding_box()
    assert box and track and track["x"] <= box["x"] <= track["x"] + track["width"], (box, track)
    screenshot(answered.page, "timeline.png")


def test_download_and_copy_give_the_conversation_as_markdown(answered):
    page = answered.page
    download = page.locator("#nd-download")
    page.wait_for_function("!document.querySelector('#nd-download button, button#nd-download')?.disabled",
                           timeout=30_000)
    with page.expect_download() as info:
        download.click()
    saved = info.value
    assert saved.suggested_filename.endswith(".md"), saved.suggested_filename
    text = open(saved.path(), encoding="utf-8").read()
    assert f"## 1. {SEED_QUESTION}" in text, text
    assert re.search(r"Delcy Rodr[ií]guez", text) and re.search(r"\[\d+\]", text)
    assert f"**{SEED_TITLE}**. Reuters, Jan 10, 2026." in text, text
    assert re.search(r"^  > .*Rodr[ií]guez", text, re.MULTILINE), text  # the quoted sentence

    page.click("#nd-copy")
    deadline = time.monotonic() + 10
    copied = ""
    while time.monotonic() < deadline and not copied:
        copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == text.strip()

    open_accordion(page, "Conversation as Markdown")  # the same text, to read before taking it
    shown = page.locator("#nd-export-md")
    shown.get_by_text(f"## 1. {SEED_QUESTION}").wait_for()
    assert "References:" in shown.inner_text()
    screenshot(page, "takeaway.png")


def test_a_thumbs_up_is_stored_with_the_question(answered):
    page, settings = answered.page, answered.settings
    path = settings.data_dir / "feedback.jsonl"
    before = path.read_text().count("\n") if path.exists() else 0
    message = page.locator("#nd-chat .message-row, #nd-chat [data-testid='bot']").filter(
        has=page.locator(".nd-answer")).last
    message.hover()
    page.locator("#nd-chat").get_by_role("button", name="Like").last.click()
    deadline = time.monotonic() + 20
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) > before:
            break
        time.sleep(0.2)
    assert len(lines) == before + 1, lines
    entry = json.loads(lines[-1])
    assert entry["rating"] == "up" and entry["question"] == SEED_QUESTION
    assert entry["answer"]["citations"] and entry["settings"]["model"] == "qwen2.5-0.5b"
    assert entry["settings"]["index_generation"].startswith("gen-")
    screenshot(page, "thumbs-up.png")
