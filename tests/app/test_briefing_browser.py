"""The Briefing tab in a real browser: a real index of tests/story_news (three stories told by
several outlets), the real 0.5B model writing the summaries in the background, headless
Chromium. Run with ``pytest -m browser``."""

from __future__ import annotations

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")

import qa  # noqa: E402
from tests.story_news import write_corpus  # noqa: E402
from tests.app.browser import ARTIFACTS, MODEL, needs_chromium, open_accordion, open_page, screenshot, served  # noqa: E402

SUMMARY_TIMEOUT_MS = 600_000  # four stories, one 0.5B run each, on two cores shared with other jobs
HIT = "#nd-article #nd-article-hit"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    needs_chromium()
    root = tmp_path_factory.mktemp("newsdesk-briefing")
    write_corpus(root / "news")
    settings = qa.Settings.from_env({}, data_dir=root / "data", model=MODEL)
    qa.add_articles([root / "news"], settings)
    qa.warm_up(settings)
    with served(settings) as url:
        yield url, settings


def open_briefing(page) -> float:
    """Open the Briefing tab; the seconds until its first story shows (kept as an artifact)."""
    started = time.perf_counter()
    page.get_by_role("tab", name="Briefing").click()
    page.locator("#nd-briefing .nd-story").first.wait_for(timeout=60_000)
    seconds = time.perf_counter() - started
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "briefing-timing.txt").open("a") as fh:
        fh.write(f"Briefing tab opened to first story shown: {seconds:.2f} s\n")
    return seconds


def show_since(page, day: str, stories: int):
    page.fill("#nd-briefing-since textarea, #nd-briefing-since input", day)
    page.click("#nd-briefing-show")
    page.wait_for_function(f"document.querySelectorAll('#nd-briefing .nd-story').length === {stories}",
                           timeout=60_000)


def test_the_briefing_its_summaries_timeline_citations_and_ask(server, browser):
    url, _ = server
    page = open_page(browser, url)
    open_briefing(page)
    stories = page.locator("#nd-briefing .nd-story")
    # The collection is older than a day: by default, the stories of its newest day (Mar 5).
    assert stories.count() == 2
    assert "Portugal" in stories.first.locator(".nd-story-headline").inner_text()
    assert stories.first.locator(".nd-story-meta").inner_text().startswith("2 articles (1 new) · BBC, Reuters")
    show_since(page, "2026-03-02", 4)
    first = stories.first
    assert "Elbe" in first.locator(".nd-story-headline").inner_text()
    assert first.locator(".nd-story-meta").inner_text().startswith("3 articles · AP, BBC, Reuters")
    # Pending at first; the page looks again by itself until every summary is made.
    page.wait_for_function("document.querySelectorAll('#nd-briefing .nd-story').length === 4 && "
                           "!document.querySelector('#nd-briefing [data-status=\"pending\"]')",
                           timeout=SUMMARY_TIMEOUT_MS)
    screenshot(page, "briefing.png")
    ready = page.locator('#nd-briefing .nd-story[data-status="ready"]')
    assert ready.count() >= 2, page.locator("#nd-briefing").inner_text()

    # The timeline: every article of the story, newest first, each opening in the Article view.
    first.locator("details.nd-timeline-box summary").click()
    timeline = first.locator(".nd-story-timeline li")
    timeline.first.wait_for(state="visible")
    assert timeline.count() == 3
    assert [t.get_attribute("datetime") for t in first.locator(".nd-story-timeline time").all()] == \
        ["2026-03-04", "2026-03-03", "2026-03-02"]
    screenshot(page, "briefing-timeline.png")
    title = timeline.nth(2).locator("a.nd-open").inner_text()
    timeline.nth(2).locator("a.nd-open").click()
    page.wait_for_function("(t) => document.querySelector('#nd-article .nd-article-title')?.innerText === t",
                           arg=title, timeout=60_000)

    # A summary's [n]: its pop-up's title opens the cited article at the cited sentence.
    page.get_by_role("tab", name="Briefing").click()
    chip = ready.first.locator(".nd-cite").first
    chip.wait_for(state="visible")
    chip.click()
    pop_title = chip.locator("a.nd-open").first
    pop_title.wait_for(state="visible")
    cited_title = pop_title.inner_text()
    pop_title.click()
    page.wait_for_function("(t) => document.querySelector('#nd-article .nd-article-title')?.innerText === t",
                           arg=cited_title, timeout=60_000)
    page.locator(HIT).wait_for(state="visible")
    hit = page.locator(HIT).inner_text()
    assert hit and hit in page.locator("#nd-article .nd-article-text").inner_text()
    screenshot(page, "briefing-citation-article.png")

    # Ask about this story: the chat, its question and the story's dates filled in.
    page.get_by_role("tab", name="Briefing").click()
    first.locator("a.nd-story-ask").click()
    page.wait_for_function("document.querySelector('#nd-question textarea')?.value.startsWith("
                           "'What happened in this story:')", timeout=60_000)
    assert page.get_by_role("tab", name="Chat").get_attribute("aria-selected") == "true"
    open_accordion(page, "Search settings")
    assert page.locator("#nd-date-from textarea, #nd-date-from input").first.input_value() == "2026-03-02"
    assert page.locator("#nd-date-to textarea, #nd-date-to input").first.input_value() == "2026-03-04"
    chosen = page.locator(".token").all_inner_texts()  # the Sources filter's chips
    assert {"AP", "BBC", "Reuters"} <= {c.strip().rstrip("×").strip() for c in chosen}, chosen
    page.context.close()


def test_an_older_period_and_a_bad_date(server, browser):
    url, _ = server
    page = open_page(browser, url)
    open_briefing(page)
    show_since(page, "2026-02-01", 5)
    page.fill("#nd-briefing-since textarea, #nd-briefing-since input", "tomorrow")
    page.click("#nd-briefing-show")
    page.locator("#nd-briefing .nd-error").wait_for(timeout=60_000)
    assert "YYYY-MM-DD" in page.locator("#nd-briefing .nd-error").inner_text()
    page.context.close()
