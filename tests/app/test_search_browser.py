"""Search and the whole article in a real browser: real index (seeds/ and two more articles),
real 0.5B model for the one answer, headless Chromium. Run with ``pytest -m browser``."""

from __future__ import annotations

import re
import shutil

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")

import qa  # noqa: E402
from tests.app.browser import (MODEL, REPO, XSS_IMG, XSS_SCRIPT, ask, needs_chromium, open_page,  # noqa: E402
                               screenshot, served, wait_answer)

SEED_TITLE = "Venezuela looks to rebuild diplomatic ties with US"
LIGHTHOUSE_TITLE = "Storm season ends at the Osterfeld light"
LIGHTHOUSE_LINE = "The Osterfeld lighthouse keeper, Maren Quist, logged 412 storms in her last winter."
# A long article whose matching sentence lies far below the first screen: opening it must scroll.
LIGHTHOUSE = (f"{LIGHTHOUSE_TITLE}\n\nBy North Sea Gazette\n2026-01-20\n\n"
              + "\n\n".join(f"Paragraph {i} of the coastal report describes tides, ferries and harbour works "
                            f"along the northern shore in some detail, as the local council asked." for i in range(60))
              + f"\n\n{LIGHTHOUSE_LINE} The light will be automated in the spring.\n")
XSS_TITLE = f"Kelvik harbour festival {XSS_SCRIPT}{XSS_IMG}"
XSS_ARTICLE = {"title": XSS_TITLE, "publish_date": "2026-02-01", "url": "javascript:alert(1)",
               "text": f"The Kelvik harbour festival opens on 3 March. {XSS_SCRIPT} Organisers expect 40,000 "
                       f"visitors to the harbour. {XSS_IMG} The festival ends with fireworks over the old harbour."}
HIT = "#nd-article #nd-article-hit"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    needs_chromium()
    import json

    root = tmp_path_factory.mktemp("newsdesk-search")
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root / "seeds" / "lighthouse.txt").write_text(LIGHTHOUSE)
    (root / "seeds" / "kelvik.jsonl").write_text(json.dumps(XSS_ARTICLE) + "\n")
    settings = qa.Settings.from_env({}, data_dir=root / "data", model=MODEL)
    qa.add_articles([root / "seeds"], settings)
    qa.warm_up(settings)
    with served(settings) as url:
        yield url, settings


RESULTS = "#nd-search-results :is(.nd-results, .nd-error, .nd-panel-empty)"  # not Gradio's progress text


def search(page, words: str):
    """Search as a user does; returns what the results panel shows once this search's results are in."""
    page.get_by_role("tab", name="Search").click()
    before = page.evaluate("(sel) => document.querySelector(sel)?.outerHTML || ''", RESULTS)
    page.fill("#nd-search-query textarea, #nd-search-query input", words)
    page.click("#nd-search")
    page.wait_for_function("([sel, before]) => (document.querySelector(sel)?.outerHTML || before) !== before",
                           arg=[RESULTS, before], timeout=60_000)
    return page.locator(RESULTS).first


def in_viewport(page, selector: str) -> bool:
    return page.evaluate("""(sel) => {
        const r = document.querySelector(sel).getBoundingClientRect();
        return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    }""", selector)


def wait_article(page, title: str):
    page.wait_for_function("(t) => document.querySelector('#nd-article .nd-article-title')?.innerText === t",
                           arg=title, timeout=60_000)
    page.locator(HIT).wait_for(state="visible")
    page.wait_for_function(f"""() => {{
        const r = document.querySelector({HIT!r}).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; }}""", timeout=10_000)


def test_search_lists_articles_with_marked_terms_and_a_result_opens_scrolled_to_its_passage(server, browser):
    url, _ = server
    page = open_page(browser, url)
    results = search(page, "Osterfeld lighthouse keeper")
    first = results.locator(".nd-result").first
    assert first.locator(".nd-result-title").inner_text() == LIGHTHOUSE_TITLE
    marked = [m.lower() for m in first.locator("mark").all_inner_texts()]
    assert {"osterfeld", "lighthouse", "keeper"} <= set(marked), marked
    assert "Maren Quist" in first.locator(".nd-result-passage").inner_text()
    assert "North Sea Gazette" in first.locator(".nd-result-meta").inner_text()
    screenshot(page, "search.png")

    first.locator("a.nd-open").click()
    wait_article(page, LIGHTHOUSE_TITLE)
    assert page.get_by_role("tab", name="Article").get_attribute("aria-selected") == "true"
    assert page.locator(HIT).inner_text() == LIGHTHOUSE_LINE
    text = page.locator("#nd-article .nd-article-text").inner_text()
    assert "Paragraph 0 of the coastal report" in text and "automated in the spring" in text  # the whole article
    # It is far down the article: the page scrolled to it.
    assert page.evaluate(f"document.querySelector({HIT!r}).getBoundingClientRect().top + window.scrollY") > 1000
    assert in_viewport(page, HIT)
    screenshot(page, "article-from-search.png")

    # Back to the results: they are still there; a word no article holds finds nothing.
    assert search(page, "xylophone quasar").inner_text().startswith("No article matches “xylophone quasar”")
    assert "the search is empty" in search(page, "   ").inner_text()
    page.context.close()


def test_a_citation_title_opens_the_article_at_the_cited_sentence(server, browser):
    url, _ = server
    page = open_page(browser, url)
    answer = wait_answer(page, ask(page, "Who became Venezuela's interim leader?"))
    assert re.search(r"Delcy Rodr[ií]guez", answer.inner_text()), answer.inner_text()
    cited_quote = page.locator("#nd-sources .nd-src-quote").first.inner_text()
    page.locator("#nd-sources a.nd-open").first.click()
    wait_article(page, SEED_TITLE)
    hit = page.locator(HIT).inner_text()
    assert " ".join(hit.split()) == " ".join(cited_quote.split()), (hit, cited_quote)
    assert in_viewport(page, HIT)
    assert "Cited as [1]" in page.locator("#nd-article").inner_text()
    screenshot(page, "article-from-citation.png")

    # The footnote under the answer (inside the chat's sanitised HTML) opens it too.
    page.evaluate("document.querySelector('#nd-article').querySelector('.nd-article-title').innerText = ''")
    page.get_by_role("tab", name="Chat").click()
    footnote = page.locator("#nd-chat details.nd-fn").first
    footnote.locator("summary").click()
    footnote.locator("a.nd-open", has_text="Read the whole article").click()
    wait_article(page, SEED_TITLE)
    page.context.close()


def test_a_hostile_article_opens_as_inert_text(server, browser):
    url, _ = server
    page = open_page(browser, url)
    results = search(page, "Kelvik harbour festival")
    first = results.locator(".nd-result").first
    assert XSS_SCRIPT in first.inner_text()
    first.locator("a.nd-open").click()
    page.wait_for_function("document.querySelector('#nd-article .nd-article-title')?.innerText.includes('Kelvik')",
                           timeout=60_000)
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page.evaluate("window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0
    shown = page.locator("#nd-article").inner_text()
    assert XSS_SCRIPT in shown and XSS_IMG in shown
    assert page.locator("#nd-article a[href^='javascript']").count() == 0
    page.context.close()
