"""The Feeds tab in a real browser: the real app (on a fresh data directory) and a real
loopback news site; a feed added in the page is listed, polled and indexed, then removed.

The embedder is the FakeEmbedder (the app runs in this process), so this test needs no
model; ``tests/feeds/test_cli.py`` polls with the real one. Run with
``pytest -m browser``; needs /usr/bin/chromium (``make browser``).
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")  # before the imports that need it

import embeddings.build  # noqa: E402
import qa  # noqa: E402

from tests.fakes import FakeEmbedder  # noqa: E402
from tests.feed_site import LOOPBACK, feed_env  # noqa: E402
from tests.app.browser import needs_chromium, open_accordion, screenshot, served  # noqa: E402

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    needs_chromium()
    patch = pytest.MonkeyPatch()
    patch.setattr(embeddings.build, "get_embedder", lambda *a, **kw: FakeEmbedder())
    root = tmp_path_factory.mktemp("newsdesk-feeds")
    feed_env(patch, feed_host_delay_s=0.1, feed_allow_networks=LOOPBACK)  # the test site; nothing else inside
    settings = qa.Settings.from_env({}, data_dir=root / "data", embedder="fake-embedder", chunk_tokens=40,
                                    chunk_overlap_tokens=10)
    with served(settings) as url:
        yield url, settings
    patch.undo()


def report_starts(page, text: str) -> None:
    page.wait_for_function(f"document.querySelector('#nd-report textarea').value.startsWith({text!r})",
                           timeout=TIMEOUT_MS)


def test_a_feed_added_in_the_page_is_listed_polled_and_removed(server, browser, site):
    url, settings = server
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.goto(url)
    page.wait_for_selector("#nd-question textarea")
    open_accordion(page, "Index")
    page.get_by_role("tab", name="Feeds").click()
    page.wait_for_function("document.querySelector('#nd-feeds').innerText.includes('No feeds yet')",
                           timeout=TIMEOUT_MS)
    box = page.locator("#nd-feed-url textarea, #nd-feed-url input").first

    box.fill("file:///etc/passwd")  # refused with the reason, nothing listed
    page.click("#nd-feed-add")
    report_starts(page, "Not added: only http:// and https:// feed URLs are fetched")
    assert "No feeds yet" in page.locator("#nd-feeds").inner_text()

    box.fill("http://169.254.169.254/latest/meta-data/")  # inside the network: refused, naming the setting
    page.click("#nd-feed-add")
    report_starts(page, "Not added: refused: 169.254.169.254 is a link-local address; Newsdesk does not fetch "
                        "from inside the network unless NEWSDESK_FEED_ALLOW_NETWORKS lists it")
    assert "No feeds yet" in page.locator("#nd-feeds").inner_text()

    feed = site.url("/rss.xml")
    box.fill(feed)
    page.click("#nd-feed-add")
    # Listed at once, then polled: the feed's title, 2 new items, the articles indexed.
    page.wait_for_function(f"document.querySelector('#nd-feeds').innerText.includes({feed!r})", timeout=TIMEOUT_MS)
    page.wait_for_function("document.querySelector('#nd-feeds').innerText.includes('Baltic Courier')",
                           timeout=TIMEOUT_MS)
    report_starts(page, "polled 1 feed in ")
    report = page.locator("#nd-report textarea").input_value()
    assert "2 new articles, 0 failed" in report and "+ Glass footbridge opens in Torun" in report
    assert box.input_value() == ""  # cleared for the next one
    row = page.locator("#nd-feeds tr.nd-feed").first
    assert row.locator("td").nth(2).inner_text().strip() == "2"
    page.wait_for_function("document.querySelector('#nd-index').innerText.includes('Baltic Courier')",
                           timeout=TIMEOUT_MS)
    assert qa.index_info(settings).articles == 2 and qa.index_info(settings).sources == ("Baltic Courier",)
    screenshot(page, "feeds_tab.png")

    # Poll now: the feed answers 304 (the page sent nothing but the validators it had).
    page.click("#nd-feed-poll")
    page.wait_for_function("document.querySelector('#nd-report textarea').value.includes('not modified')",
                           timeout=TIMEOUT_MS)
    assert site.hits("/rss.xml")[-1].status == 304

    # Remove it: chosen in the menu, gone from the list; its articles stay indexed.
    page.locator("#nd-feed-remove-choice input").click()
    page.get_by_role("option", name=feed).click()
    page.click("#nd-feed-remove")
    report_starts(page, f"Stopped following {feed}; the 2 articles indexed from it stay")
    page.wait_for_function("document.querySelector('#nd-feeds').innerText.includes('No feeds yet')",
                           timeout=TIMEOUT_MS)
    screenshot(page, "feeds_tab_removed.png")
