"""The page's Briefing tab: its components (``BriefingTab``), where they go (``briefing_tab``)
and their events (``wire_briefing``). The HTML and the handlers are ``webui.briefing``'s,
free of gradio; ``app.py`` places the tab and calls ``wire_briefing``.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

import qa
from webui import FormError, briefing

REFRESH_S = 5  # while a summary is pending, the panel looks again this often


@dataclass
class BriefingTab:
    tab: gr.Tab
    since: gr.Textbox
    refresh_btn: gr.Button
    html: gr.HTML
    markdown: gr.Code
    story_links: gr.HTML  # hidden; its script sends any "Ask about this story" link clicked


def briefing_tab() -> BriefingTab:
    """Place the Briefing tab; call inside the page's ``gr.Tabs``."""
    with gr.Tab("Briefing", id="briefing", elem_id="nd-tab-briefing") as tab:
        with gr.Row(equal_height=True):
            since = gr.Textbox(show_label=False, placeholder="Since YYYY-MM-DD (default: the last 24 hours)",
                               scale=6, lines=1, max_lines=1, container=False, elem_id="nd-briefing-since")
            refresh_btn = gr.Button("Show", variant="primary", scale=0, min_width=80, elem_id="nd-briefing-show")
        html = gr.HTML('<div class="nd-panel-empty">Loading the briefing…</div>', elem_id="nd-briefing")
        with gr.Accordion("Briefing as Markdown", open=False, elem_id="nd-briefing-export"):
            markdown = gr.Code("", language="markdown", interactive=False, show_label=False, buttons=["copy"],
                               elem_id="nd-briefing-md", max_lines=30)
        # Its links exist only in this tab, so the listener can live here too.
        story_links = gr.HTML("", elem_id="nd-story-links", js_on_load=briefing.STORY_LINKS_JS)
    return BriefingTab(tab, since, refresh_btn, html, markdown, story_links)


def wire_briefing(demo: gr.Blocks, b: BriefingTab, settings: qa.Settings, *, index_html: gr.HTML,
                  question: gr.Textbox, date_from: gr.Textbox, date_to: gr.Textbox, sources: gr.Dropdown,
                  tabs: gr.Tabs) -> None:
    """Show the briefing when its tab is opened, on Show, after every build or poll once opened
    (the Index panel redraws) and while summaries are pending; "Ask about this story" fills
    the chat's question, the story's dates and (told by several) outlets, and shows the Chat.

    Nothing runs before the tab is first opened: a page that never looks at the briefing
    never has the model summarise (the CLI, `python -m qa briefing`, can make them ahead)."""
    common = dict(concurrency_limit=4, concurrency_id="briefing", api_visibility="private", show_progress="hidden")

    def on_show(since):
        view = briefing.briefing_view(settings, since)
        return view.html, view.markdown, gr.Timer(active=view.pending > 0), True

    def on_index_changed(since, opened):
        return on_show(since) if opened else (gr.skip(), gr.skip(), gr.skip(), gr.skip())

    # Made here, outside the tabs: a Timer placed among them made Gradio 6's tab bar show
    # one tab's button twice and lose another's.
    timer = gr.Timer(REFRESH_S, active=False)
    opened = gr.State(False)  # whether this session has shown the tab: only then is it redrawn after a build
    outputs = [b.html, b.markdown, timer, opened]
    for trigger in (b.tab.select, b.refresh_btn.click, b.since.submit, timer.tick):
        trigger(on_show, b.since, outputs, **common)
    index_html.change(on_index_changed, [b.since, opened], outputs, **common)

    def on_ask_story(evt: gr.EventData):
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            asked = briefing.ask_about(data.get("link"), settings)
        except FormError as exc:  # a story gone since the page drew it, or a forged event
            gr.Warning(str(exc))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return (asked.question, asked.date_from, asked.date_to, list(asked.sources) if len(asked.sources) > 1 else [],
                gr.Tabs(selected="chat"))

    b.story_links.click(on_ask_story, None, [question, date_from, date_to, sources, tabs], **common)
