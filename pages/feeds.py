"""The Index panel's Feeds tab: list, add (then poll that feed), remove, poll now, refresh
while watching (``webui.feeds`` does the work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import gradio as gr

import qa
from webui import feeds


@dataclass
class FeedsTab:
    table: gr.HTML
    url: gr.Textbox
    add_btn: gr.Button
    remove_choice: gr.Dropdown
    remove_btn: gr.Button
    poll_btn: gr.Button
    timer: gr.Timer  # refreshes the table while the background poller runs
    added: gr.State  # the URL just added, for the poll that follows; "" when the add failed


@dataclass
class Redraw:
    """What redraws the Index panel after a build or poll: ``fn`` with no inputs, ``outputs``."""

    fn: Callable
    outputs: list


def progress_callback(progress: gr.Progress):
    """An ``on_progress(done, total)`` for ``qa.add_articles`` and polls, drawn by ``progress``."""
    def on_progress(done: int, total: int) -> None:
        progress((done, total or None), desc="Embedding passages", unit="passages")
    return on_progress


def feeds_tab() -> FeedsTab:
    """Place the Feeds tab's components; call inside the Index accordion."""
    with gr.Tab("Feeds", elem_id="nd-feeds-tab"):
        table = gr.HTML(elem_id="nd-feeds")
        with gr.Row(equal_height=True):
            url = gr.Textbox(show_label=False, placeholder="https://example.com/feed.xml (RSS or Atom)", scale=4,
                             container=False, elem_id="nd-feed-url")
            add_btn = gr.Button("Add feed", variant="primary", scale=1, min_width=90, elem_id="nd-feed-add")
        with gr.Row(equal_height=True):
            remove_choice = gr.Dropdown([], value=None, label="Feed to remove", scale=4,
                                        elem_id="nd-feed-remove-choice")
            remove_btn = gr.Button("Remove", size="md", scale=1, min_width=90, elem_id="nd-feed-remove")
        poll_btn = gr.Button("Poll now", size="sm", elem_id="nd-feed-poll")
    return FeedsTab(table, url, add_btn, remove_choice, remove_btn, poll_btn, gr.Timer(30, active=feeds.watching()),
                    gr.State(""))


def wire_feeds(demo: gr.Blocks, f: FeedsTab, report: gr.Textbox, settings: qa.Settings, redraw: Redraw) -> None:
    """List on load and while watching; add (then poll that feed), remove, poll now; the
    Index panel redraws after each poll."""

    def view():
        return feeds.feeds_panel(settings), gr.Dropdown(choices=feeds.feed_urls(settings), value=None)

    def on_add(url):
        added, message = feeds.add(url, settings)
        return (message, *view(), "" if added else gr.skip(), added)

    def on_poll_added(added, progress=gr.Progress()):
        if not added:
            return gr.skip(), gr.skip(), gr.skip()
        return (feeds.poll_now(settings, only=(added,), on_progress=progress_callback(progress)), *view())

    def on_poll(progress=gr.Progress()):
        progress(0, desc="Polling the feeds")
        return (feeds.poll_now(settings, on_progress=progress_callback(progress)), *view())

    def on_remove(url):
        return (feeds.remove(url, settings), *view())

    private = dict(api_visibility="private")
    outputs = [report, f.table, f.remove_choice]
    demo.load(view, None, [f.table, f.remove_choice], **private)
    f.timer.tick(view, None, [f.table, f.remove_choice], show_progress="hidden", **private)
    for trigger in (f.add_btn.click, f.url.submit):
        trigger(on_add, f.url, [*outputs, f.url, f.added], queue=False, **private).then(
            on_poll_added, f.added, outputs, concurrency_limit=1, concurrency_id="index", **private).then(
            redraw.fn, None, redraw.outputs, **private)
    f.poll_btn.click(on_poll, None, outputs, concurrency_limit=1, concurrency_id="index", **private).then(
        redraw.fn, None, redraw.outputs, **private)
    f.remove_btn.click(on_remove, f.remove_choice, outputs, queue=False, **private)
