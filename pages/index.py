"""The Index panel: what is indexed (redrawn on load, Refresh and after every build or poll,
with the example questions and the sources menu), the coverage chart, adding files or a
pasted article, and the Feeds tab (``pages/feeds.py``). The handlers are
``webui.indexing``'s and ``webui.coverage``'s."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
from gradio.utils import get_upload_folder

import qa
from webui import WebSettings, coverage, indexing

from .feeds import FeedsTab, Redraw, feeds_tab, progress_callback


@dataclass
class IndexPanel:
    html: gr.HTML
    coverage_plot: gr.BarPlot
    coverage_html: gr.HTML
    refresh_btn: gr.Button
    files: gr.File
    add_files_btn: gr.Button
    paste_title: gr.Textbox
    paste_source: gr.Textbox
    paste_date: gr.Textbox
    paste_body: gr.Textbox
    add_text_btn: gr.Button
    feeds: FeedsTab
    report: gr.Textbox  # what the last upload, paste or poll did


def index_panel(web: WebSettings) -> IndexPanel:
    """Place the Index accordion; call in the page's side column."""
    with gr.Accordion("Index", open=False):
        html = gr.HTML(elem_id="nd-index")
        coverage_plot = gr.BarPlot(None, x="period", y="articles", color="source", y_title="Articles",
                                   color_title="Source", tooltip="all", visible=False,
                                   label="Articles per period, by source", show_label=True,
                                   elem_id="nd-coverage-plot")
        coverage_html = gr.HTML(elem_id="nd-coverage")
        refresh_btn = gr.Button("Refresh", size="sm")
        with gr.Tab("Upload files"):
            files = gr.File(file_count="multiple", type="filepath", label="Articles",
                            file_types=sorted(qa.SUPPORTED_SUFFIXES | {".gz"}), elem_id="nd-files")
            add_files_btn = gr.Button("Add to index", variant="primary", elem_id="nd-add-files")
        with gr.Tab("Paste text"):
            paste_title = gr.Textbox(label="Headline", elem_id="nd-paste-title")
            with gr.Row():
                paste_source = gr.Textbox(label="Source (optional)", placeholder="Reuters")
                paste_date = gr.Textbox(label="Published (optional)", placeholder="YYYY-MM-DD", info=qa.DATE_RULE)
            paste_body = gr.Textbox(label="Article text", lines=8, max_lines=20, elem_id="nd-paste-body")
            add_text_btn = gr.Button("Add to index", variant="primary", elem_id="nd-add-text")
        feeds = feeds_tab()
        report = gr.Textbox(label="Last update", lines=3, max_lines=12, interactive=False, elem_id="nd-report")
        gr.Markdown(f"Files: {', '.join(sorted(qa.SUPPORTED_SUFFIXES))} (or gzipped), "
                    f"up to {web.upload_max_mb:g} MB each.", elem_classes="nd-hint")
    return IndexPanel(html, coverage_plot, coverage_html, refresh_btn, files, add_files_btn, paste_title,
                      paste_source, paste_date, paste_body, add_text_btn, feeds, report)


def wire_index(demo: gr.Blocks, ix: IndexPanel, examples: list[gr.Button], sources: gr.Dropdown,
               settings: qa.Settings, web: WebSettings) -> Redraw:
    """The panel, the example questions and the sources menu on load and Refresh; adding
    files or a pasted article, then the redraw. Returns the redraw, for other builds to chain."""

    def on_load():
        view = indexing.index_view(settings)
        buttons = [gr.Button(value=view.examples[i], visible=True) if i < len(view.examples)
                   else gr.Button(visible=False) for i in range(len(examples))]
        return (view.html, gr.Dropdown(choices=view.sources), *buttons)

    redraw = Redraw(on_load, [ix.html, sources, *examples])
    demo.load(on_load, None, redraw.outputs, api_visibility="private")
    ix.refresh_btn.click(on_load, None, redraw.outputs, api_visibility="private")

    def on_add_files(paths, progress=gr.Progress()):
        progress(0, desc="Reading files")
        result = indexing.add_files(paths, settings, progress_callback(progress), max_bytes=web.upload_max_bytes,
                                    upload_cache=get_upload_folder())
        return result.text, None

    def on_add_text(title, source, published, body, progress=gr.Progress()):
        progress(0, desc="Reading the article")
        result = indexing.add_pasted(title, source, published, body, settings, progress_callback(progress),
                                     max_bytes=web.upload_max_bytes)
        if result.ok:  # indexed: clear the form for the next article
            return result.text, "", "", "", ""
        return result.text, gr.skip(), gr.skip(), gr.skip(), gr.skip()

    index_common = dict(concurrency_limit=1, concurrency_id="index", api_visibility="private")
    ix.add_files_btn.click(on_add_files, ix.files, [ix.report, ix.files], **index_common).then(
        on_load, None, redraw.outputs, api_visibility="private")
    paste_boxes = [ix.paste_title, ix.paste_source, ix.paste_date, ix.paste_body]
    ix.add_text_btn.click(on_add_text, paste_boxes, [ix.report, *paste_boxes], **index_common).then(
        on_load, None, redraw.outputs, api_visibility="private")
    return redraw


def wire_coverage(ix: IndexPanel, settings: qa.Settings) -> None:
    """The chart follows the index panel, redrawn whenever the panel changes (the page's load,
    Refresh, added articles), after the panel itself has been shown."""
    import pandas as pd  # loaded by gradio already; imported here, where it is used

    def on_coverage():
        view = coverage.coverage_view(settings)
        if view.columns is None:
            return gr.BarPlot(visible=False), view.summary
        frame = pd.DataFrame(view.columns)
        frame["period"] = pd.to_datetime(frame["period"])
        return gr.BarPlot(frame, visible=True, **view.labels), view.summary

    # Hidden first, so the page draws the new chart afresh: Gradio 6.31 swaps only the data of
    # a plot already on the page and keeps the colours of the sources it first drew, so a
    # source that arrived since would not be drawn at all.
    ix.html.change(lambda: gr.BarPlot(visible=False), None, ix.coverage_plot, queue=False,
                   api_visibility="private", show_progress="hidden").then(
        on_coverage, None, [ix.coverage_plot, ix.coverage_html], api_visibility="private", show_progress="hidden")
