"""The Index panel's Feeds tab: the followed feeds as HTML, adding, removing and polling one,
and the background poller that ``app.py --watch`` runs beside the chat.

The work is ``feeds``' (``add_feed``, ``poll_feeds``, ``watch``); this module turns it
into what the page shows: escaped HTML, one-line messages, and a thread. Polls from the
page and from the background never overlap (one lock), and both index through the same
atomic build, so the chat answers from the old index until a poll's articles are all in.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, NamedTuple

from embeddings import NewsdeskError, Settings
from feeds import (Feed, FeedSettings, Fetcher, PollBusyError, PollReport, add_feed, list_feeds, parse_duration,
                   poll_feeds, redact_url, remove_feed)

from .errors import user_message
from .render import esc, safe_url, when
from .watchlist import after_poll
from qa import plural

log = logging.getLogger("newsdesk.feeds")

_poll_lock = threading.Lock()  # one poll at a time: the background one or a click's
_watcher: "FeedWatcher | None" = None  # the running background poller, if any


# --- what the tab shows ------------------------------------------------------------------

def feeds_panel(settings: Settings) -> str:
    """The followed feeds as an HTML table (escaped): title and URL, last poll, new items,
    last error; a damaged feed list is shown as its message."""
    try:
        found = list_feeds(settings)
    except NewsdeskError as exc:
        return f'<div class="nd-error" role="alert">{esc(exc)}</div>'
    status = f'<div class="nd-hint">{esc(watch_status())}</div>'
    if not found:
        return ('<div class="nd-panel-empty" id="nd-feeds-empty">No feeds yet: paste the address of an RSS or Atom '
                f"feed below and press Add feed.</div>{status}")
    rows = "".join(_row(f) for f in found)
    return (f'<table class="nd-feeds"><thead><tr><th>Feed</th><th>Last poll</th><th>New</th><th>Last error</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>{status}")


def _row(feed: Feed) -> str:
    # redact_url: a feed saved with a password before they were refused is shown without it.
    shown = redact_url(feed.url)
    link = safe_url(shown)
    url = f'<a href="{esc(link)}" target="_blank" rel="noopener noreferrer">{esc(shown)}</a>' if link \
        else esc(shown)
    title = f'<div class="nd-feed-title">{esc(feed.title)}</div>' if feed.title else ""
    error = feed.last_error
    if error and feed.next_retry:
        error += f" (retry after {when(feed.next_retry)})"
    if feed.retries:
        waiting = f"{len(feed.retries)} {plural(len(feed.retries), 'article')} to retry"
        error = f"{error}; {waiting}" if error else waiting
    return (f'<tr class="nd-feed"><td>{title}<div class="nd-feed-url">{url}</div></td>'
            f"<td>{esc(when(feed.last_poll) if feed.last_poll else 'not yet')}</td>"
            f'<td title="{feed.total_items} in all">{feed.new_items}</td>'
            f'<td class="nd-feed-error">{esc(error)}</td></tr>')


def feed_urls(settings: Settings) -> list[str]:
    """The followed feeds' URLs as shown (no password), for the "remove" menu ([] when the list
    is unreadable); ``remove`` takes them back."""
    try:
        return [redact_url(f.url) for f in list_feeds(settings)]
    except NewsdeskError:
        return []


def watching() -> bool:
    """Whether the background poller runs (``app.py --watch``)."""
    return _watcher is not None and _watcher.is_alive()


def watch_status() -> str:
    if not watching():
        return ("Feeds are polled when you press Poll now; start the app with --watch to poll them in the "
                "background.")
    return f"Polled in the background every {_minutes(_watcher.every_s)}" + (
        f"; last poll {when(_watcher.last_poll)}." if _watcher.last_poll else "; first poll under way.")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


# --- what the tab does -------------------------------------------------------------------

class Added(NamedTuple):
    """What adding a feed did: ``url`` as stored ("" when it was not added), ``message`` to show."""

    url: str
    message: str


def add(url: str, settings: Settings) -> Added:
    """Follow ``url``.

    Checked before it is saved: an address inside the network, or one with a password, is
    refused with the reason (``add_feed``)."""
    try:
        feed = add_feed(url, settings)
    except NewsdeskError as exc:
        return Added("", f"Not added: {exc}")
    return Added(feed.url, f"Following {feed.url}; fetching its articles now.")


def remove(url: str | None, settings: Settings) -> str:
    if not url:
        return "Choose a feed to remove first."
    try:
        feed = remove_feed(url, settings)
    except NewsdeskError as exc:
        return f"Not removed: {exc}"
    return (f"Stopped following {redact_url(feed.url)}; the {feed.total_items} "
            f"{plural(feed.total_items, 'article')} "
            "indexed from it stay in the index.")


def poll_now(settings: Settings, only: tuple[str, ...] = (), on_progress: Callable[[int, int], None] | None = None,
             wait_s: float = 600.0) -> str:
    """Poll the feeds (or ``only`` these) now and index what is new: the summary to show.

    A poll already running (the background one) is waited for, up to ``wait_s``.
    """
    if not _poll_lock.acquire(timeout=wait_s):
        return "A poll is still running; the list shows its results when it ends (press Refresh)."
    try:
        report = poll_feeds(settings, fetcher=_watcher.fetcher if _watcher else None, only=only,
                            on_progress=on_progress)
    except PollBusyError as exc:  # a `watch` in a terminal, say: its results show here when it ends
        return f"Not polled: {exc}."
    except Exception as exc:
        return user_message(exc, "polling the feeds", known="Poll failed: {}", logger=log,
                            generic="Poll failed; the details are in the server log.")
    finally:
        _poll_lock.release()
    return report.summary()


# --- the background poller ---------------------------------------------------------------

class FeedWatcher(threading.Thread):
    """Polls every ``every_s`` seconds until ``stop()``; logs each poll's summary."""

    def __init__(self, settings: Settings, every_s: float, feed_settings: FeedSettings | None = None) -> None:
        super().__init__(name="feed-watcher", daemon=True)
        self.settings = settings
        self.feed_settings = feed_settings or FeedSettings.from_env()
        self.every_s = every_s
        self.last_poll = ""
        self.fetcher: Fetcher | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        self.fetcher = Fetcher.from_settings(self.feed_settings)
        while not self._stop_event.is_set():
            started = time.monotonic()
            with _poll_lock:
                try:
                    report = poll_feeds(self.settings, fetcher=self.fetcher, feed_settings=self.feed_settings)
                    self._log(report)
                    if report.new:  # saved searches light up after a poll
                        after_poll(self.settings)
                except NewsdeskError as exc:  # a damaged feed list: said each poll until it is mended
                    log.warning("feeds not polled: %s", exc)
                except Exception:  # the next poll may work: never let one poll end the thread
                    log.exception("polling the feeds failed")
            self.last_poll = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self._stop_event.wait(max(1.0, self.every_s - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop_event.set()

    @staticmethod
    def _log(report: PollReport) -> None:
        if report.feeds:
            log.info("feeds polled: %s", report.summary())


def start_watching(settings: Settings, every: str = "", feed_settings: FeedSettings | None = None) -> FeedWatcher:
    """Start polling the feeds in the background, every ``every`` (``"15m"``; default:
    ``feed_settings.feed_poll_s``; ``feed_settings`` default: from the environment). Raises
    ``InvalidInputError`` for an interval that does not parse."""
    global _watcher
    feed_settings = feed_settings or FeedSettings.from_env()
    every_s = parse_duration(every) if every else feed_settings.feed_poll_s
    if _watcher is not None and _watcher.is_alive():
        _watcher.stop()
    _watcher = FeedWatcher(settings, every_s, feed_settings)
    _watcher.start()
    return _watcher

