"""Saved searches and their alerts: "tell me when something new on this arrives".

A saved search is a query with the Search tab's filters. When it is saved, the articles it
finds now are its baseline; after each build or poll ``check_watches`` searches again (the
same ``qa.search``: same ranking, same relevance floor) and lists the articles it had not
found before as *new since you last looked*, until ``mark_seen``. Kept in
``data_dir/watchlist.json`` (written whole, atomically, under a lock).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from embeddings import InvalidInputError, NewsIndex, SearchFilters, Settings, atomic_write
from feeds import FeedSettings, Fetcher, FetchError, redact_url

from .collection import INDEXES
from .dates import parse_date_range
from .question import validate_query
from ._search import MAX_RESULTS, search

FORMAT_VERSION = 1
MAX_WATCHES = 100
MAX_SOURCES = 20
MAX_UNSEEN = 200  # per saved search: the oldest alerts go first
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Alert:
    """An article a saved search found after it was saved."""

    article_id: str
    title: str
    source: str
    date: str
    url: str
    score: float
    found_at: str  # when the check found it (UTC, ISO)


@dataclass(frozen=True)
class Watch:
    id: str
    query: str
    date_from: str = ""
    date_to: str = ""
    sources: tuple[str, ...] = ()
    created: str = ""
    known: tuple[str, ...] = ()  # every article it has found, new or not
    unseen: tuple[Alert, ...] = field(default_factory=tuple)  # new since you last looked, newest found first

    @property
    def filters(self) -> SearchFilters | None:
        f = SearchFilters(self.date_from, self.date_to, tuple(self.sources))
        return None if f.is_empty() else f

    def to_dict(self, known: bool = False) -> dict:
        data = {"id": self.id, "query": self.query, "date_from": self.date_from, "date_to": self.date_to,
                "sources": list(self.sources), "created": self.created, "new": len(self.unseen),
                "unseen": [asdict(a) for a in self.unseen]}
        if known:
            data["known"] = list(self.known)
        return data


@dataclass(frozen=True)
class WatchCheck:
    """What one check found for one saved search."""

    watch: Watch
    new: tuple[Alert, ...]

    def to_dict(self) -> dict:
        return {"id": self.watch.id, "query": self.watch.query, "new": [asdict(a) for a in self.new],
                "unseen": len(self.watch.unseen)}


def watch_id(query: str, date_from: str, date_to: str, sources: Sequence[str]) -> str:
    key = json.dumps([query.lower(), date_from, date_to, sorted(s.lower() for s in sources)])
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def _path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "watchlist.json"


def list_watches(settings: Settings | None = None) -> list[Watch]:
    """The saved searches, oldest first."""
    return _read(_path(settings or Settings.from_env()))


def add_watch(query: str, *, date_from: str = "", date_to: str = "", sources: Sequence[str] = (),
              settings: Settings | None = None, index: NewsIndex | None = None) -> Watch:
    """Save a search; what it finds now is its baseline (not new).

    Raises:
        InvalidInputError: an empty, over-long or non-English query, bad dates, too many
            sources or saved searches, or the same search saved already.
    """
    settings = settings or Settings.from_env()
    query = validate_query(query, settings.max_question_chars)
    date_from, date_to = parse_date_range(date_from, date_to)
    sources = tuple(dict.fromkeys(s.strip() for s in sources if s and s.strip()))
    if len(sources) > MAX_SOURCES:
        raise InvalidInputError(f"{len(sources)} sources: save a search with at most {MAX_SOURCES}")
    new = Watch(watch_id(query, date_from, date_to, sources), query, date_from, date_to, sources, _now())
    found = _found(new, settings, index)
    with _LOCK:
        watches = _read(_path(settings))
        if any(w.id == new.id for w in watches):
            raise InvalidInputError(f"“{query[:80]}” with these filters is saved already (id {new.id})")
        if len(watches) >= MAX_WATCHES:
            raise InvalidInputError(f"{MAX_WATCHES} searches are saved already: remove one first "
                                    "(`python -m qa watchlist remove ID`)")
        new = replace(new, known=tuple(sorted(a.article_id for a in found)))
        _write(_path(settings), watches + [new])
    return new


def remove_watch(watch_id_: str, settings: Settings | None = None) -> Watch:
    """Raises: InvalidInputError: no saved search has that id."""
    settings = settings or Settings.from_env()
    with _LOCK:
        watches = _read(_path(settings))
        gone = _find(watches, watch_id_)
        _write(_path(settings), [w for w in watches if w.id != gone.id])
    return gone


def mark_seen(watch_id_: str | None = None, settings: Settings | None = None) -> int:
    """Clear the new articles of one saved search (or of all, with None); returns how many."""
    settings = settings or Settings.from_env()
    with _LOCK:
        watches = _read(_path(settings))
        if watch_id_ is not None:
            _find(watches, watch_id_)
        cleared = sum(len(w.unseen) for w in watches if watch_id_ in (None, w.id))
        _write(_path(settings), [replace(w, unseen=()) if watch_id_ in (None, w.id) else w for w in watches])
    return cleared


def check_watches(settings: Settings | None = None, index: NewsIndex | None = None) -> list[WatchCheck]:
    """Search again with every saved search; what it had not found before is new.

    Returns:
        One ``WatchCheck`` per saved search, in the order they were saved.
    """
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    results = {w.id: _found(w, settings, index) for w in list_watches(settings)}
    checks = []
    with _LOCK:  # saved or removed meanwhile: those are left as they are
        watches = _read(_path(settings))
        updated = []
        for w in watches:
            if w.id not in results:
                updated.append(w)
                continue
            known = set(w.known)
            new = tuple(a for a in results[w.id] if a.article_id not in known)
            w = replace(w, known=tuple(sorted(known | {a.article_id for a in new})),
                        unseen=(new + w.unseen)[:MAX_UNSEEN])
            updated.append(w)
            checks.append(WatchCheck(w, new))
        _write(_path(settings), updated)
    return checks


def notify(checks: Sequence[WatchCheck], settings: Settings, fetcher: Fetcher | None = None) -> int:
    """POST the checks that found something to ``settings.watch_webhook`` as JSON:
    ``{"saved_searches": [{"id", "query", "new": [article...], "unseen"}, ...]}``.

    Args:
        fetcher: what POSTs it (default: one with the feeds' limits, ``FeedSettings.from_env()``).

    Returns:
        How many saved searches were sent (0: nothing new, or no webhook set).

    Raises:
        FetchError / AddressRefusedError: the webhook is unreachable or refused (the feeds'
            rules, ``feeds.FeedSettings``: nothing inside the network unless
            ``NEWSDESK_FEED_ALLOW_NETWORKS`` lists it).
        InvalidInputError: the webhook setting is not an http(s) URL.
    """
    found = [c for c in checks if c.new]
    if not found or not settings.watch_webhook.strip():
        return 0
    fetcher = fetcher or Fetcher.from_settings(FeedSettings.from_env())
    body = json.dumps({"saved_searches": [c.to_dict() for c in found]}, ensure_ascii=False).encode("utf-8")
    try:
        fetcher.post_json(settings.watch_webhook.strip(), body)
    except FetchError as exc:
        raise type(exc)(f"webhook {_redacted(settings.watch_webhook)}: {exc}") from exc
    return len(found)


def _redacted(url: str) -> str:
    return redact_url(url.strip())[:80]


def _found(w: Watch, settings: Settings, index: NewsIndex | None) -> list[Alert]:
    hits = search(w.query, k=MAX_RESULTS, filters=w.filters, settings=settings, index=index).hits
    now = _now()
    return [Alert(h.article_id, h.title, h.source, h.date, h.url, round(h.score, 4), now) for h in hits]


def _find(watches: list[Watch], watch_id_: str) -> Watch:
    found = next((w for w in watches if w.id == (watch_id_ or "").strip()), None)
    if found is None:
        raise InvalidInputError(f"no saved search has the id {str(watch_id_)[:20]!r}: list them with "
                                "`python -m qa watchlist list`")
    return found


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _read(path: Path) -> list[Watch]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"the saved searches in {path} cannot be read ({exc}): fix or delete the file") \
            from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise InvalidInputError(f"{path} is not a saved-search file this version reads: move it away")
    try:
        return [Watch(**{**{k: v for k, v in w.items() if k != "new"}, "sources": tuple(w.get("sources", ())),
                         "known": tuple(w.get("known", ())),
                         "unseen": tuple(Alert(**a) for a in w.get("unseen", ()))}) for w in data["watches"]]
    except (KeyError, TypeError) as exc:
        raise InvalidInputError(f"{path} is damaged ({exc}): fix or delete the file") from exc


def _write(path: Path, watches: list[Watch]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as fh:
        json.dump({"format": FORMAT_VERSION, "watches": [w.to_dict(known=True) for w in watches]}, fh,
                  ensure_ascii=False, indent=1)
