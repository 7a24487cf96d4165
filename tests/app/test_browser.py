"""The web chat in a real browser: real index (a copy of seeds/), real 0.5B model, headless Chromium.

Each real answer costs seconds of CPU, so the module starts one app and asks only a handful
of questions. Run with ``pytest -m browser``; needs /usr/bin/chromium (``make browser``).
"""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

playwright_api = pytest.importorskip("playwright.sync_api")

from tests.app.browser import (ANSWER_TIMEOUT_MS, BRIDGE_ARTICLE, FINISHED, XSS_BODY, XSS_IMG, XSS_SCRIPT,  # noqa: E402
                               XSS_TITLE, ask, finished_count, open_accordion, open_page, screenshot, wait_answer)


def record_streaming(page):
    """Keep every distinct text the streaming answer shows, as the DOM changes."""
    page.evaluate("""() => {
        window.__snaps = [];
        window.__status = [];
        const chat = document.querySelector('#nd-chat');
        const keep = (list, t) => { if (t && list[list.length - 1] !== t) list.push(t); };
        new MutationObserver(() => {
            chat.querySelectorAll('.nd-status').forEach(el => keep(window.__status, el.innerText.trim()));
            const s = chat.querySelectorAll('.nd-streaming .nd-text');
            if (s.length) keep(window.__snaps, s[s.length - 1].innerText.trim());
        }).observe(chat, {subtree: true, childList: true, characterData: true});
    }""")


@pytest.fixture(scope="module")
def answered(server, browser):
    """One page that asked the seed question; shared by the tests that inspect the answer."""
    url, _ = server
    page = open_page(browser, url)
    record_streaming(page)
    n = ask(page, "Who became Venezuela's interim leader?")
    answer = wait_answer(page, n)
    yield SimpleNamespace(page=page, answer=answer, streamed=page.evaluate("window.__snaps"),
                          statuses=page.evaluate("window.__status"))
    page.context.close()


def test_answer_streams_in_and_names_the_leader_with_a_citation(answered):
    page, answer, snaps = answered.page, answered.answer, answered.streamed
    final = answer.inner_text()
    assert "nd-error" not in (answer.get_attribute("class") or ""), final
    assert re.search(r"Delcy Rodr[ií]guez", final), final
    assert answer.locator(".nd-cite").count() >= 1
    # The text grew while streaming: a shorter version was on screen before the final one.
    assert len(snaps) >= 2, snaps
    assert any(len(s) < len(snaps[-1]) and snaps[-1].startswith(s[:5]) for s in snaps[:-1]), snaps
    # Before the first word: "reading N passages" once retrieval was done.
    assert any(re.fullmatch(r"Reading \d+ passages? from 1 article…", t) for t in answered.statuses), \
        answered.statuses
    # The sources panel lists the cited article.
    panel = page.locator("#nd-sources").inner_text()
    assert "Cited: 1 article" in panel and "Venezuela looks to rebuild diplomatic ties with US" in panel


def test_clicking_a_marker_reveals_the_passage_with_the_quote_highlighted(answered):
    page, answer = answered.page, answered.answer
    chip = answer.locator(".nd-cite").first
    pop = chip.locator(".nd-pop")
    assert not pop.is_visible()
    chip.click()
    pop.wait_for(state="visible")
    quote = pop.locator("mark.nd-quote")
    assert quote.is_visible()
    assert re.search(r"Delcy Rodr[ií]guez", quote.inner_text())
    text = pop.inner_text()
    assert "Venezuela looks to rebuild diplomatic ties with US" in text
    assert "Reuters" in text and "Jan 10, 2026" in text
    screenshot(page, "chat.png")
    # Focus elsewhere (and the pointer away) closes it; hovering opens it again.
    page.mouse.move(0, 0)
    page.locator("#nd-question textarea").focus()
    pop.wait_for(state="hidden")
    chip.hover()
    pop.wait_for(state="visible")
    page.mouse.move(0, 0)
    # The footnote under the answer opens on click, too.
    footnote = answer.locator("details.nd-fn").first
    assert not footnote.locator("mark.nd-quote").is_visible()
    footnote.locator("summary").click()
    assert footnote.locator("mark.nd-quote").is_visible()


def test_uploaded_article_can_be_asked_about_right_away(server, browser, tmp_path):
    url, settings = server
    page = open_page(browser, url)
    open_accordion(page, "Index")
    article = tmp_path / "Torun bridge (final).txt"
    article.write_text(BRIDGE_ARTICLE)
    page.locator("#nd-files input[type=file]").set_input_files(str(article))
    page.wait_for_function("(el => !el.innerText.includes('Uploading') && el.innerText.includes('Torun bridge'))"
                           "(document.querySelector('#nd-files'))", timeout=120_000)
    # Where Gradio keeps the original: anyone with this URL can download it while it is there.
    original_url = page.locator("#nd-files a[href*='file=']").first.evaluate("a => a.href")
    assert page.request.get(original_url).ok, original_url
    page.click("#nd-add-files")
    page.wait_for_function("document.querySelector('#nd-report textarea').value.startsWith('Added 1 article')",
                           timeout=ANSWER_TIMEOUT_MS)
    stored = [p.name for p in (settings.data_dir / "uploads").iterdir()]
    assert any(re.fullmatch(r"\d{8}-\d{6}-[0-9a-f]{8}-torun-bridge-final\.txt", name) for name in stored), stored
    original = Path(unquote(original_url.split("file=", 1)[1]))
    assert not original.exists() and not page.request.get(original_url).ok, original
    page.wait_for_function("!document.querySelector('#nd-files').innerText.includes('Torun bridge')")
    page.wait_for_function("document.querySelector('#nd-index').innerText.includes('Reuters, Baltic Courier') || "
                           "document.querySelector('#nd-index').innerText.includes('Baltic Courier')")
    answer = wait_answer(page, ask(page, "How much did the glass footbridge in Torun cost?"))
    assert "48 million" in answer.inner_text(), answer.inner_text()
    assert "Glass footbridge opens over the Vistula in Torun" in page.locator("#nd-sources").inner_text()
    screenshot(page, "upload.png")
    page.context.close()


def test_article_markup_renders_as_inert_text(server, browser):
    url, _ = server
    page = open_page(browser, url)
    open_accordion(page, "Index")
    page.get_by_role("tab", name="Paste text").click()
    page.fill("#nd-paste-title textarea, #nd-paste-title input", XSS_TITLE)
    page.fill("#nd-paste-body textarea", XSS_BODY)
    page.click("#nd-add-text")
    page.wait_for_function("document.querySelector('#nd-report textarea').value.startsWith('Added 1 article')",
                           timeout=ANSWER_TIMEOUT_MS)
    answer = wait_answer(page, ask(page, "When does the Kelvik harbour festival open?"))
    assert "nd-error" not in (answer.get_attribute("class") or ""), answer.inner_text()
    cites = answer.locator(".nd-cite")
    # The passage behind a citation holds the markup too: with no citation, half the check is gone.
    assert cites.count() >= 1, answer.inner_text()
    cites.first.click()
    cites.first.locator(".nd-pop").wait_for(state="visible")
    assert page.evaluate("window.__xss") is None
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("[...document.scripts].some(s => s.textContent.includes('__xss'))") is False
    shown = page.locator("#nd-chat").inner_text() + page.locator("#nd-sources").inner_text()
    assert XSS_SCRIPT in shown, shown  # the title, as text, in the sources or related reading
    assert XSS_IMG in cites.first.locator(".nd-pop").inner_text()
    time.sleep(0.5)  # an onerror handler would have fired by now
    assert page.evaluate("window.__xss") is None
    screenshot(page, "inert-markup.png")
    page.context.close()


STREAMING = "#nd-chat .nd-streaming.nd-pending .nd-text"


def stop_mid_answer(page, attempts: int = 3):
    """Ask, and press Stop while the answer streams in (words on screen, not finished);
    returns the stopped answer. A short answer can finish between the words showing and the
    click reaching the server: then ask again. A Stop that never acts still fails."""
    stopped = page.locator("#nd-chat .nd-answer", has=page.locator(".nd-timing", has_text="Stopped."))
    for _ in range(attempts):
        n = ask(page, "What did the Venezuelan government say about diplomatic ties with the United States?")
        page.wait_for_function(f"document.querySelector({STREAMING!r})?.innerText.trim() || "
                               f"document.querySelectorAll({FINISHED!r}).length >= {n}", timeout=ANSWER_TIMEOUT_MS)
        if finished_count(page) >= n:
            continue  # finished before Stop could be pressed
        page.click("#nd-stop")
        page.wait_for_function(f"document.querySelectorAll({FINISHED!r}).length >= {n}", timeout=ANSWER_TIMEOUT_MS)
        if stopped.count():
            return stopped
    raise AssertionError(f"no answer was stopped in {attempts} tries: each finished first, or Stop did nothing")


def test_stop_mid_answer_then_this_page_and_another_are_answered(server, browser):
    url, _ = server
    page = open_page(browser, url)
    stopped = stop_mid_answer(page)
    partial = stopped.locator(".nd-text").inner_text()
    assert partial.strip(), "stopped before any words"
    time.sleep(1.5)  # a repaint from the cancelled answer would land by now
    assert page.locator("#nd-chat .nd-pending, #nd-chat .nd-caret, #nd-chat .nd-fn").count() == 0
    assert stopped.locator(".nd-text").inner_text() == partial
    assert page.locator("#nd-question textarea").is_editable()
    screenshot(page, "stopped.png")

    # The model is free again: a question from this page and one from another page, side by side.
    other = open_page(browser, url)
    n_page = ask(page, "Who became Venezuela's interim leader?")
    n_other = ask(other, "Who is the interim president of Venezuela?")
    for p, n in ((page, n_page), (other, n_other)):
        answer = wait_answer(p, n)
        assert "nd-error" not in (answer.get_attribute("class") or ""), answer.inner_text()
        assert re.search(r"Rodr[ií]guez", answer.inner_text()), answer.inner_text()
        assert answer.locator(".nd-cite").count() >= 1, answer.inner_text()
    assert stopped.locator(".nd-text").inner_text() == partial  # the stopped answer stays as it was
    page.context.close()
    other.context.close()


# A turn that has ended, however: answered, an error, or stopped (before or after words).
SETTLED = f"{FINISHED}, #nd-chat .nd-status:not(.nd-pending)"
# Where a Stop can land, as what the page shows (a JS condition): each is waited for (or the
# turn's end, whichever is first), then a random jitter.
def _shows(selector: str, text: str = "") -> str:
    return f"[...document.querySelectorAll({selector!r})].some(e => e.innerText.trim() && e.innerText.includes({text!r}))"


STOP_MOMENTS = {
    "retrieval": "true",  # at once: the question was just sent (or is still queued)
    "prefill": _shows("#nd-chat .nd-status.nd-pending", "Reading"),  # the model reads its prompt
    "mid-stream": _shows(STREAMING),
    "at the end": "false",  # the answer has just finished: Stop must do no harm
}
STRESS_STOPS = 20
STRESS_BOUND_MS = 60_000  # a stopped turn settles, and a later answer comes, well within this


def wait_or_explain(page, condition: str, why, timeout_ms: int = STRESS_BOUND_MS) -> None:
    try:
        page.wait_for_function(condition, timeout=timeout_ms)
    except playwright_api.TimeoutError:
        chat = page.locator("#nd-chat").inner_html()
        box = page.locator("#nd-question textarea").input_value()
        raise AssertionError(f"the chat is stuck ({why}); question box {box!r}; the chat's end: {chat[-1200:]}") from None


def settle(page, why) -> None:
    """Nothing pending in the chat: the turn ended (answered, stopped, failed), or was stopped
    before it started (queued, or Stop landed as it began: the chat shows nothing of it)."""
    wait_or_explain(page, "!document.querySelector('#nd-chat .nd-pending')", why)


def last_answer(page, question: str, why):
    """The finished answer to ``question``, the chat's last turn: counting answers could count
    a stopped turn's repaint that lands late."""
    turn_end = "#nd-chat .nd-answer, #nd-chat .nd-error, #nd-chat .nd-status"
    wait_or_explain(page, f"""(() => {{
        const asked = [...document.querySelectorAll('#nd-chat .nd-q')].pop();
        const end = [...document.querySelectorAll({turn_end!r})].pop();
        return asked && asked.innerText.includes({question!r}) && end && !end.matches('.nd-pending, .nd-status')
            && (asked.compareDocumentPosition(end) & Node.DOCUMENT_POSITION_FOLLOWING);
    }})()""", why, timeout_ms=ANSWER_TIMEOUT_MS)
    return page.locator(turn_end).last


def stop_at(page, n: int, moment: str, rng, why) -> None:
    wait_or_explain(page, f"document.querySelectorAll({SETTLED!r}).length >= {n} || {STOP_MOMENTS[moment]}",
                    f"waiting to stop {moment}; {why}")
    time.sleep(rng.uniform(0, 0.3))
    page.click("#nd-stop")


def test_twenty_stops_at_random_moments_from_two_pages_then_both_are_answered(server, browser):
    url, _ = server
    seed = time.time_ns() % 1_000_000
    rng = random.Random(seed)
    pages = [open_page(browser, url), open_page(browser, url)]
    moments = [*STOP_MOMENTS] * (STRESS_STOPS // len(STOP_MOMENTS))
    rng.shuffle(moments)
    done = []
    for i in range(0, STRESS_STOPS, 2):  # both pages ask, then each is stopped: one waits in the queue
        asked = [(page, page.locator(SETTLED).count() + 1) for page in pages]
        for page, _ in asked:
            page.fill("#nd-question textarea", rng.choice(["Who became Venezuela's interim leader?",
                                                           "What did the Venezuelan government say about ties "
                                                           "with the United States?"]))
            page.click("#nd-ask")
        for (page, n), moment in zip(asked, moments[i:i + 2]):
            stop_at(page, n, moment, rng, f"seed {seed}, page {pages.index(page)}, stops so far: {done}")
            done.append(moment)
            settle(page, f"seed {seed}, stops so far: {done}")
            assert page.locator("#nd-chat .nd-pending").count() == 0, (seed, done)
    assert len(done) == STRESS_STOPS
    # Free for both pages, in bounded time, with real, cited answers.
    final = "Who is the interim president of Venezuela?"
    for page in pages:
        settle(page, f"seed {seed}, before the last question")
        page.fill("#nd-question textarea", final)
        page.click("#nd-ask")
    for page in pages:
        answer = last_answer(page, final, f"seed {seed}, the last question")
        assert "nd-error" not in (answer.get_attribute("class") or ""), (seed, answer.inner_text())
        assert re.search(r"Rodr[ií]guez", answer.inner_text()), (seed, answer.inner_text())
        assert answer.locator(".nd-cite").count() >= 1, (seed, answer.inner_text())
    for page in pages:
        page.context.close()


def test_two_pages_get_their_own_answers(server, browser):
    url, _ = server
    a, b = open_page(browser, url), open_page(browser, url)
    qa_, qb = "Who became Venezuela's interim leader?", "Who is the interim president of Venezuela?"
    na = ask(a, qa_)
    nb = ask(b, qb)
    answer_a, answer_b = wait_answer(a, na), wait_answer(b, nb)
    chat_a, chat_b = a.locator("#nd-chat").inner_text(), b.locator("#nd-chat").inner_text()
    assert qa_ in chat_a and qb not in chat_a
    assert qb in chat_b and qa_ not in chat_b
    for answer in (answer_a, answer_b):
        assert "nd-error" not in (answer.get_attribute("class") or ""), answer.inner_text()
        assert re.search(r"Rodr[ií]guez", answer.inner_text()), answer.inner_text()
    screenshot(b, "second-session.png")
    a.context.close()
    b.context.close()


def test_bad_filter_is_a_message_in_the_chat_and_the_chat_keeps_working(server, browser):
    url, _ = server
    page = open_page(browser, url)
    open_accordion(page, "Search settings")
    page.fill("#nd-date-from input, #nd-date-from textarea", "01/02/2026")
    page.get_by_text("is not a date; use YYYY-MM-DD").first.wait_for()  # hint under the boxes
    error = wait_answer(page, ask(page, "Who became Venezuela's interim leader?"))
    assert "nd-error" in error.get_attribute("class")
    assert "YYYY-MM-DD" in error.inner_text() and "Traceback" not in error.inner_text()
    assert page.locator("#nd-question textarea").input_value() == ""
    assert page.locator("#nd-question textarea").is_editable()
    page.context.close()


def test_gradio_client_gets_the_answer_as_json(server):
    from gradio_client import Client

    url, _ = server
    client = Client(url, verbose=False)
    result = client.predict("Who became Venezuela's interim leader?", api_name="/ask")
    assert re.search(r"Rodr[ií]guez", result["text"]), result
    assert result["citations"] and result["citations"][0]["quote"] in result["citations"][0]["passage"]
    assert result["passages"] and result["abstained"] is False and result["model"]
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        client.predict("Who?", date_from="last week", api_name="/ask")
