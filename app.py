"""Newsdesk web chat: ask questions about the indexed news, get answers that cite their sources.

    python app.py [--host 127.0.0.1] [--port 7860] [--auth user:password]

Serving beyond loopback (``--host 0.0.0.0``) needs ``--auth``, or ``--insecure-no-auth``
behind a proxy of your own that authenticates every request.

Environment variables set the defaults and flags override them: ``NEWSDESK_HOST``,
``NEWSDESK_PORT``, ``NEWSDESK_AUTH``, ``NEWSDESK_UPLOAD_MAX_MB`` (``webui.WebSettings``, how
the chat is served), ``NEWSDESK_DATA_DIR``, ``NEWSDESK_MODEL`` ... (``qa.Settings``) and
``NEWSDESK_FEED_*`` (``feeds.FeedSettings``, how feeds are fetched).

This module starts the app, top to bottom: the start-up (arguments, settings, the models'
warm-up before gradio is imported), ``layout`` (the page's parts, as a ``Page``), ``wire``
(their events), ``build_app`` (both), ``launch_app`` and ``main``. Each part of the page
(a tab, the Index panel, the ``/ask`` API) is a module of ``pages``, with its components,
layout and wiring; the handlers behind them are ``webui``'s, free of gradio.
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

STARTED = time.monotonic()  # "ready after start" counts from here

import qa  # noqa: E402
from feeds import FeedSettings  # noqa: E402
from webui import CSS, FormError, WebSettings, feeds, forms  # noqa: E402

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

# The page's parts import gradio: only after the warm-up above has started.
from pages.api import wire_api  # noqa: E402
from pages.article import ArticleTab, article_tab, links_listener, wire_article  # noqa: E402
from pages.briefing import BriefingTab, briefing_tab, wire_briefing  # noqa: E402
from pages.chat import ChatTab, Conversation, chat_tab, conversation, sources_box, wire_chat  # noqa: E402
from pages.feeds import wire_feeds  # noqa: E402
from pages.filters import Filters, filters_panel, wire_filters  # noqa: E402
from pages.index import IndexPanel, index_panel, wire_coverage, wire_index  # noqa: E402
from pages.search import SearchTab, search_tab, wire_search  # noqa: E402
from pages import startup_probe  # noqa: E402
from pages.takeaway import wire_takeaway  # noqa: E402
from pages.watchlist import WatchPanel, watch_panel, wire_watchlist  # noqa: E402


# --- the page -------------------------------------------------------------------------------

@dataclass
class Page:
    """The page's parts, as ``layout`` placed them, for ``wire`` to connect."""

    tabs: gr.Tabs  # Chat | Briefing | Search | Article
    chat: ChatTab
    briefing: BriefingTab
    search: SearchTab
    article: ArticleTab
    sources_html: gr.HTML  # the answer's sources, beside the tabs
    watches: WatchPanel  # saved searches, beside the tabs
    filters: Filters  # Search settings
    index: IndexPanel
    conversation: Conversation


HEADER = ('<div class="nd-header"><h1>Newsdesk</h1><p>Answers drawn only from the indexed '
          "articles, with every claim linked to its source. Hover or click a [n] to read it.</p></div>")


def layout(settings: qa.Settings, web: WebSettings) -> Page:
    """Place the page's parts; call inside a ``gr.Blocks`` context. Nothing is wired yet."""
    gr.HTML(HEADER)
    open_links = links_listener()
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            with gr.Tabs(elem_id="nd-tabs") as tabs:
                chat = chat_tab()
                briefing = briefing_tab()
                search = search_tab()
                article = article_tab(open_links)
        with gr.Column(scale=2, min_width=320):
            sources_html = sources_box()
            watches = watch_panel()
            filters = filters_panel(settings)
            index = index_panel(web)
    return Page(tabs, chat, briefing, search, article, sources_html, watches, filters, index, conversation())


def wire(demo: gr.Blocks, p: Page, settings: qa.Settings, web: WebSettings) -> None:
    """Connect each part's events; call inside ``demo``'s context."""
    f = p.filters
    wire_chat(p.chat, p.conversation, p.sources_html, f, settings, web)
    wire_filters(f)
    redraw = wire_index(demo, p.index, p.chat.example_btns, f.sources, settings, web)
    wire_feeds(demo, p.index.feeds, p.index.report, settings, redraw)
    wire_briefing(demo, p.briefing, settings, index_html=p.index.html, question=p.chat.question,
                  date_from=f.date_from, date_to=f.date_to, sources=f.sources, tabs=p.tabs)
    wire_watchlist(demo, p.watches, settings, query=p.search.query, date_from=f.date_from, date_to=f.date_to,
                   sources=f.sources, index_html=p.index.html)
    wire_coverage(p.index, settings)
    wire_takeaway(p.chat, p.conversation.turns, settings)
    wire_search(p.search, f, settings)
    wire_article(p.article, p.tabs, settings)
    wire_api(settings, web)


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
    startup_probe.install()  # a busy machine's first page took over Gradio's 3 s to answer
    return demo.launch(**options)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    try:
        settings, web = read_settings(args)
        feed_settings = FeedSettings.from_env()  # a typo in NEWSDESK_FEED_* stops the start, not the first poll
    except qa.NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.no_warm_up and WARMING is None:  # main() called from Python, not as a script
        start_warm_up(settings)
    if args.watch is not None:
        try:
            feeds.start_watching(settings, args.watch, feed_settings)
        except qa.NewsdeskError as exc:  # an --watch interval that does not parse
            print(f"error: {exc}", file=sys.stderr)
            return 2
    launch_app(build_app(settings, web), web, insecure_no_auth=args.insecure_no_auth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
