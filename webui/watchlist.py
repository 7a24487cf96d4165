"""Saved searches in the page: save the Search tab's query and filters, and the panel that
lists each saved search with its articles *new since you last looked* (each opening in the
Article view). After each build or poll (``after_index_change``; the background poller calls
``after_poll``) every saved search is searched again and new matches are POSTed to the
webhook, when one is set. Everything shown is escaped."""

from __future__ import annotations

import logging

from qa import (NewsdeskError, Settings, Watch, add_watch, check_watches, list_watches, mark_seen, notify,
                remove_watch)

from .render import byline, esc, open_anchor
from qa import UNTITLED, plural

log = logging.getLogger("newsdesk.webui")

EMPTY = ('<div class="nd-panel-empty">No saved searches. Search for something, then “Save this search” to be told '
         "when new articles match it.</div>")


def save(query: str, date_from: str, date_to: str, sources, settings: Settings) -> str:
    """Save the search typed in the Search tab; returns the line to show."""
    try:
        w = add_watch(query or "", date_from=date_from or "", date_to=date_to or "", sources=list(sources or []),
                      settings=settings)
    except NewsdeskError as exc:
        return f'<div class="nd-error">Not saved: {esc(exc)}</div>'
    n = len(w.known)
    return (f'<div class="nd-watch-saved">Saved “{esc(w.query)}”: {n} {plural(n, "article")} match it now; '
            "new ones will be listed here after each update of the index.</div>")


def panel(settings: Settings) -> str:
    """The saved searches, those with new articles first."""
    try:
        watches = list_watches(settings)
    except NewsdeskError as exc:
        return f'<div class="nd-error">{esc(exc)}</div>'
    if not watches:
        return EMPTY
    ordered = sorted(watches, key=lambda w: (not w.unseen, w.created))
    total = sum(len(w.unseen) for w in watches)
    head = (f'{len(watches)} saved search{"es" if len(watches) != 1 else ""}'
            + (f' · <span class="nd-watch-total">{total} new since you last looked</span>' if total else ""))
    return (f'<div class="nd-watches"><div class="nd-panel-h">{head}</div><ul class="nd-watch-list">'
            f'{"".join(_watch(w) for w in ordered)}</ul></div>')


def _watch(w: Watch) -> str:
    scope = ", ".join(x for x in (f"from {w.date_from}" if w.date_from else "",
                                   f"to {w.date_to}" if w.date_to else "", ", ".join(w.sources)) if x)
    new = len(w.unseen)
    badge = f'<span class="nd-watch-new">{new} new</span>' if new else '<span class="nd-watch-none">nothing new</span>'
    items = "".join(f'<li>{open_anchor(esc(a.title) or UNTITLED, a.article_id, "nd-watch-title")} '
                    f'<span class="nd-watch-meta">{byline(a.source, a.date)}</span></li>' for a in w.unseen[:20])
    more = f'<li class="nd-watch-meta">and {new - 20} more</li>' if new > 20 else ""
    return (f'<li class="nd-watch{" nd-watch-lit" if new else ""}" data-watch="{esc(w.id)}" data-new="{new}">'
            f'<span class="nd-watch-query">“{esc(w.query)}”</span>'
            + (f' <span class="nd-watch-meta">({esc(scope)})</span>' if scope else "")
            + f" {badge} <code class=\"nd-watch-id\">{esc(w.id)}</code>"
            + (f'<ul class="nd-watch-articles">{items}{more}</ul>' if items else "") + "</li>")


def after_index_change(settings: Settings) -> str:
    """Search again with every saved search (the index may have changed), POST what is new
    to the webhook if one is set, and return the panel. Never raises."""
    try:
        if list_watches(settings):
            notify(check_watches(settings), settings)
    except NewsdeskError as exc:  # no index yet, an unreachable webhook: said, the rest shown
        log.warning("saved searches: %s", exc)
        return f'<div class="nd-error">{esc(exc)}</div>' + panel(settings)
    return panel(settings)


def after_poll(settings: Settings) -> None:
    """The background poller's hook: check the saved searches and post what is new."""
    after_index_change(settings)


def seen(settings: Settings) -> str:
    try:
        mark_seen(None, settings)
    except NewsdeskError as exc:
        return f'<div class="nd-error">{esc(exc)}</div>'
    return panel(settings)


def remove(watch_id: str, settings: Settings) -> str:
    try:
        remove_watch((watch_id or "").strip(), settings)
    except NewsdeskError as exc:
        return f'<div class="nd-error">{esc(exc)}</div>' + panel(settings)
    return panel(settings)
