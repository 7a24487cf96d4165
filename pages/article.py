"""The Article tab: the whole article behind a citation's or a search result's title, its
cited span highlighted and scrolled into view (``webui.reader``). One hidden, always-rendered
listener (``links_listener``) hears a click on any ``#nd-open?...`` link on the page."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

import qa
from webui import reader

from .search import SEARCH_COMMON


@dataclass
class ArticleTab:
    html: gr.HTML  # the whole article, scrolled to the cited span
    open_links: gr.HTML  # hidden; its script sends any "#nd-open?..." link clicked (webui.reader)


def links_listener() -> gr.HTML:
    """Place the hidden listener; call outside the tabs, so it is always rendered."""
    # Hidden (CSS), always rendered: its script hears a click on any article link on the page.
    return gr.HTML("", elem_id="nd-open-links", js_on_load=reader.OPEN_LINKS_JS)


def article_tab(open_links: gr.HTML) -> ArticleTab:
    """Place the Article tab; call inside the page's ``gr.Tabs``."""
    with gr.Tab("Article", id="article", elem_id="nd-tab-article"):
        html = gr.HTML(reader.ARTICLE_EMPTY, elem_id="nd-article", js_on_load=reader.REVEAL_JS)
    return ArticleTab(html, open_links)


def wire_article(a: ArticleTab, tabs: gr.Tabs, settings: qa.Settings) -> None:
    """A clicked title link fills the Article tab and shows it."""

    def on_open(evt: gr.EventData):  # the page's script sends {"link": "#nd-open?..."}; any client may send else
        data = evt._data if isinstance(evt._data, dict) else {}
        return reader.open_article(data.get("link"), settings), gr.Tabs(selected="article")

    a.open_links.click(on_open, None, [a.html, tabs], **SEARCH_COMMON)
