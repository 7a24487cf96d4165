"""Newsdesk web chat: ask questions about the indexed news, get answers that cite their sources.

    python app.py [--host 127.0.0.1] [--port 7860] [--auth user:password]

Serving beyond loopback (``--host 0.0.0.0``) needs ``--auth``, or ``--insecure-no-auth``
behind a proxy of your own that authenticates every request.

Environment variables set the defaults and flags override them: ``NEWSDESK_HOST``,
``NEWSDESK_PORT``, ``NEWSDESK_AUTH``, ``NEWSDESK_UPLOAD_MAX_MB`` (``webui.WebSettings``, how
the chat is served) and ``NEWSDESK_DATA_DIR``, ``NEWSDESK_MODEL`` ... (``qa.Settings``).

This module only wires the page to the public ``qa`` API, top to bottom: the handlers
(``chat_turn``, ``api_answer``, ``add_files`` ...), ``layout`` (the components, as a
``Page``), ``wire`` (their events), ``build_app`` (both) and ``main``. The HTML it shows is
built (and escaped) in ``webui.render``, form values are checked in ``webui.forms``, uploads
in ``webui.uploads``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

STARTED = time.monotonic()  # "ready after start" counts from here

import qa  # noqa: E402
from webui import CSS, FormError, UploadError, WebSettings, api_args, feeds, forms, reader, render  # noqa: E402
from webui import coverage, export, feedback, stops, turns, uploads  # noqa: E402
from app_briefing import BriefingTab, briefing_tab, wire_briefing  # noqa: E402
from app_watchlist import WatchPanel, watch_panel, wire_watchlist  # noqa: E402

log = logging.getLogger("newsdesk.app")


# --- start-up, before gradio's import ------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="app.py", description="Serve the Newsdesk web chat.")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1; NEWSDESK_HOST); any other than "
                                       "loopback needs --auth")
    parser.add_argument("--port", type=int, help="port (default 7860; NEWSDESK_PORT)")
    parser.add_argument("--auth", help="require a login, as user:password (NEWSDESK_AUTH)")
    parser.add_argument("--insecure-no-auth", action="store_true",
                        help="serve beyond loopback without a login: only behind your own authenticating proxy")
    parser.add_argument("--model", help=f"default model: {', '.join(qa.MODEL_CHOICES)} (NEWSDESK_MODEL)")
    parser.add_argument("--data-dir", type=Path, help="where the index and uploads live (NEWSDESK_DATA_DIR)")
    parser.add_argument("--llm-url", help="answer with an OpenAI-compatible server at this API root, e.g. "
                                          "http://127.0.0.1:8080/v1 (NEWSDESK_LLM_URL; the key: NEWSDESK_LLM_API_KEY)")
    parser.add_argument("--llm-model", help="the server's model name (NEWSDESK_LLM_MODEL; default: its first)")
    parser.add_argument("--no-warm-up", action="store_true", help="do not load the models before serving")
    parser.add_argument("--watch", nargs="?", const="", metavar="EVERY",
                        help="poll the feeds (Index > Feeds) in the background, every EVERY (15m, 1h ...; default "
                             "NEWSDESK_FEED_POLL_S, 15 min)")
    return parser.parse_args(argv)


def bind_host(host: str | None) -> str:
    """The address Gradio will really bind for ``host``: an empty one falls back to
    ``GRADIO_SERVER_NAME``, then to 127.0.0.1."""
    return (host or "").strip() or os.environ.get("GRADIO_SERVER_NAME", "").strip() or "127.0.0.1"


def exposure_problem(host: str | None, login: bool) -> str | None:
    """Why serving on ``host`` (with or without a login) is unsafe, or ``None`` when it is not:
    beyond loopback, anyone on the network could ask questions and upload files."""
    host = bind_host(host)
    if login or forms.is_loopback(host):
        return None
    return (f"refusing to serve on {host} without a login: add `--auth user:password` (or NEWSDESK_AUTH), "
            f"or bind to 127.0.0.1; behind your own authenticating proxy, pass --insecure-no-auth")


def read_settings(args: argparse.Namespace) -> tuple[qa.Settings, WebSettings]:
    """The pipeline's and the web chat's settings from the environment and ``args``.

    Raises:
        qa.NewsdeskError: a value does not parse, or the address is beyond loopback without a
            login (checked before any model loads, so a refused start is immediate).
    """
    settings = qa.Settings.from_env(model=args.model, data_dir=args.data_dir, llm_url=args.llm_url,
                                    llm_model=args.llm_model)
    web = WebSettings.from_env(host=args.host, port=args.port, auth=args.auth)
    problem = exposure_problem(web.host, login=forms.parse_auth(web.auth) is not None)
    if problem and not args.insecure_no_auth:
        raise FormError(problem)
    return settings, web


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # gradio's own start-up requests


def warm_up(settings: qa.Settings) -> None:
    """Load the index and the models, logging when the app is ready to answer."""
    log.info("loading the index and %s…", settings.model)
    try:
        qa.warm_up(settings)
    except qa.NewsdeskError as exc:  # the chat shows the same message to whoever asks
        log.warning("%s", exc)
        return
    log.info("ready to answer, %.1f s after start", time.monotonic() - STARTED)


def start_warm_up(settings: qa.Settings) -> threading.Thread:
    # A question asked before the warm-up ends waits for it (the loads hold locks); nothing
    # is ever loaded twice.
    thread = threading.Thread(target=warm_up, args=(settings,), name="warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_early() -> threading.Thread | None:
    """As ``python app.py``: start loading the models before importing gradio (~2 s), which
    they then overlap; ``main`` parses the arguments again and reports any problem."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            args = parse_args(sys.argv[1:])  # --help and usage errors: main prints them, once
        settings, _ = read_settings(args)
    except (SystemExit, qa.NewsdeskError):
        return None
    if args.no_warm_up:
        return None
    configure_logging()
    return start_warm_up(settings)


WARMING = _warm_up_early() if __name__ == "__main__" else None

import gradio as gr  # noqa: E402
from gradio.utils import get_upload_folder  # noqa: E402

GENERIC_ERROR = ("Something went wrong while answering; the details are in the server log. "
                 "Try again, or rephrase the question.")
HISTORY_TURNS = 4  # earlier turns passed to qa for follow-ups: each one costs prompt tokens
STREAM_EVERY_S = 0.05  # at most ~20 chat repaints a second while tokens stream in
N_EXAMPLES = 4


# --- answering ---------------------------------------------------------------------------

def chat_turn(question: str, messages: list[dict], history: list, model: str, k, date_from: str,
              date_to: str, sources, *, settings: qa.Settings,
              on_answer: Callable[[qa.Answer, forms.SearchChoice], None] | None = None,
              cancel: threading.Event | None = None) -> Iterator[tuple]:
    """Stream one question's turn into the chat.

    Yields ``(question box, chat messages, history, sources panel)`` each time the page
    should repaint: the question at once, "reading N passages" after retrieval, the answer
    as it streams, then the checked answer with its citations. Errors end the turn with a
    readable message in the chat; the conversation carries on. ``on_answer`` gets the
    checked answer and the settings it was asked with, just before the last repaint.
    Setting ``cancel`` (the page's Stop) ends the turn at the model's next token, without a
    last repaint: the caller shows it stopped (``stopped_outputs``).
    """
    question = (question or "").strip()
    if not question:
        yield "", messages, history, gr.skip()
        return
    messages = [*messages, {"role": "user", "content": render.user_message(question, settings.max_question_chars)},
                {"role": "assistant", "content": render.searching_message()}]
    yield "", list(messages), history, render.sources_reading(())

    def show(content: str) -> list[dict]:
        messages[-1] = {"role": "assistant", "content": content}
        return list(messages)

    try:
        choice = forms.read_search_form(settings, model, k, date_from, date_to, sources)
        pairs = [(str(q), str(a)) for q, a in (history or [])][-HISTORY_TURNS:]
        passages: tuple = ()
        text, last = "", 0.0
        final = None
        for event in qa.stream_answer(question, history=pairs or None, k=choice.k, filters=choice.filters,
                                      settings=choice.settings, cancel=cancel):
            if isinstance(event, qa.Retrieved):
                passages = event.passages
                yield "", show(render.reading_message(passages)), history, render.sources_reading(passages)
            elif isinstance(event, qa.Answer):
                final = event
            elif isinstance(event, str):
                text += event
                now = time.monotonic()
                if now - last >= STREAM_EVERY_S and text.strip():
                    last = now
                    yield "", show(render.streaming_message(text, passages)), history, gr.skip()
        if final is None:
            if cancel is not None and cancel.is_set():
                return
            raise RuntimeError("qa.stream_answer ended without an Answer")
    except qa.NewsdeskError as exc:  # bad input (webui's FormError included) or a qa failure
        yield "", show(render.error_message(str(exc))), history, render.SOURCES_EMPTY
        return
    except Exception:
        log.exception("answering %r failed", question)
        yield "", show(render.error_message(GENERIC_ERROR)), history, render.SOURCES_EMPTY
        return
    history = [*(history or []), [question, final.text]]
    if on_answer is not None:
        on_answer(final, choice)
    yield "", show(render.answer_message(final, choice.scope)), history, render.sources_panel(final)


def stop_turn(messages: list[dict]) -> list[dict]:
    """After Stop: freeze the unfinished answer (if any) and mark it stopped."""
    if messages and messages[-1].get("role") == "assistant" and render.is_pending(messages[-1]["content"]):
        messages = [*messages[:-1], {"role": "assistant", "content": render.stopped(messages[-1]["content"])}]
    return messages


def stopped_outputs(stop: stops.StopFlag, messages: list[dict]) -> tuple:
    """A stopped answer's last repaint (``on_ask``'s outputs): its chat frozen where it was,
    marked stopped, or emptied after New chat; the question box and records left alone."""
    if stop.clear_chat:
        return gr.skip(), [], [], [], render.SOURCES_EMPTY, []
    frozen = stop_turn(messages)
    return gr.skip(), frozen, frozen, gr.skip(), render.SOURCES_EMPTY, gr.skip()


def api_answer(question: str, settings: qa.Settings, model: str = "", k: int = 0, date_from: str = "",
               date_to: str = "", sources: list[str] | None = None,
               history: list[list[str]] | None = None) -> dict:
    """The ``/ask`` endpoint's work: one whole answer as a JSON-ready dict.

    The arguments come from any API client as they were sent (Gradio does not check them
    against the type hints), so their types are checked here first.

    Raises:
        gr.Error: with the readable message of any expected failure, naming a wrong argument.
    """
    try:
        args = api_args.check_ask_args(question, model, k, date_from, date_to, sources, history)
        choice = forms.read_search_form(settings, args.model, args.k, args.date_from, args.date_to, args.sources)
        result = qa.answer(args.question, history=list(args.history[-HISTORY_TURNS:]) or None, k=choice.k,
                           filters=choice.filters, settings=choice.settings)
    except qa.NewsdeskError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    except Exception:
        log.exception("API answer to %r failed", question)
        raise gr.Error(GENERIC_ERROR, print_exception=False) from None
    return answer_json(result)


def answer_json(answer: qa.Answer) -> dict:
    """``Answer.to_dict()`` for API clients, without the passages' server-side file paths.

    Besides not telling clients where files live on the server, this avoids a gradio_client
    quirk: with Gradio 6's protocol it treats any ``{"path": str}`` object in a result as a
    file to download, and fails with 403 on the article's path.
    """
    data = answer.to_dict()
    data["passages"] = [{k: v for k, v in p.items() if k != "path"} for p in data["passages"]]
    return data


# --- taking answers away: export and feedback ----------------------------------------------

def answered_turn(answer: qa.Answer, choice: forms.SearchChoice, message_index: int,
                  settings: qa.Settings) -> dict:
    """The ``webui.turns`` record of a finished answer, naming the index generation that gave it."""
    try:
        info = qa.index_info(settings)
    except qa.NewsdeskError:  # a record without the generation beats no record
        info = None
    except Exception:
        log.exception("reading the index for the answer's record failed")
        info = None
    return turns.turn_record(answer, choice, message_index, info)


def export_view(records: list[dict]) -> str:
    """The conversation as Markdown with its references; "" before the first answer."""
    return export.conversation_markdown(records or [])


def save_feedback(records: list[dict], message_index, liked, settings: qa.Settings) -> str:
    """Store a thumbs up / down (or its withdrawal) on the answer at ``message_index``;
    returns what to tell the user, ``""`` when all went well.

    Raises:
        webui.FeedbackError: the mark could not be written (the message says why).
    """
    turn = turns.turn_at(records, message_index)
    if turn is None:
        return "Only finished answers can be marked."
    feedback.append_feedback(feedback.feedback_path(settings.data_dir), feedback.feedback_entry(turn, liked))
    return ""


# --- the index ---------------------------------------------------------------------------

def index_view(settings: qa.Settings) -> tuple[str, list[str], list[str]]:
    """(index panel HTML, source names, example questions); a missing index is explained."""
    try:
        info = qa.index_info(settings)
    except qa.IndexNotFoundError as exc:
        return render.index_error(str(exc), hint="Or start one here: upload files or paste an article below."), [], []
    except qa.NewsdeskError as exc:
        return render.index_error(str(exc)), [], []
    except Exception:
        log.exception("reading the index failed")
        return render.index_error("Could not read the index; see the server log."), [], []
    try:
        examples = qa.example_questions(settings, n=N_EXAMPLES)
    except Exception:  # examples are a nicety: never let them break the page
        log.exception("example questions failed")
        examples = []
    return render.index_panel(info), list(info.sources), list(examples)


def coverage_view(settings: qa.Settings) -> tuple:
    """(a data frame for the coverage chart, or ``None`` when nothing is dated; the chart's
    labels, ``{"label": ..., "x_title": ...}``; the summary HTML under it). A missing index
    is explained by the index panel already, so it gives an empty summary here."""
    import pandas as pd  # loaded by gradio already; imported here, where it is used

    try:
        cov = qa.coverage(settings)
    except qa.NewsdeskError:
        return None, {}, ""
    except Exception:
        log.exception("counting the index's coverage failed")
        return None, {}, render.index_error("Could not count what the index covers; see the server log.")
    frame = pd.DataFrame(coverage.chart_columns(cov))
    frame["period"] = pd.to_datetime(frame["period"])
    labels = {"label": coverage.chart_title(cov), "x_title": coverage.PERIOD_TITLES[cov.bucket],
              "x_lim": coverage.chart_x_lim(cov), "colors_in_legend": list(cov.sources)}
    return (frame if len(frame) else None), labels, coverage.coverage_summary(cov)


@dataclass(frozen=True)
class IndexResult:
    """What adding articles did: ``ok`` when at least one article is in the index now (the
    paste form is cleared then); ``text`` is the report shown to the user either way."""

    ok: bool
    text: str


def add_files(files: list[str] | None, settings: qa.Settings, on_progress=None, *,
              max_bytes: int = WebSettings().upload_max_bytes,
              upload_cache: str | Path | None = None) -> IndexResult:
    """Store uploaded files under generated names and index them.

    Files over ``max_bytes`` are refused (``WebSettings.upload_max_bytes``).

    Each original is deleted from the web framework's upload cache once it is stored or
    refused, since anyone with its URL could download it from there; a path outside
    ``upload_cache`` (default: Gradio's, ``GRADIO_TEMP_DIR``) is never touched.
    """
    if not files:
        return IndexResult(False, "Choose one or more files first.")
    upload_cache = upload_cache or get_upload_folder()
    stored, problems = [], []
    for path in files:
        try:
            stored.append(uploads.store_upload(path, Path(path).name, settings.data_dir / "uploads",
                                               max_bytes, qa.SUPPORTED_SUFFIXES))
        except UploadError as exc:
            problems.append(str(exc))
        finally:
            uploads.discard_upload(path, upload_cache)
    return _index_stored(stored, problems, settings, on_progress)


def add_pasted(title: str, source: str, published: str, body: str, settings: qa.Settings,
               on_progress=None, *, max_bytes: int = WebSettings().upload_max_bytes) -> IndexResult:
    """Save a pasted article (at most ``max_bytes``) as a text file and index it."""
    try:
        published = qa.parse_date(published, "“Published”")
        path = uploads.store_pasted(title, body, settings.data_dir / "uploads", max_bytes,
                                    source=source, published=published)
    except qa.InvalidInputError as exc:  # a bad date or an UploadError
        return IndexResult(False, str(exc))
    return _index_stored([path], [], settings, on_progress)


def _index_stored(stored: list[Path], problems: list[str], settings: qa.Settings, on_progress) -> IndexResult:
    lines = [f"Not added: {p}" for p in problems]
    if not stored:
        return IndexResult(False, "\n".join(lines))
    try:
        report = qa.add_articles(stored, settings, on_progress=on_progress)
    except qa.NewsdeskError as exc:
        return IndexResult(False, "\n".join([*lines, f"Indexing failed: {exc}"]))
    except Exception:
        log.exception("indexing uploads failed")
        return IndexResult(False, "\n".join([*lines, "Indexing failed; the details are in the server log."]))
    added = len(report.added) + len(report.updated)
    if added:
        lines.insert(0, f"Added {added} article{'s' if added != 1 else ''}: you can ask about "
                        f"{'them' if added != 1 else 'it'} now.")
    elif not problems:
        lines.insert(0, "Nothing new was added.")
    lines.append(report.summary())
    return IndexResult(added > 0, "\n".join(lines))


# --- the page: layout --------------------------------------------------------------------

@dataclass
class Page:
    """The page's components, as ``layout`` placed them, for ``wire`` to connect."""

    messages: gr.State  # this session's conversation, as the chat shows it
    history: gr.State  # this session's [question, answer text] pairs, for follow-ups
    chatbot: gr.Chatbot
    question: gr.Textbox
    ask_btn: gr.Button
    stop_btn: gr.Button
    new_btn: gr.Button
    example_btns: list[gr.Button]
    sources_html: gr.HTML
    model: gr.Dropdown
    k: gr.Slider
    date_from: gr.Textbox
    date_to: gr.Textbox
    date_hint: gr.Markdown
    source_filter: gr.Dropdown
    index_html: gr.HTML
    refresh_btn: gr.Button
    files: gr.File
    add_files_btn: gr.Button
    paste_title: gr.Textbox
    paste_source: gr.Textbox
    paste_date: gr.Textbox
    paste_body: gr.Textbox
    add_text_btn: gr.Button
    report: gr.Textbox
    feeds: "FeedsTab"
    # coverage at a glance and taking answers away
    turns: gr.State  # this session's finished answers (webui.turns records), for export and marks
    ticket: gr.Textbox  # hidden; the page's ticket for the question it sent (webui.stops.ASK_JS)
    coverage_plot: gr.BarPlot
    coverage_html: gr.HTML
    copy_btn: gr.Button
    download_btn: gr.Button
    export_md: gr.Code
    tabs: gr.Tabs  # Chat | Search | Article
    search_query: gr.Textbox
    search_btn: gr.Button
    search_newest: gr.Checkbox
    search_html: gr.HTML
    article_html: gr.HTML  # the whole article, scrolled to the cited span
    open_links: gr.HTML  # hidden; its script sends any "#nd-open?..." link clicked (webui.reader)
    briefing: BriefingTab | None = None  # the Briefing tab (app_briefing.py)
    watches: WatchPanel | None = None  # saved searches, beside the tabs (app_watchlist.py)


@dataclass
class FeedsTab:
    """The Index panel's Feeds tab (``webui.feeds`` does the work)."""

    table: gr.HTML
    url: gr.Textbox
    add_btn: gr.Button
    remove_choice: gr.Dropdown
    remove_btn: gr.Button
    poll_btn: gr.Button
    timer: gr.Timer  # refreshes the table while the background poller runs
    added: gr.State  # the URL just added, for the poll that follows; "" when the add failed


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


def layout(settings: qa.Settings, web: WebSettings) -> Page:
    """Place the page's components; call inside a ``gr.Blocks`` context. Nothing is wired yet."""
    models = forms.model_menu(settings)
    gr.HTML('<div class="nd-header"><h1>Newsdesk</h1><p>Answers drawn only from the indexed '
            "articles, with every claim linked to its source. Hover or click a [n] to read it.</p></div>")
    messages = gr.State([])
    history = gr.State([])
    # Hidden (CSS), always rendered: its script hears a click on any article link on the page.
    open_links = gr.HTML("", elem_id="nd-open-links", js_on_load=reader.OPEN_LINKS_JS)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            with gr.Tabs(elem_id="nd-tabs") as tabs:
                with gr.Tab("Chat", id="chat", elem_id="nd-tab-chat", render_children=True):
                    # Messages are HTML built (and escaped) by webui.render, so no Markdown pass; no
                    # copy buttons either: they would copy that HTML rather than the answer's text.
                    chatbot = gr.Chatbot(
                        elem_id="nd-chat", label="Conversation", height=560, render_markdown=False,
                        sanitize_html=True, feedback_options=("Like", "Dislike"), group_consecutive_messages=False,
                        buttons=[],
                        placeholder="Ask about the news in the index. Every answer cites the passages it rests on.")
                    with gr.Row(equal_height=True, elem_id="nd-ask-row"):
                        question = gr.Textbox(show_label=False, placeholder="Ask a question about the news…",
                                              scale=8, lines=1, max_lines=4, autofocus=True, container=False,
                                              elem_id="nd-question")
                        ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=80, elem_id="nd-ask")
                        stop_btn = gr.Button("Stop", size="md", scale=0, min_width=70, elem_id="nd-stop")
                        new_btn = gr.Button("New chat", size="md", scale=0, min_width=100, elem_id="nd-new")
                    with gr.Row(elem_id="nd-examples"):
                        example_btns = [gr.Button("", visible=False, size="sm", variant="secondary",
                                                  elem_classes="nd-example") for _ in range(N_EXAMPLES)]
                    # Take the answers away: the conversation as Markdown with numbered references.
                    with gr.Row(elem_id="nd-takeaway"):
                        copy_btn = gr.Button("Copy with sources", size="sm", interactive=False, elem_id="nd-copy",
                                             scale=0, min_width=150)
                        download_btn = gr.Button("Download .md", size="sm", interactive=False,
                                                         elem_id="nd-download", scale=0, min_width=130)
                    with gr.Accordion("Conversation as Markdown", open=False, elem_id="nd-export"):
                        export_md = gr.Code("", language="markdown", interactive=False, show_label=False,
                                            buttons=["copy"], elem_id="nd-export-md", max_lines=30)
                briefing_components = briefing_tab()
                with gr.Tab("Search", id="search", elem_id="nd-tab-search"):
                    with gr.Row(equal_height=True):
                        search_query = gr.Textbox(show_label=False, placeholder="Search the articles: a name, a place, "
                                                  "a phrase…", scale=8, lines=1, max_lines=1, container=False,
                                                  elem_id="nd-search-query")
                        search_btn = gr.Button("Search", variant="primary", scale=0, min_width=90,
                                               elem_id="nd-search")
                    search_newest = gr.Checkbox(False, label="Newest first (else best match first)",
                                                elem_id="nd-search-newest")
                    search_html = gr.HTML(reader.SEARCH_EMPTY, elem_id="nd-search-results")
                with gr.Tab("Article", id="article", elem_id="nd-tab-article"):
                    article_html = gr.HTML(reader.ARTICLE_EMPTY, elem_id="nd-article", js_on_load=reader.REVEAL_JS)
        with gr.Column(scale=2, min_width=320):
            with gr.Accordion("Sources", open=True):
                sources_html = gr.HTML(render.SOURCES_EMPTY, elem_id="nd-sources")
            watch_components = watch_panel()
            with gr.Accordion("Search settings", open=False):
                model = gr.Dropdown(models.choices, value=models.value, label="Model", info=models.info,
                                    interactive=models.interactive)
                k = gr.Slider(1, forms.MAX_K, value=settings.passages, step=1, label="Passages to read",
                              info="More passages: more context, slower answers.")
                with gr.Row():
                    date_from = gr.Textbox(label=forms.DATE_FROM_LABEL, placeholder="YYYY-MM-DD",
                                           info=f"On or after: {qa.DATE_RULE}", elem_id="nd-date-from")
                    date_to = gr.Textbox(label=forms.DATE_TO_LABEL, placeholder="YYYY-MM-DD",
                                         info=f"On or before: {qa.DATE_RULE}", elem_id="nd-date-to")
                date_hint = gr.Markdown(forms.filter_hint("", ""), elem_classes="nd-hint")
                source_filter = gr.Dropdown([], value=[], multiselect=True, label="Sources",
                                            info="Leave empty to search every source.")
            with gr.Accordion("Index", open=False):
                index_html = gr.HTML(elem_id="nd-index")
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
                        paste_date = gr.Textbox(label="Published (optional)", placeholder="YYYY-MM-DD",
                                                info=qa.DATE_RULE)
                    paste_body = gr.Textbox(label="Article text", lines=8, max_lines=20, elem_id="nd-paste-body")
                    add_text_btn = gr.Button("Add to index", variant="primary", elem_id="nd-add-text")
                feeds_components = feeds_tab()
                report = gr.Textbox(label="Last update", lines=3, max_lines=12, interactive=False,
                                    elem_id="nd-report")
                gr.Markdown(f"Files: {', '.join(sorted(qa.SUPPORTED_SUFFIXES))} (or gzipped), "
                            f"up to {web.upload_max_mb:g} MB each.", elem_classes="nd-hint")
    return Page(messages=messages, history=history, chatbot=chatbot, question=question, ask_btn=ask_btn,
                stop_btn=stop_btn, new_btn=new_btn, example_btns=example_btns, sources_html=sources_html,
                model=model, k=k, date_from=date_from, date_to=date_to, date_hint=date_hint,
                source_filter=source_filter, index_html=index_html, refresh_btn=refresh_btn, files=files,
                add_files_btn=add_files_btn, paste_title=paste_title, paste_source=paste_source,
                paste_date=paste_date, paste_body=paste_body, add_text_btn=add_text_btn, report=report,
                feeds=feeds_components,
                turns=gr.State([]), ticket=gr.Textbox(visible=False, elem_id="nd-ticket"),
                coverage_plot=coverage_plot, coverage_html=coverage_html, copy_btn=copy_btn,
                download_btn=download_btn, export_md=export_md,
                tabs=tabs, search_query=search_query, search_btn=search_btn, search_newest=search_newest,
                search_html=search_html, article_html=article_html, open_links=open_links,
                briefing=briefing_components, watches=watch_components)


# --- the page: wiring --------------------------------------------------------------------

DOWNLOAD_JS = """(text) => {
    if (!text) return;
    const day = new Date().toISOString().slice(0, 10);
    const url = URL.createObjectURL(new Blob([text], {type: "text/markdown;charset=utf-8"}));
    const link = Object.assign(document.createElement("a"), {href: url, download: `newsdesk-conversation-${day}.md`});
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
}"""
COPY_JS = """async (text) => {
    if (!text) return;
    try { await navigator.clipboard.writeText(text); return; } catch (e) { /* not a secure context */ }
    const area = Object.assign(document.createElement("textarea"), {value: text});
    area.style.position = "fixed"; area.style.opacity = "0";
    document.body.appendChild(area); area.select(); document.execCommand("copy"); area.remove();
}"""
REMOTE_ANSWER_CONCURRENCY = 4  # answers at once by default when an llm_url server generates them


def answer_concurrency(settings: qa.Settings) -> int:
    """How many answers the page and /ask generate at once: ``settings.answer_concurrency``
    if given, else 1 for the local model (it serves one caller at a time) and
    ``REMOTE_ANSWER_CONCURRENCY`` for a server (``llm_url``), which batches requests."""
    if settings.answer_concurrency > 0:
        return settings.answer_concurrency
    return REMOTE_ANSWER_CONCURRENCY if settings.llm_url.strip() else 1


def wire(demo: gr.Blocks, page: Page, settings: qa.Settings, web: WebSettings) -> None:
    """Connect the page's events to the handlers above; call inside ``demo``'s context."""
    p = page
    # -- answering: one model run at a time across all sessions (2 CPU cores), unless
    # answer_concurrency says otherwise (answer_concurrency() below)
    answers_at_once = answer_concurrency(settings)
    # The chatbot only displays; `messages` (per-session state) is the conversation itself,
    # so nothing depends on how the Chatbot hands its value back.
    running = stops.StopFlags()  # Stop and New chat set the question's flag (webui/stops.py)

    def on_ask(q, msgs, hist, m, kk, d1, d2, srcs, records, ticket, request: gr.Request):
        key = stops.ticket_key(request.session_hash, ticket)
        stop = running.start(key)
        try:
            if stop.is_set():
                return  # stopped while it waited in the queue: it never started, nothing to show
            finished = []  # (answer, choice) once the turn has a checked answer
            shown = msgs
            for box, shown, hist2, panel in chat_turn(q, msgs, hist, m, kk, d1, d2, srcs, settings=settings,
                                                      on_answer=lambda a, c: finished.append((a, c)), cancel=stop):
                if stop.is_set():
                    break
                done = [answered_turn(*finished.pop(), len(shown) - 1, settings)] if finished else []
                yield box, shown, shown, hist2, panel, ([*(records or []), *done] if done else gr.skip())
            if stop.is_set():
                yield stopped_outputs(stop, shown)  # this answer's own last repaint: nothing lands after it
        finally:
            running.finish(key, stop)

    answer_inputs = [p.question, p.messages, p.history, p.model, p.k, p.date_from, p.date_to, p.source_filter,
                     p.turns, p.ticket]
    answer_outputs = [p.question, p.chatbot, p.messages, p.history, p.sources_html, p.turns]
    # trigger_mode: Gradio's default ("once") drops a click while the page's last question is
    # still running or ending; "always_last" sends it as soon as that one ends. A double click
    # then sends an empty box, which chat_turn ignores.
    common = dict(concurrency_limit=answers_at_once, concurrency_id="answer", api_visibility="private",
                  show_progress="minimal", trigger_mode="always_last", js=stops.ASK_JS)
    for trigger in (p.question.submit, p.ask_btn.click):
        trigger(on_ask, answer_inputs, answer_outputs, **common)
    for btn in p.example_btns:  # a button passes its label: the question
        btn.click(on_ask, [btn, *answer_inputs[1:]], answer_outputs, **common)

    # Stop and New chat never cancel the answer through Gradio (webui/stops.py says why): they
    # set its flag, and it ends itself within a token.
    def on_stop(msgs, ticket, request: gr.Request):
        if running.stop(stops.ticket_key(request.session_hash, ticket)):
            return gr.skip(), gr.skip(), gr.skip()  # the answer freezes itself, with its latest words
        was_pending = bool(msgs) and render.is_pending(msgs[-1].get("content"))
        msgs = stop_turn(msgs)  # nothing running: a turn left pending (a lost connection) is frozen
        return msgs, msgs, render.SOURCES_EMPTY if was_pending else gr.skip()

    p.stop_btn.click(on_stop, [p.messages, p.ticket], [p.chatbot, p.messages, p.sources_html], queue=False,
                     js=stops.STOP_JS, api_visibility="private")

    def on_new(ticket, request: gr.Request):
        running.stop(stops.ticket_key(request.session_hash, ticket), clear_chat=True)
        return [], [], [], render.SOURCES_EMPTY, "", []

    new_outputs = [p.chatbot, p.messages, p.history, p.sources_html, p.question, p.turns]
    for trigger in (p.new_btn.click, p.chatbot.clear):
        trigger(on_new, p.ticket, new_outputs, queue=False, js=stops.STOP_JS, api_visibility="private")

    for box in (p.date_from, p.date_to):
        box.change(forms.filter_hint, [p.date_from, p.date_to], p.date_hint, queue=False, show_progress="hidden",
                   api_visibility="private")

    # -- the index panel, example questions and source choices, per page load
    def on_load():
        panel, names, examples = index_view(settings)
        buttons = [gr.Button(value=examples[i], visible=True) if i < len(examples)
                   else gr.Button(visible=False) for i in range(N_EXAMPLES)]
        return (panel, gr.Dropdown(choices=names), *buttons)

    view_outputs = [p.index_html, p.source_filter, *p.example_btns]
    demo.load(on_load, None, view_outputs, api_visibility="private")
    p.refresh_btn.click(on_load, None, view_outputs, api_visibility="private")

    def on_add_files(paths, progress=gr.Progress()):
        progress(0, desc="Reading files")
        result = add_files(paths, settings, _progress_callback(progress), max_bytes=web.upload_max_bytes)
        return result.text, None

    def on_add_text(title, source, published, body, progress=gr.Progress()):
        progress(0, desc="Reading the article")
        result = add_pasted(title, source, published, body, settings, _progress_callback(progress),
                            max_bytes=web.upload_max_bytes)
        if result.ok:  # indexed: clear the form for the next article
            return result.text, "", "", "", ""
        return result.text, gr.skip(), gr.skip(), gr.skip(), gr.skip()

    index_common = dict(concurrency_limit=1, concurrency_id="index", api_visibility="private")
    p.add_files_btn.click(on_add_files, p.files, [p.report, p.files], **index_common).then(
        on_load, None, view_outputs, api_visibility="private")
    paste_boxes = [p.paste_title, p.paste_source, p.paste_date, p.paste_body]
    p.add_text_btn.click(on_add_text, paste_boxes, [p.report, *paste_boxes], **index_common).then(
        on_load, None, view_outputs, api_visibility="private")

    wire_feeds(demo, p, settings, view_outputs, on_load)
    wire_briefing(demo, p.briefing, settings, index_html=p.index_html, question=p.question, date_from=p.date_from,
                  date_to=p.date_to, sources=p.source_filter, tabs=p.tabs)
    wire_watchlist(demo, p.watches, settings, query=p.search_query, date_from=p.date_from, date_to=p.date_to,
                   sources=p.source_filter, index_html=p.index_html)

    # -- coverage: the chart follows the index panel, redrawn whenever the panel changes (the
    # page's load, Refresh, added articles), after the panel itself has been shown
    def on_coverage():
        frame, labels, summary = coverage_view(settings)
        plot = gr.BarPlot(frame, visible=True, **labels) if frame is not None else gr.BarPlot(visible=False)
        return plot, summary

    # Hidden first, so the page draws the new chart afresh: Gradio 6.31 swaps only the data of
    # a plot already on the page and keeps the colours of the sources it first drew, so a
    # source that arrived since would not be drawn at all.
    p.index_html.change(lambda: gr.BarPlot(visible=False), None, p.coverage_plot, queue=False,
                        api_visibility="private", show_progress="hidden").then(
        on_coverage, None, [p.coverage_plot, p.coverage_html], api_visibility="private", show_progress="hidden")

    # -- take the answers away: Markdown to copy or download, thumbs up / down stored
    def on_turns(records):
        text = export_view(records)
        ready = bool(text)
        return text, gr.Button(interactive=ready), gr.Button(interactive=ready)

    p.turns.change(on_turns, p.turns, [p.export_md, p.download_btn, p.copy_btn], api_visibility="private",
                   show_progress="hidden")
    # In the browser: the clipboard API where the page is a secure context (https, localhost),
    # else the older execCommand("copy") on a hidden text area.
    p.copy_btn.click(None, p.export_md, None, js=COPY_JS, api_visibility="private")
    # The download is made in the browser from the Markdown already on the page. A
    # DownloadButton whose file an event replaces after each answer broke Stop in later
    # sessions (tests/test_app_browser.py's stop test), with Gradio 6.31.
    p.download_btn.click(None, p.export_md, None, js=DOWNLOAD_JS, api_visibility="private")

    def on_like(records, data: gr.LikeData):
        try:
            problem = save_feedback(records, data.index, data.liked, settings)
        except qa.NewsdeskError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        if problem:
            gr.Warning(problem)

    p.chatbot.like(on_like, p.turns, None, api_visibility="private", show_progress="hidden")

    # -- search, and the whole article behind a citation or a result (webui.reader): no model runs
    def on_search(query, d1, d2, srcs, newest):
        return reader.search_page(query, d1, d2, srcs, settings, newest_first=newest)

    search_common = dict(concurrency_limit=4, concurrency_id="search", api_visibility="private",
                         show_progress="minimal")
    search_inputs = [p.search_query, p.date_from, p.date_to, p.source_filter, p.search_newest]
    for trigger in (p.search_query.submit, p.search_btn.click):
        trigger(on_search, search_inputs, p.search_html, **search_common)

    def on_order(query, *rest):  # re-sort what was searched; nothing to say before a search
        return on_search(query, *rest) if (query or "").strip() else gr.skip()

    p.search_newest.input(on_order, search_inputs, p.search_html, **search_common)

    def on_open(evt: gr.EventData):  # the page's script sends {"link": "#nd-open?..."}; any client may send else
        data = evt._data if isinstance(evt._data, dict) else {}
        return reader.open_article(data.get("link"), settings), gr.Tabs(selected="article")

    p.open_links.click(on_open, None, [p.article_html, p.tabs], **search_common)

    # -- programmatic API: Client(url).predict("question", api_name="/ask") -> Answer.to_dict()
    def ask(question: str, model: str = "", k: int = 0, date_from: str = "", date_to: str = "",
            sources: list[str] | None = None, history: list[list[str]] | None = None) -> dict:
        """Answer a question from the indexed articles; returns the Answer as JSON.

        Args:
            question: the question.
            model: one of the model names, or "" for the server's default.
            k: passages to read, 1 to {max_k}, or 0 for the default.
            date_from: earliest publish date, {date_rule}, or "".
            date_to: latest publish date, {date_rule}, or "".
            sources: sources (bylines) to search within; empty for all.
            history: earlier [question, answer text] pairs, for follow-up questions.
        """
        return api_answer(question, settings, model, k, date_from, date_to, sources, history)

    ask.__doc__ = ask.__doc__.format(max_k=forms.MAX_K, date_rule=qa.DATE_RULE)  # the API page shows it
    gr.api(ask, api_name="ask", concurrency_limit=answers_at_once, concurrency_id="answer")


def wire_feeds(demo: gr.Blocks, p: Page, settings: qa.Settings, view_outputs: list, on_load) -> None:
    """The Feeds tab: list, add (then poll that feed), remove, poll now, refresh while watching."""
    f = p.feeds

    def view():
        return feeds.feeds_panel(settings), gr.Dropdown(choices=feeds.feed_urls(settings), value=None)

    def on_add(url):
        added, message = feeds.add(url, settings)
        return (message, *view(), "" if added else gr.skip(), added)

    def on_poll_added(added, progress=gr.Progress()):
        if not added:
            return gr.skip(), gr.skip(), gr.skip()
        return (feeds.poll_now(settings, only=(added,), on_progress=_progress_callback(progress)), *view())

    def on_poll(progress=gr.Progress()):
        progress(0, desc="Polling the feeds")
        return (feeds.poll_now(settings, on_progress=_progress_callback(progress)), *view())

    def on_remove(url):
        return (feeds.remove(url, settings), *view())

    private = dict(api_visibility="private")
    outputs = [p.report, f.table, f.remove_choice]
    demo.load(view, None, [f.table, f.remove_choice], **private)
    f.timer.tick(view, None, [f.table, f.remove_choice], show_progress="hidden", **private)
    for trigger in (f.add_btn.click, f.url.submit):
        trigger(on_add, f.url, [*outputs, f.url, f.added], queue=False, **private).then(
            on_poll_added, f.added, outputs, concurrency_limit=1, concurrency_id="index", **private).then(
            on_load, None, view_outputs, **private)
    f.poll_btn.click(on_poll, None, outputs, concurrency_limit=1, concurrency_id="index", **private).then(
        on_load, None, view_outputs, **private)
    f.remove_btn.click(on_remove, f.remove_choice, outputs, queue=False, **private)


def build_app(settings: qa.Settings | None = None, web: WebSettings | None = None) -> gr.Blocks:
    """The chat page, ready to ``launch()`` (use ``launch_app`` for this app's CSS and auth).

    Args:
        settings: the pipeline's settings (default: from the environment).
        web: the upload limit shown and applied (default: from the environment).
    """
    settings = settings or qa.Settings.from_env()
    web = web or WebSettings.from_env()
    # analytics off: the servers this runs on reach no network beyond package registries.
    with gr.Blocks(title="Newsdesk", analytics_enabled=False) as demo:
        wire(demo, layout(settings, web), settings, web)
    demo.queue(default_concurrency_limit=1)
    return demo


def _progress_callback(progress: gr.Progress):
    def on_progress(done: int, total: int) -> None:
        progress((done, total or None), desc="Embedding passages", unit="passages")
    return on_progress


def launch_app(demo: gr.Blocks, web: WebSettings, *, insecure_no_auth: bool = False, **kwargs):
    """Serve ``demo`` with this app's CSS, the configured address, login and upload cap.

    Raises:
        FormError: the address is beyond loopback and there is no login, unless
            ``insecure_no_auth`` (then it logs a warning instead).
    """
    # No run history: Gradio would keep every question and answer in the browser's storage,
    # which a shared newsroom machine should not. No monitoring endpoint either.
    options = dict(server_name=bind_host(web.host), server_port=web.port,
                   auth=forms.parse_auth(web.auth), css=CSS, max_file_size=web.upload_max_bytes,
                   footer_links=["api"], show_error=True, run_history=False, enable_monitoring=False)
    options.update(kwargs)
    problem = exposure_problem(options["server_name"], login=bool(options["auth"]))
    if problem and not insecure_no_auth:
        raise FormError(problem)
    if problem:
        log.warning("!!! SERVING ON %s WITHOUT A LOGIN (--insecure-no-auth): anyone who can reach port %s can "
                    "ask questions, read the indexed articles and upload files. Only do this behind a proxy "
                    "that authenticates every request.", options["server_name"], options["server_port"])
    return demo.launch(**options)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    try:
        settings, web = read_settings(args)
    except qa.NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.no_warm_up and WARMING is None:  # main() called from Python, not as a script
        start_warm_up(settings)
    if args.watch is not None:
        try:
            feeds.start_watching(settings, args.watch)
        except qa.NewsdeskError as exc:  # an --watch interval that does not parse
            print(f"error: {exc}", file=sys.stderr)
            return 2
    launch_app(build_app(settings, web), web, insecure_no_auth=args.insecure_no_auth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
