"""The page's Search and Article tabs, wired: components, and the events over Gradio's real
queue protocol (qa's search and article replaced by fakes: no model, no index)."""

from __future__ import annotations

import uuid

import pytest

import app
import qa
from tests.page_protocol import free_port, queue_event
from webui import WebSettings, reader, render

TEXT = "Caracas, Jan 10.\n\nHis vice president, Delcy Rodriguez, took over as interim leader. More <b>news</b>."
QUOTE = "His vice president, Delcy Rodriguez, took over as interim leader."
ARTICLE = qa.ArticleText("a1", "Venezuela looks to rebuild ties", "Reuters", "2026-01-10", "", "/srv/v.txt", TEXT)


def by_id(demo, elem_id):
    (block,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id]
    return block


def fn_of(demo, block, event: str) -> int:
    (fn,) = [d._id for d in demo.fns.values() if (block._id, event) in d.targets]
    return fn


def test_the_page_has_chat_search_and_article_tabs_and_keeps_the_chat_ids(settings):
    demo = app.build_app(settings)
    tabs = by_id(demo, "nd-tabs")
    assert [(c.label, c.id) for c in tabs.children] == [("Chat", "chat"), ("Briefing", "briefing"), ("Search", "search"),
                                                        ("Article", "article")]
    # Only tabs directly inside: a Timer or State there made Gradio 6's tab bar repeat one tab's
    # button and lose another's (pages/briefing.py makes them in its wire function instead).
    for elem_id in ("nd-chat", "nd-question", "nd-ask", "nd-stop", "nd-new", "nd-sources", "nd-date-from",
                    "nd-date-to", "nd-search-query", "nd-search", "nd-search-newest", "nd-search-results"):
        by_id(demo, elem_id)
    assert reader.HIT_ID in by_id(demo, "nd-article").js_on_load
    # Outside the tabs, so rendered from the start: its script listens for article links.
    links = by_id(demo, "nd-open-links")
    assert reader.LINK_PREFIX in links.js_on_load and links.parent is demo
    # Search and opening articles are page events only (the API stays /ask alone), never in
    # the answer queue: a search does not wait for an answer to finish.
    for fn in (fn_of(demo, by_id(demo, "nd-search"), "click"), fn_of(demo, links, "click")):
        assert demo.fns[fn].api_visibility == "private" and demo.fns[fn].concurrency_id == "search"


def test_search_then_open_a_result_over_the_real_queue(settings, monkeypatch):
    searched = []

    def fake_search(query, **kwargs):
        searched.append((query, kwargs["filters"]))
        hit = qa.SearchHit("a1", ARTICLE.title, "Reuters", "2026-01-10", "", "/srv/v.txt", 0.9,
                           "…took over as interim leader.", ((14, 21), (22, 28)), QUOTE, TEXT.index(QUOTE),
                           TEXT.index(QUOTE) + len(QUOTE), 1, 1)
        return qa.SearchResults(query, (hit,), ("interim", "leader"), 0.01)

    monkeypatch.setattr(reader, "search", fake_search)
    monkeypatch.setattr(reader, "article", lambda article_id, settings: ARTICLE)
    web = WebSettings(port=free_port())
    demo = app.build_app(settings, web)
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    try:
        url, session = f"http://127.0.0.1:{web.port}", f"s-{uuid.uuid4().hex[:8]}"
        (results,) = queue_event(url, session, fn_of(demo, by_id(demo, "nd-search"), "click"),
                               ["interim leader", "2026-01-01", "", [], False])  # source choices come with on_load
        link = next(a for a in results.split('"') if a.startswith(reader.LINK_PREFIX.replace("?", "")))
        article_fn = fn_of(demo, by_id(demo, "nd-open-links"), "click")
        shown, tabs = queue_event(url, session, article_fn, [], {"link": link.replace("&amp;", "&")})
        refused, _ = queue_event(url, session, article_fn, [], {"link": "javascript:alert(1)"})
        nothing, _ = queue_event(url, session, article_fn, [], None)
    finally:
        demo.close()
    assert searched == [("interim leader", qa.SearchFilters("2026-01-01", "", ()))]
    assert '<mark class="nd-term">interim</mark>' in results
    assert f'id="{reader.HIT_ID}" class="nd-quote nd-article-hit">His vice president' in shown
    assert "More &lt;b&gt;news&lt;/b&gt;." in shown and "/srv" not in shown
    assert tabs.get("selected") == "article", tabs
    assert "does not open an article" in refused and "does not open an article" in nothing


def test_a_citation_title_in_the_sources_panel_is_an_open_link():
    from tests.webui import factories as f

    html = render.sources_panel(f.answer())
    link = next(a for a in html.split('"') if a.startswith("#nd-open"))
    request = reader.parse_open_link(link.replace("&amp;", "&"))
    assert (request.article_id, request.quote, request.n) == ("a1", f.SEED_QUOTE, 1)
