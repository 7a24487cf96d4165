"""The followed feeds and what is known about each, in one JSON file in the data directory.

``data/feeds.json`` holds, per feed: its URL and title, when it was added and last polled,
the validators for conditional requests (``ETag``, ``Last-Modified``), the ids of the items
already fetched, the items waiting to be retried, the counts of new items, and the last
error with the time of the next retry. The CLI, ``watch`` and the web app all change it, in
other processes or threads, so every change is a read-modify-write under a file lock
(``edit_state``), written whole with ``atomic_write``: a crash leaves the old file or the
new one. A file that does not read back is one ``FeedStateError`` that names the fix.

A whole poll holds a second lock (``poll_lock``), taken without waiting: two polls at once
(``watch --once`` in a terminal while the web app polls) would both fetch every new item.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from embeddings import atomic_write

from .errors import FeedStateError, PollBusyError

STATE_FORMAT = 1
MAX_SEEN_IDS = 5_000  # per feed: far more than any feed lists at once; the oldest are forgotten


@dataclass
class ItemRetry:
    """An item whose page failed; fetched again after ``next_retry``."""

    link: str
    title: str = ""
    published: str = ""  # ISO date from the feed, or ""
    tries: int = 1
    next_retry: str = ""  # ISO 8601 UTC
    error: str = ""


@dataclass
class Feed:
    url: str
    title: str = ""  # the feed's own title, once polled
    added_at: str = ""
    last_poll: str = ""  # the last attempt, ISO 8601 UTC
    last_success: str = ""
    etag: str = ""
    modified: str = ""  # Last-Modified, as the server sent it
    new_items: int = 0  # indexed by the last poll
    total_items: int = 0  # indexed from this feed since it was added
    last_error: str = ""  # "" when the last poll worked
    failures: int = 0  # polls failed in a row
    next_retry: str = ""  # after a failure: not polled before this time (ISO 8601 UTC)
    seen: list[str] = field(default_factory=list)  # ids of items fetched or given up, oldest first
    retries: dict[str, ItemRetry] = field(default_factory=dict)  # item id -> its pending retry

    def remember(self, item_id: str) -> None:
        if item_id not in self.seen:
            self.seen.append(item_id)
            del self.seen[:-MAX_SEEN_IDS]


@dataclass
class FeedState:
    feeds: list[Feed] = field(default_factory=list)
    # Articles were written to the feeds folder but the build that indexes them has not
    # finished (index busy or damaged, process killed): the next poll builds even with
    # nothing new.
    index_pending: bool = False

    def find(self, url: str) -> Feed | None:
        return next((f for f in self.feeds if f.url == url), None)


_thread_lock = threading.Lock()  # flock is per open file, so threads of one process also need this


@contextmanager
def edit_state(path: Path) -> Iterator[FeedState]:
    """``with edit_state(p) as state: ...``: the state, saved when the block ends normally.

    Holds an exclusive lock on ``path``'s lock file meanwhile, so a ``feed add`` from the CLI
    and a poll in the web app never overwrite each other's change.

    Raises:
        FeedStateError: the file is damaged (nothing is written then).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = load_state(path)
        yield state
        save_state(path, state)


@contextmanager
def poll_lock(path: Path) -> Iterator[None]:
    """``with poll_lock(p): ...``: this process polls the feeds of state file ``path``.

    Not waited for: a second poll would only fetch again what the first is fetching, so it
    is refused at once, saying since when the other runs. The lock is the kernel's (flock),
    so a killed poller never leaves it behind.

    Raises:
        PollBusyError: another poll (another process, or another thread here) holds it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.poll.lock"), "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read(200).strip() or "since an unknown time"
            raise PollBusyError(f"another poll is running ({holder}); try again when it ends") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, process {os.getpid()}")
        lock.flush()
        yield  # closing the file releases the lock


def load_state(path: Path) -> FeedState:
    """The state in ``path``; an empty one when the file does not exist yet.

    Raises:
        FeedStateError: the file is unreadable, not JSON, or not in this format.
    """
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return FeedState()
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, f"cannot read it: {exc}") from exc
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise _damaged(path, f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        raise _damaged(path, "no list of feeds in it")
    if data.get("format") != STATE_FORMAT:
        raise _damaged(path, f"format {data.get('format')!r}, expected {STATE_FORMAT}")
    try:
        feeds = [_feed(item) for item in data["feeds"]]
    except (TypeError, ValueError) as exc:
        raise _damaged(path, str(exc)) from exc
    return FeedState(feeds, bool(data.get("index_pending", False)))


def save_state(path: Path, state: FeedState) -> None:
    data = {"format": STATE_FORMAT, "index_pending": state.index_pending,
            "feeds": [dataclasses.asdict(f) for f in state.feeds]}
    with atomic_write(path, "w") as fh:
        fh.write(json.dumps(data, ensure_ascii=False, indent=1))


def _feed(item) -> Feed:
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        raise ValueError("a feed entry without a 'url'")
    values = _checked(Feed, item)
    if not all(isinstance(s, str) for s in values.get("seen", [])):
        raise ValueError(f"feed {item['url']}: 'seen' is not a list of ids")
    retries = values.get("retries", {})
    if not all(isinstance(v, dict) and isinstance(v.get("link"), str) for v in retries.values()):
        raise ValueError(f"feed {item['url']}: a retry without a 'link'")
    values["retries"] = {k: ItemRetry(**_checked(ItemRetry, v)) for k, v in retries.items()}
    return Feed(**values)


def _checked(cls, item: dict) -> dict:
    """The fields of ``cls`` found in ``item``, each of its default's type; unknown keys are
    left out (a newer version's fields)."""
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in item:
            continue
        value = item[f.name]
        expected = type(f.default) if f.default is not dataclasses.MISSING else (
            type(f.default_factory()) if f.default_factory is not dataclasses.MISSING else str)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ValueError(f"'{f.name}' is {type(value).__name__}, expected {expected.__name__}")
        values[f.name] = value
    return values


def _damaged(path: Path, problem: str) -> FeedStateError:
    return FeedStateError(
        f"the feed list {path} is damaged ({problem[:200]}): restore it from a backup, or move it aside and "
        "add the feeds again with `python -m feeds feed add URL` (articles already fetched stay indexed)")
