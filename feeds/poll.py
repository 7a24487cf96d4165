"""Live feeds: follow RSS and Atom feeds and index each new item's article as it appears.

A poll, per followed feed: fetch the feed (a conditional request: an unchanged feed answers
304 and costs nothing more), parse it with ``feedparser``, and for each item not fetched
before, fetch its page and extract the article as a build extracts an ``.html`` file
(``embeddings.extract_html``). Each article is written as one JSON record under
``data/feeds/HOST/`` (title, text, date, source = the feed's title, URL); that folder is an
ordinary input of the index, synced by one incremental ``build_index`` at the end of the
poll. So articles reach the chat through the same atomic commit as any other (the chat
answers from the old generation until the new one is complete), a later ``build`` with no
inputs re-syncs the folder with the rest, and since records are only ever added, a poll
never removes an article from the index: not another input's, not an earlier poll's.

Failures stay small: a feed that fails (DNS, HTTP error, timeout, not a feed, malformed XML)
is reported and skipped until its retry time, which doubles with each failure in a row; an
item whose page fails (or holds no article) is retried the same way, and given up after
``MAX_ITEM_TRIES``. Nothing of one feed stops another. What is known about each feed lives in
``data/feeds.json`` (``state``).

Nothing inside the network is fetched (``addresses``): a feed whose host is or resolves to
a loopback, private, link-local ... address is refused when it is added, and every
connection of a poll (the feed, each redirect, each item's page, each robots.txt) is checked
again. An item's page is fetched only if its site's robots.txt allows it (``robots``); one it
disallows is counted in the summary and never asked again. One poll runs at a time
(``state.poll_lock``).

Two settings objects meet here: ``embeddings.Settings`` says where the feed list, the
articles and the index live (and how the index is built), ``FeedSettings`` how to fetch.
Each function takes both; either left out is read from the environment.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urljoin, urlsplit

from embeddings import (BuildReport, Embedder, IndexBusyError, InvalidInputError, NewsdeskError, Settings,
                        atomic_write, build_index, clean_text, decode_bytes, extract_html, normalize_date,
                        normalize_line, not_an_article)

from .errors import AddressRefusedError, FetchError
from .fetch import Fetcher, check_address, check_url, redact_url
from .settings import FeedSettings
from .state import Feed, ItemRetry, edit_state, load_state, poll_lock

STATE_FILE = "feeds.json"  # in the data directory
ARTICLES_FOLDER = "feeds"  # in the data directory: the fetched articles, an index input
MAX_ITEM_TRIES = 5  # a page that fails this many polls in a row is given up
MAX_BACKOFF_S = 6 * 3600.0
BUSY_WAIT_S = 120.0  # another build (an upload in the web app) holds the index: wait this long
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


def state_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / STATE_FILE


def articles_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / ARTICLES_FOLDER


# --- the feed list -----------------------------------------------------------------------

def add_feed(url: str, settings: Settings | None = None, now: float | None = None,
             feed_settings: FeedSettings | None = None) -> Feed:
    """Follow a feed; its items are fetched from the next poll on.

    Its host is resolved now: one that is, or resolves to, an address inside the network is
    refused before anything is saved (a host that does not resolve yet is added; the poll
    reports it).

    Raises:
        InvalidInputError: not an http(s) URL, a URL with a password, a host inside the
            network (the message names ``NEWSDESK_FEED_ALLOW_NETWORKS``), or already followed.
        FeedStateError: the state file is damaged.
    """
    settings = settings or Settings.from_env()
    feed_settings = feed_settings or FeedSettings.from_env()
    url = check_url(url)
    try:
        check_address(url, feed_settings.feed_allow_networks)
    except FetchError as exc:  # refused, or a host name that is no valid international name
        raise InvalidInputError(str(exc)) from None
    with edit_state(state_path(settings)) as state:
        if state.find(url):
            raise InvalidInputError(f"{url} is already followed; `python -m feeds feed list` shows the feeds")
        feed = Feed(url=url, added_at=_iso(time.time() if now is None else now))
        state.feeds.append(feed)
    return feed


def remove_feed(url: str, settings: Settings | None = None) -> Feed:
    """Stop following a feed. The articles already indexed from it stay.

    Raises:
        InvalidInputError: the feed is not followed.
        FeedStateError: the state file is damaged.
    """
    settings = settings or Settings.from_env()
    url = (url or "").strip()
    with edit_state(state_path(settings)) as state:
        # Or as it is shown: a feed saved with a password before they were refused is listed
        # without it, and removed by that name.
        feed = state.find(url) or next((f for f in state.feeds if redact_url(f.url) == url), None)
        if feed is None:
            raise InvalidInputError(f"{redact_url(url)[:200] or 'that URL'} is not followed; "
                                    "`python -m feeds feed list` shows the feeds")
        state.feeds.remove(feed)
    return feed


def list_feeds(settings: Settings | None = None) -> list[Feed]:
    """The followed feeds, in the order they were added.

    Raises:
        FeedStateError: the state file is damaged.
    """
    settings = settings or Settings.from_env()
    return load_state(state_path(settings)).feeds


# --- a poll ------------------------------------------------------------------------------

@dataclass
class FeedResult:
    """What one poll did with one feed."""

    url: str
    title: str = ""
    status: str = "ok"  # "ok", "not modified", "failed", "waiting" (backing off)
    new: list[str] = field(default_factory=list)  # titles of the articles written
    problems: list[str] = field(default_factory=list)  # per item: "LINK: reason"
    error: str = ""
    next_retry: str = ""
    disallowed: list[str] = field(default_factory=list)  # links robots.txt disallows: not fetched, not asked again

    def lines(self) -> list[str]:
        url = redact_url(self.url)
        name = f"{self.title} ({url})" if self.title else url
        if self.status == "failed":
            head = f"{name}: failed: {self.error}; retry after {self.next_retry}"
        elif self.status == "waiting":
            head = f"{name}: waiting to retry after {self.next_retry} (last error: {self.error})"
        elif self.status == "not modified" and not self.new:
            head = f"{name}: not modified"
        else:
            head = f"{name}: {len(self.new)} new"
        if self.disallowed:
            head += f", {len(self.disallowed)} disallowed by robots.txt"
        return [head, *(f"  + {t}" for t in self.new), *(f"  ! {p}" for p in self.problems)]


@dataclass
class PollReport:
    feeds: list[FeedResult] = field(default_factory=list)
    build: BuildReport | None = None  # None: nothing to index
    build_error: str = ""
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(len(f.new) for f in self.feeds)

    @property
    def failed(self) -> int:
        return sum(f.status == "failed" for f in self.feeds)

    @property
    def disallowed(self) -> int:
        return sum(len(f.disallowed) for f in self.feeds)

    def summary(self) -> str:
        if not self.feeds:
            return "no feeds to poll: add one with `python -m feeds feed add URL`"
        lines = [f"polled {len(self.feeds)} feed{'s' if len(self.feeds) != 1 else ''} in {self.seconds:.1f} s: "
                 f"{self.new} new article{'s' if self.new != 1 else ''}, {self.failed} failed"
                 + (f", {self.disallowed} disallowed by robots.txt" if self.disallowed else "")]
        for result in self.feeds:
            lines += [f"  {line}" for line in result.lines()]
        if self.build_error:
            lines.append(f"not indexed yet: {self.build_error} (the articles are kept; the next poll indexes them)")
        elif self.build is not None:
            lines.append(self.build.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict:
        build = self.build
        return {
            "feeds": [vars(f) | {"url": redact_url(f.url)} for f in self.feeds], "new": self.new,
            "failed": self.failed, "disallowed": self.disallowed,
            "build_error": self.build_error, "seconds": round(self.seconds, 3),
            "index": None if build is None else {
                "added": build.added, "updated": build.updated, "removed": build.removed,
                "articles": build.articles, "chunks": build.chunks, "generation": build.generation},
        }


def poll_feeds(settings: Settings | None = None, embedder: Embedder | None = None, fetcher: Fetcher | None = None,
               progress: bool = False, now: Callable[[], float] = time.time,
               only: Sequence[str] = (), on_progress: Callable[[int, int], None] | None = None,
               feed_settings: FeedSettings | None = None) -> PollReport:
    """Poll every followed feed once (those backing off after a failure wait) and index
    what is new.

    Args:
        settings: data directory and index.
        embedder: for the build (default: the packaged one, loaded only if there is news).
        fetcher: shared with other polls to keep the per-host delay across them.
        progress: a progress bar on stderr while embedding.
        only: poll just these feed URLs (e.g. one just added); default all.
        on_progress: called with (chunks embedded, chunks to embed) while indexing.
        feed_settings: the fetch knobs (``feed_*``; default: from the environment).

    Returns:
        Per feed, what was new, what failed and when it is retried; the build's report.

    Raises:
        FeedStateError: the state file is damaged (nothing is fetched).
        PollBusyError: another poll is running (nothing is fetched); the message says since when.
    """
    settings = settings or Settings.from_env()
    feed_settings = feed_settings or FeedSettings.from_env()
    with poll_lock(state_path(settings)):
        return _poll(settings, feed_settings, embedder, fetcher or Fetcher.from_settings(feed_settings), progress, now,
                     only, on_progress)


def _poll(settings: Settings, knobs: FeedSettings, embedder: Embedder | None, fetcher: Fetcher, progress: bool,
          now: Callable[[], float], only: Sequence[str], on_progress: Callable[[int, int], None] | None) -> PollReport:
    started = time.monotonic()
    report = PollReport()
    path = state_path(settings)
    for snapshot in load_state(path).feeds:
        if only and snapshot.url not in only:
            continue
        # Polled from a copy, without the lock: a feed added or removed meanwhile (the CLI, the
        # web page) is kept, and the result goes into the state as it is then.
        try:
            result, polled = _poll_feed(snapshot, fetcher, settings, knobs, now)
        except Exception as exc:  # a bug: this feed's failure, not the poll's
            result = FeedResult(snapshot.url, snapshot.title)
            polled = _failed(snapshot, FetchError(f"{exc.__class__.__name__}: {exc}"[:200]), knobs, now, result)
            written = True  # what it wrote before the error must still be indexed
        else:
            written = bool(result.new)
        report.feeds.append(result)
        with edit_state(path) as state:
            if polled is not None and state.find(polled.url) is not None:
                state.feeds[state.feeds.index(state.find(polled.url))] = polled
            state.index_pending = state.index_pending or written
    if load_state(path).index_pending and articles_dir(settings).is_dir():
        _index(settings, embedder, progress, on_progress, report)
    report.seconds = time.monotonic() - started
    return report


def _index(settings: Settings, embedder: Embedder | None, progress: bool,
           on_progress: Callable[[int, int], None] | None, report: PollReport) -> None:
    waited = 0.0
    while True:
        try:
            report.build = build_index([articles_dir(settings)], settings, embedder=embedder, progress=progress,
                                       on_progress=on_progress)
            break
        except IndexBusyError as exc:
            if waited >= BUSY_WAIT_S:
                report.build_error = str(exc)
                return
            time.sleep(2.0)
            waited += 2.0
        except NewsdeskError as exc:  # a damaged or mismatched index: the message names the fix
            report.build_error = str(exc)
            return
    with edit_state(state_path(settings)) as state:
        state.index_pending = False


def _poll_feed(feed: Feed, fetcher: Fetcher, settings: Settings, knobs: FeedSettings,
               now: Callable[[], float]) -> tuple[FeedResult, Feed | None]:
    """(what happened, the feed's new state; None when it was left alone)."""
    result = FeedResult(feed.url, feed.title)
    if feed.next_retry and _epoch(feed.next_retry) > now():
        result.status, result.error, result.next_retry = "waiting", feed.last_error, feed.next_retry
        return result, None
    feed.last_poll = _iso(now())
    try:
        response = fetcher.get(feed.url, feed.etag, feed.modified, accept=FEED_ACCEPT)
        entries = [] if response.not_modified else _parse(response)
    except FetchError as exc:
        return result, _failed(feed, exc, knobs, now, result)
    if response.not_modified:
        result.status = "not modified"
    else:
        feed.title = entries.title or feed.title or _host(feed.url)
        result.title = feed.title
    feed.failures, feed.last_error, feed.next_retry, feed.last_success = 0, "", "", feed.last_poll
    budget = max(knobs.feed_max_items, 0)
    # Items that failed before come first: they were due earlier.
    for item_id, retry in list(feed.retries.items()):
        if budget and _epoch(retry.next_retry) <= now():
            budget -= 1
            _fetch_item(feed, item_id, retry, fetcher, settings, knobs, now, result)
    fresh, listed = [], set()
    for entry in entries:  # in the feed's order; an id listed twice (feeds do that) is one item
        if entry.id not in listed and entry.id not in feed.seen and entry.id not in feed.retries:
            fresh.append(entry)
            listed.add(entry.id)
    for entry in fresh[:budget]:
        _fetch_item(feed, entry.id, ItemRetry(entry.link, entry.title, entry.published, tries=0),
                    fetcher, settings, knobs, now, result)
    if len(fresh) > budget:
        # Some items wait for the next poll: a 304 then would hide them, so ask unconditionally.
        feed.etag = feed.modified = ""
        result.problems.append(f"{len(fresh) - budget} more new items are fetched at the next poll "
                               f"(NEWSDESK_FEED_MAX_ITEMS={knobs.feed_max_items})")
    elif not response.not_modified:
        feed.etag = response.headers.get("etag", "")
        feed.modified = response.headers.get("last-modified", "")
    feed.new_items = len(result.new)
    feed.total_items += len(result.new)
    return result, feed


def _failed(feed: Feed, exc: FetchError, knobs: FeedSettings, now: Callable[[], float], result: FeedResult) -> Feed:
    """Record a failed poll of ``feed``: its error, and a retry time that doubles each time."""
    feed.failures += 1
    feed.last_error = str(exc)
    feed.next_retry = _iso(now() + _backoff(knobs, feed.failures, exc.retry_after_s))
    result.status, result.error, result.next_retry = "failed", feed.last_error, feed.next_retry
    return feed


def _fetch_item(feed: Feed, item_id: str, item: ItemRetry, fetcher: Fetcher, settings: Settings,
                knobs: FeedSettings, now: Callable[[], float], result: FeedResult) -> None:
    """Fetch one item's page into the feeds folder (if its site's robots.txt allows); on
    failure, schedule or give up its retry."""
    shown = redact_url(item.link or item.title or item_id)
    try:
        if not item.link:
            raise _Permanent("the item has no link")
        try:
            check_url(item.link, "item link")
        except InvalidInputError as exc:
            raise _Permanent(str(exc)) from None
        try:
            if not fetcher.allowed_by_robots(item.link):
                raise _Disallowed()
            record = _article(feed, item_id, item, fetcher)
        except AddressRefusedError as exc:  # the link, a redirect or robots.txt reach inside: no retry mends it
            raise _Permanent(str(exc)) from None
        try:
            _write_record(articles_dir(settings), record)
        except OSError as exc:  # a full disk, say: the page is fine, so it is tried again
            raise FetchError(f"could not store the article: {exc.strerror or exc}") from None
    except _Permanent as exc:
        feed.retries.pop(item_id, None)
        feed.remember(item_id)
        result.problems.append(f"{shown[:120]}: skipped: {exc}")
        return
    except _Disallowed:
        feed.retries.pop(item_id, None)
        feed.remember(item_id)  # asked once: a site that says no is not asked again for this item
        result.disallowed.append(shown)
        result.problems.append(f"{shown[:120]}: not fetched: its site's robots.txt disallows it")
        return
    except FetchError as exc:
        item.tries += 1
        item.error = str(exc)
        if item.tries >= MAX_ITEM_TRIES:
            feed.retries.pop(item_id, None)
            feed.remember(item_id)
            result.problems.append(f"{shown[:120]}: gave up after {item.tries} tries: {exc}")
            return
        item.next_retry = _iso(now() + _backoff(knobs, item.tries, exc.retry_after_s))
        feed.retries[item_id] = item
        result.problems.append(f"{shown[:120]}: {exc}; retry after {item.next_retry}")
        return
    feed.retries.pop(item_id, None)
    feed.remember(item_id)
    result.new.append(record["title"] or record["url"])


class _Permanent(Exception):
    """An item that no retry can mend (no link, a file: link, a link inside the network):
    skipped for good."""


class _Disallowed(Exception):
    """An item whose site's robots.txt disallows its page: not fetched, counted, remembered."""


def _article(feed: Feed, item_id: str, item: ItemRetry, fetcher: Fetcher) -> dict:
    """The JSON record of one item's article, as ``ingest`` reads it back."""
    response = fetcher.get(item.link, accept=PAGE_ACCEPT)
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind and not (kind.startswith("text/") or "html" in kind or "xml" in kind):
        raise FetchError(f"not a web page ({kind})")
    html = None
    if response.charset:
        try:
            html = response.body.decode(response.charset)
        except (LookupError, UnicodeDecodeError):
            html = None
    html = html if html is not None else decode_bytes(response.body)
    if not html or not html.strip():
        raise FetchError("empty or undecodable page")
    try:
        fields = extract_html(html)
    except ValueError as exc:
        raise FetchError(f"could not read the page ({exc})"[:200]) from None
    body = clean_text(fields["text"]) if fields else ""
    if not body:
        raise FetchError("no article text found on the page")
    reason = not_an_article(body)
    if reason:
        raise FetchError(f"no article on the page: {reason}")
    return {
        "title": normalize_line(item.title) or fields["title"],
        "text": fields["text"],
        "url": response.url,
        "publish_date": item.published or fields["publish_date"],
        "source": feed.title or _host(feed.url),
        "feed": feed.url,
        "guid": item_id,
        "fetched_at": _iso(time.time()),
    }


def _write_record(folder: Path, record: dict) -> Path:
    # One file per article URL: an article listed by two feeds is one file, indexed once.
    path = folder / _safe_host(record["url"]) / f"{hashlib.sha256(record['url'].encode()).hexdigest()[:20]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, indent=1))
    return path


# --- parsing -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    id: str
    link: str
    title: str
    published: str


class _Entries(list):
    title: str = ""


def _parse(response) -> _Entries:
    """The items of an RSS or Atom feed, newest first as the feed lists them.

    Raises:
        FetchError: the document is not a feed, or XML too broken to read any item from.
    """
    import feedparser  # ~0.1 s; only a poll needs it

    # Bytes, never a URL or a path: given a string, feedparser would fetch or open it itself.
    parsed = feedparser.parse(response.body, response_headers={**response.headers, "content-location": response.url})
    problem = parsed.get("bozo_exception")
    broken = parsed.get("bozo") and problem is not None and _is_xml_error(problem)
    entries = _Entries()
    entries.title = normalize_line(parsed.feed.get("title", "") or "")
    for raw in parsed.entries:
        link = (raw.get("link") or "").strip()
        title = normalize_line(raw.get("title", "") or "")
        item_id = (raw.get("id") or link or hashlib.sha256(f"{title}\n{raw.get('summary', '')}".encode()).hexdigest())
        entries.append(_Entry(str(item_id)[:500], link, title, _entry_date(raw)))
    if not parsed.get("version"):
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if "html" in kind or response.body.lstrip()[:200].lower().startswith((b"<!doctype html", b"<html")):
            named = _feed_links(response)
            if named:
                raise FetchError(f"not an RSS or Atom feed but a web page, which names its feed: {named[0]}; "
                                 "follow that address instead")
            raise FetchError("not an RSS or Atom feed but a web page: use the address of the site's feed "
                             "(often linked as RSS, or ending in /feed or .xml)")
        if broken:
            raise FetchError(f"not an RSS or Atom feed: malformed XML ({_xml_problem(problem)})")
        raise FetchError("not an RSS or Atom feed")
    if broken and not any(e.link for e in entries):
        raise FetchError(f"malformed XML ({_xml_problem(problem)}): no item could be read")
    return entries


def _feed_links(response) -> list[str]:
    """The feeds a web page names in its head (``<link rel="alternate" type="application/rss+xml">``)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            a = {k: (v or "") for k, v in attrs}
            if tag == "link" and "alternate" in a.get("rel", "").lower().split() and \
                    a.get("type", "").lower() in ("application/rss+xml", "application/atom+xml") and a.get("href"):
                link = urljoin(response.url, a["href"].strip())
                if urlsplit(link).scheme in ("http", "https"):
                    found.append(link)

    try:
        Links().feed((decode_bytes(response.body) or "")[:200_000])
    except Exception:  # a page too odd to read is just a page without a named feed
        return []
    return found


def _is_xml_error(exc: BaseException) -> bool:
    import xml.sax

    return isinstance(exc, xml.sax.SAXException)


def _xml_problem(exc: BaseException) -> str:
    line = getattr(exc, "getLineNumber", lambda: None)()
    message = getattr(exc, "getMessage", lambda: str(exc))()
    return f"{message} at line {line}" if line else str(message)


def _entry_date(raw) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = raw.get(key)
        if parsed:
            try:  # feedparser gives UTC struct_time
                return datetime.fromtimestamp(calendar.timegm(parsed), timezone.utc).date().isoformat()
            except (OverflowError, ValueError, OSError):
                continue
    return normalize_date(raw.get("published", "") or raw.get("updated", "") or "")


# --- watching ----------------------------------------------------------------------------

def watch(settings: Settings | None = None, every_s: float | None = None, once: bool = False,
          stop: threading.Event | None = None, on_report: Callable[[PollReport], None] = lambda r: None,
          on_error: Callable[[NewsdeskError], None] | None = None, embedder: Embedder | None = None,
          progress: bool = False, feed_settings: FeedSettings | None = None) -> PollReport | None:
    """Poll every ``every_s`` seconds (default ``feed_settings.feed_poll_s``) until ``stop`` is set.

    Args:
        once: poll once and return that poll's report.
        on_report: called with each poll's report.
        on_error: called with a poll's error (a damaged state file), after which watching
            goes on; without it the error is raised.

    Raises:
        FeedStateError: the state file is damaged, unless ``on_error`` takes it.
    """
    settings = settings or Settings.from_env()
    feed_settings = feed_settings or FeedSettings.from_env()
    every = feed_settings.feed_poll_s if every_s is None else every_s
    stop = stop or threading.Event()
    fetcher = Fetcher.from_settings(feed_settings)
    while True:
        started = time.monotonic()
        try:
            report = poll_feeds(settings, embedder, fetcher, progress, feed_settings=feed_settings)
        except NewsdeskError as exc:
            if on_error is None or once:
                raise
            on_error(exc)
        else:
            on_report(report)
            if once:
                return report
        if stop.wait(max(1.0, every - (time.monotonic() - started))):
            return None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``"15m"``, ``"90s"``, ``"1h"``, ``"900"`` (seconds).

    Raises:
        InvalidInputError: anything else, or under 10 seconds (a feed polled that often is
            hammered, not read).
    """
    match = _DURATION.match(str(text))
    if not match:
        raise InvalidInputError(f"{text!r} is not an interval: write e.g. 15m, 90s, 1h or 900 (seconds)")
    seconds = float(match.group(1)) * _UNIT_S[(match.group(2) or "s").lower()]
    if seconds < 10:
        raise InvalidInputError(f"an interval of {text} is too short to be polite; poll every 10 s or more")
    return seconds


# --- helpers -----------------------------------------------------------------------------

def _backoff(knobs: FeedSettings, failures: int, retry_after_s: float | None) -> float:
    wait = min(knobs.feed_retry_s * 2 ** max(failures - 1, 0), MAX_BACKOFF_S)
    return max(wait, min(retry_after_s or 0.0, MAX_BACKOFF_S))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0  # an unreadable time is no reason to wait


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _safe_host(url: str) -> str:
    parts = urlsplit(url)
    name = f"{parts.hostname or 'unknown'}{f'_{parts.port}' if parts.port else ''}"
    return re.sub(r"[^a-z0-9._-]", "_", name.lower()).lstrip(".") or "unknown"

