"""webui.watchlist: the saved-search panel (escaped, lit when something is new) and saving."""

from __future__ import annotations

import importlib

from qa import Alert, Watch
from webui import watchlist

module = importlib.import_module("webui.watchlist")
XSS = '<img src=x onerror="alert(1)">'


def test_the_panel_escapes_and_lights_the_searches_with_new_articles_first(settings, monkeypatch):
    quiet = Watch("q1", "quiet words", created="2026-03-01T00:00:00+00:00")
    lit = Watch("w2", f"flood {XSS}", sources=(f"BBC {XSS}",), created="2026-03-02T00:00:00+00:00",
                unseen=(Alert("a9", f"Elbe {XSS}", "DW", "2026-03-05", "javascript:alert(2)", 0.9, "now"),))
    monkeypatch.setattr(module, "list_watches", lambda settings: [quiet, lit])
    html = watchlist.panel(settings)
    assert "<img" not in html and "javascript:" not in html
    assert html.index('data-watch="w2"') < html.index('data-watch="q1"')
    assert 'class="nd-watch nd-watch-lit" data-watch="w2" data-new="1"' in html
    assert "1 new since you last looked" in html and "nothing new" in html
    assert 'href="#nd-open?a=a9"' in html


def test_no_saved_searches_says_how_to_make_one(settings):
    assert watchlist.panel(settings) == watchlist.EMPTY


def test_saving_without_an_index_or_words_says_why(settings):
    assert "Not saved:" in watchlist.save("", "", "", [], settings)
    assert "Not saved: no index" in watchlist.save("flood", "", "", [], settings)
    assert "Not saved:" in watchlist.save("flood", "2026-02-30", "", [], settings)
