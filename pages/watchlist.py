"""Saved searches, beside the tabs: "Save this search" and the panel of saved searches with
their new articles (``WatchPanel``, ``watch_panel``, ``wire_watchlist``). The HTML and the
handlers are ``webui.watchlist``'s, free of gradio."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

import qa
from webui import watchlist

REFRESH_S = 30  # the panel reads the saved searches again this often (a background poll may have lit one)


@dataclass
class WatchPanel:
    save_btn: gr.Button
    saved: gr.HTML  # what saving said
    panel: gr.HTML
    seen_btn: gr.Button
    remove_id: gr.Textbox
    remove_btn: gr.Button


def watch_panel() -> WatchPanel:
    """Place the saved searches; call in the page's side column (beside the tabs, so a search
    that lights up is seen from any tab). "Save this search" saves the Search tab's words
    with the dates and sources of Search settings."""
    # Beside the tabs rather than in the Search tab: any component added under the Search
    # results made Gradio 6's tab bar show the Search button twice and lose Article's.
    with gr.Accordion("Saved searches", open=True, elem_id="nd-watch-box"):
        panel = gr.HTML(watchlist.EMPTY, elem_id="nd-watches")
        save_btn = gr.Button("Save this search", size="sm", elem_id="nd-watch-save")
        saved = gr.HTML("", elem_id="nd-watch-saved")
        with gr.Row(equal_height=True):
            seen_btn = gr.Button("Mark all as seen", size="sm", elem_id="nd-watch-seen", scale=0, min_width=140)
            remove_id = gr.Textbox(show_label=False, placeholder="id to remove", container=False, scale=2,
                                   elem_id="nd-watch-remove-id")
            remove_btn = gr.Button("Remove", size="sm", elem_id="nd-watch-remove", scale=0, min_width=90)
    return WatchPanel(save_btn, saved, panel, seen_btn, remove_id, remove_btn)


def wire_watchlist(demo: gr.Blocks, w: WatchPanel, settings: qa.Settings, *, query: gr.Textbox,
                   date_from: gr.Textbox, date_to: gr.Textbox, sources: gr.Dropdown, index_html: gr.HTML) -> None:
    """Save, mark seen, remove; after every build or poll (the Index panel redraws, as on
    load) search again with every saved search and redraw the panel."""
    common = dict(api_visibility="private", show_progress="hidden")

    def on_save(q, d1, d2, srcs):
        return watchlist.save(q, d1, d2, srcs, settings), watchlist.panel(settings)

    w.save_btn.click(on_save, [query, date_from, date_to, sources], [w.saved, w.panel], concurrency_limit=1,
                     concurrency_id="watchlist", **common)
    index_html.change(lambda: watchlist.after_index_change(settings), None, w.panel, concurrency_limit=1,
                      concurrency_id="watchlist", **common)
    gr.Timer(REFRESH_S).tick(lambda: watchlist.panel(settings), None, w.panel, **common)
    w.seen_btn.click(lambda: watchlist.seen(settings), None, w.panel, concurrency_limit=1,
                     concurrency_id="watchlist", **common)
    w.remove_btn.click(lambda i: (watchlist.remove(i, settings), ""), w.remove_id, [w.panel, w.remove_id],
                       concurrency_limit=1, concurrency_id="watchlist", **common)
