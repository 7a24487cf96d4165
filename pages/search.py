"""The Search tab: the articles that mention some words, best match or newest first, within
the Search settings' dates and sources (``webui.reader.search_page``; no model runs)."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

import qa
from webui import reader

from .filters import Filters

# Searches at once across sessions: no model runs, each is a few index look-ups.
SEARCH_COMMON = dict(concurrency_limit=4, concurrency_id="search", api_visibility="private", show_progress="minimal")


@dataclass
class SearchTab:
    query: gr.Textbox
    btn: gr.Button
    newest: gr.Checkbox
    html: gr.HTML


def search_tab() -> SearchTab:
    """Place the Search tab; call inside the page's ``gr.Tabs``."""
    with gr.Tab("Search", id="search", elem_id="nd-tab-search"):
        with gr.Row(equal_height=True):
            query = gr.Textbox(show_label=False, placeholder="Search the articles: a name, a place, "
                               "a phrase…", scale=8, lines=1, max_lines=1, container=False,
                               elem_id="nd-search-query")
            btn = gr.Button("Search", variant="primary", scale=0, min_width=90, elem_id="nd-search")
        newest = gr.Checkbox(False, label="Newest first (else best match first)", elem_id="nd-search-newest")
        html = gr.HTML(reader.SEARCH_EMPTY, elem_id="nd-search-results")
    return SearchTab(query, btn, newest, html)


def wire_search(s: SearchTab, f: Filters, settings: qa.Settings) -> None:
    """Search on Enter or the button; the order box re-sorts what was searched."""

    def on_search(query, d1, d2, srcs, newest):
        return reader.search_page(query, d1, d2, srcs, settings, newest_first=newest)

    inputs = [s.query, f.date_from, f.date_to, f.sources, s.newest]
    for trigger in (s.query.submit, s.btn.click):
        trigger(on_search, inputs, s.html, **SEARCH_COMMON)

    def on_order(query, *rest):  # re-sort what was searched; nothing to say before a search
        return on_search(query, *rest) if (query or "").strip() else gr.skip()

    s.newest.input(on_order, inputs, s.html, **SEARCH_COMMON)
