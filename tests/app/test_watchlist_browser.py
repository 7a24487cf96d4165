"""Saved searches in a real browser: a search saved in the Search tab lights up with the new
article after a feed on a real loopback news site is added and polled in the page.

The embedder is the FakeEmbedder (the app runs in this process) and no answer is asked, so
this test needs no model. Run with ``pytest -m browser``; needs /usr/bin/chromium.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")  # before the imports that need it

import embeddings.build  # noqa: E402
import embeddings.index  # noqa: E402
import qa  # noqa: E402

from tests.fakes import FakeEmbedder  # noqa: E402
from tests.feed_site import LOOPBACK, feed_env  # noqa: E402
from tests.story_news import write_corpus  # noqa: E402
from tests.app.browser import needs_chromium, open_accordion, screenshot, served  # noqa: E402

TIMEOUT_MS = 60_000
QUERY = "electric ferry island service"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    needs_chromium()
    patch = pytest.MonkeyPatch()
    fake = FakeEmbedder(dim=64)
    patch.setattr(embeddings.build, "get_embedder", lambda *a, **kw: fake)
    patch.setattr(embeddings.index, "get_embedder", lambda *a, **kw: fake)
    root = tmp_path_factory.mktemp("newsdesk-watch")
    feed_env(patch, feed_host_delay_s=0.1, feed_allow_networks=LOOPBACK)
    settings = qa.Settings.from_env({}, data_dir=root / "data", embedder="fake-embedder", chunk_tokens=40,
                                    chunk_overlap_tokens=10)
    write_corpus(root / "news")
    qa.add_articles([root / "news"], settings)
    with served(settings) as url:
        yield url, settings
    patch.undo()


def test_a_saved_search_lights_up_after_a_feed_poll(server, browser, site):
    url, settings = server
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.goto(url)
    page.wait_for_selector("#nd-question textarea")
    page.get_by_role("tab", name="Search").click()
    page.fill("#nd-search-query textarea, #nd-search-query input", QUERY)
    page.click("#nd-search")
    page.click("#nd-watch-save")
    page.wait_for_function("document.querySelector('#nd-watch-saved')?.innerText.includes('Saved')",
                           timeout=TIMEOUT_MS)
    assert "0 articles match it now" in page.locator("#nd-watch-saved").inner_text()
    page.wait_for_function("document.querySelector('#nd-watches .nd-watch')?.innerText.includes('nothing new')",
                           timeout=TIMEOUT_MS)

    # Saving the same search again is refused, saying so.
    page.click("#nd-watch-save")
    page.wait_for_function("document.querySelector('#nd-watch-saved')?.innerText.includes('saved already')",
                           timeout=TIMEOUT_MS)

    # A feed is added and polled in the page: its ferry article matches the saved search.
    open_accordion(page, "Index")
    page.get_by_role("tab", name="Feeds").click()
    page.locator("#nd-feed-url textarea, #nd-feed-url input").first.fill(site.url("/rss.xml"))
    page.click("#nd-feed-add")
    page.wait_for_function("document.querySelector('#nd-report textarea').value.startsWith('polled 1 feed in ')",
                           timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="Search").click()
    lit = page.locator("#nd-watches .nd-watch-lit")
    lit.wait_for(timeout=TIMEOUT_MS)
    assert "1 new" in lit.inner_text() and "Electric ferry starts island service" in lit.inner_text()
    assert "Glass footbridge" not in lit.inner_text()  # the other new article does not match
    lit.scroll_into_view_if_needed()
    screenshot(page, "saved-search-lit.png")

    # Its article opens in the Article view; "Mark all as seen" puts the light out.
    lit.locator("a.nd-open").first.click()
    page.wait_for_function("document.querySelector('#nd-article .nd-article-title')?.innerText === "
                           "'Electric ferry starts island service'", timeout=TIMEOUT_MS)
    page.get_by_role("tab", name="Search").click()
    page.click("#nd-watch-seen")
    page.wait_for_function("!document.querySelector('#nd-watches .nd-watch-lit') && "
                           "document.querySelector('#nd-watches .nd-watch')?.innerText.includes('nothing new')",
                           timeout=TIMEOUT_MS)
    assert qa.list_watches(settings)[0].unseen == ()
    page.context.close()
