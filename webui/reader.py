"""The whole article in the page: the links that open it, and its HTML.

A citation's or a search result's title is a link whose ``href`` is ``#nd-open?...``: the
article's id, the span to highlight, the quoted sentence (to find the span again if the
article changed since) and the search words. Gradio's HTML cannot call Python, and the chat
sanitises messages (it keeps ``href`` and ``class`` but drops ``data-*`` and ``on*``
attributes), so one listener on the document (``OPEN_LINKS_JS``, the ``js_on_load`` of a
hidden HTML component) catches a click on any such link, anywhere on the page, and triggers
that component's ``click`` event with the ``href``; ``app.py`` reads it back with
``parse_open_link`` and fills the Article panel, whose ``REVEAL_JS`` scrolls to the span.
A link starting with ``#`` is also the one kind the chat's sanitiser leaves without
``target=_blank``, and without the listener it only changes the page's hash: harmless.

The article is text: every character of it is escaped; the only markup is ours.
"""

from __future__ import annotations

import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Sequence
from urllib.parse import parse_qs

from qa import Settings, article, highlight_spans, locate_quote, search

from .errors import FormError, user_message
from .forms import describe_filters, parse_filters
from .render import LINK_PREFIX, MAX_QUOTE_CHARS, byline, error_block, esc, open_anchor, safe_url
from qa import UNTITLED, plural

log = logging.getLogger("newsdesk.webui")

SEARCH_RESULTS = 20  # articles listed per search in the page
SEARCH_EMPTY = ('<div class="nd-panel-empty">Type a few words to list the articles that mention them, best match '
                "first. The dates and sources in Search settings apply here too.</div>")
MAX_LINK_CHARS = 8_000  # an id, two numbers, a sentence and a search: far less
HIT_ID = "nd-article-hit"  # the highlighted span, scrolled into view
_OPENED = itertools.count(1)

ARTICLE_EMPTY = ('<div class="nd-panel-empty">Click the title of a cited source or a search result to read the '
                 "whole article here, with the passage highlighted.</div>")

# The script of an always-rendered, hidden gr.HTML (js_on_load: `element`, `trigger`): a
# Tab's content is rendered only once the tab is first shown, so the Article panel itself
# cannot listen from the start. The listener is replaced, not added, if the script runs
# again, so one click opens one article.
def link_listener_js(prefix: str, slot: str) -> str:
    """The script that sends every click on a link starting with ``prefix`` as the element's
    ``click`` event; ``slot`` names the ``window`` property holding the listener, so running
    the script again replaces it instead of adding a second one."""
    return """
const prefix = %(prefix)s;
const onClick = (event) => {
  const path = event.composedPath ? event.composedPath() : [event.target];
  const link = path.find((n) => n instanceof Element && n.tagName === 'A' &&
                                (n.getAttribute('href') || '').startsWith(prefix));
  if (!link) return;
  event.preventDefault();
  event.stopPropagation();
  trigger('click', {link: link.getAttribute('href')});
};
if (window.%(slot)s) document.removeEventListener('click', window.%(slot)s, true);
window.%(slot)s = onClick;
document.addEventListener('click', onClick, true);
""" % {"prefix": f"'{prefix}'", "slot": slot}


OPEN_LINKS_JS = link_listener_js(LINK_PREFIX, "__ndOpenLinks")

# The Article panel's script: when it first renders (its tab shown for the first time) and
# each time it shows another article, bring the highlighted span to the middle of the
# screen, once the tab is visible (a hidden element has no box to scroll to).
REVEAL_JS = """
const reveal = (tries) => {
  const hit = element.querySelector('#%(hit)s');
  if (!hit) return;
  if (hit.getClientRects().length) hit.scrollIntoView({block: 'center'});
  else if (tries > 0) setTimeout(() => reveal(tries - 1), 50);
};
reveal(60);
watch('value', () => reveal(60));
""" % {"hit": HIT_ID}


@dataclass(frozen=True)
class OpenRequest:
    """What a clicked link asks to open: the article, the span to highlight (``-1`` if none),
    the quoted sentence, the search words, and how it was cited (``n``, 0 if not)."""

    article_id: str
    start: int = -1
    end: int = -1
    quote: str = ""
    query: str = ""
    n: int = 0


def parse_open_link(link: object) -> OpenRequest:
    """The ``OpenRequest`` of a link made by ``open_link``, as the page sends it back.

    Raises:
        FormError: anything else (the page's event can be sent by any client).
    """
    if not isinstance(link, str) or not link.startswith(LINK_PREFIX) or len(link) > MAX_LINK_CHARS:
        raise FormError("That link does not open an article: click a source's or a search result's title.")
    try:
        fields = {k: v[0] for k, v in parse_qs(link[len(LINK_PREFIX):], strict_parsing=True).items()}
    except ValueError:
        raise FormError("That link does not open an article: click a source's or a search result's title.") from None
    article_id = fields.get("a", "").strip()
    if not article_id:
        raise FormError("That link names no article: click a source's or a search result's title.")
    start, end, n = (_whole(fields.get(k)) for k in ("s", "e", "n"))
    if not (0 <= start < end):
        start, end = -1, -1
    return OpenRequest(article_id, start, end, fields.get("t", "")[:MAX_QUOTE_CHARS], fields.get("q", ""), max(n, 0))


def _whole(value: str | None) -> int:
    return int(value) if value and re.fullmatch(r"[0-9]{1,9}", value) else -1


def marked(text: str, spans: Sequence[tuple[int, int]], css: str = "nd-term") -> str:
    """``text`` escaped, each of ``spans`` (sorted, not overlapping) wrapped in ``<mark>``."""
    out, pos = [], 0
    for start, end in spans:
        if start < pos or end <= start:
            continue
        out += [esc(text[pos:start]), f'<mark class="{css}">', esc(text[start:end]), "</mark>"]
        pos = end
    out.append(esc(text[pos:]))
    return "".join(out)


def article_view(article, hit: tuple[int, int] | None = None, terms: Sequence[tuple[int, int]] = (),
                 how: str = "") -> str:
    """The whole article as HTML: title, byline, its address (or file name), ``how`` it was
    reached (e.g. "Cited as [2]"), and the text with ``hit`` highlighted (``id="nd-article-hit"``,
    which the panel scrolls into view) and the search ``terms`` marked."""
    link = safe_url(article.url)
    where = (f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">Original ↗</a>' if link
             else f'<span class="nd-article-file">{esc(PurePath(article.path).name)}</span>' if article.path else "")
    meta = " · ".join(x for x in (byline(article.source, article.date), where) if x)
    title = esc(article.title) or UNTITLED
    parts = [f'<article class="nd-article"><h2 class="nd-article-title">{title}</h2>',
             f'<div class="nd-article-meta">{meta}</div>' if meta else "",
             f'<div class="nd-hint">{esc(how)}</div>' if how else "",
             f'<div class="nd-article-text">{_body(article.text, hit, terms)}</div></article>']
    return "".join(parts)


def _body(text: str, hit: tuple[int, int] | None, terms: Sequence[tuple[int, int]]) -> str:
    if hit is None:
        return marked(text, terms)
    start, end = hit
    inside = [(a - start, b - start) for a, b in terms if a >= start and b <= end]
    outside_before = [(a, b) for a, b in terms if b <= start]
    outside_after = [(a - end, b - end) for a, b in terms if a >= end]
    return (marked(text[:start], outside_before)
            + f'<mark id="{HIT_ID}" class="nd-quote nd-article-hit">{marked(text[start:end], inside)}</mark>'
            + marked(text[end:], outside_after))


def search_page(query: str, date_from: str | None, date_to: str | None, sources, settings: Settings,
                k: int = SEARCH_RESULTS, newest_first: object = False) -> str:
    """The Search tab's results for what its form holds, as HTML; any problem (an empty
    query, a bad date, no index) is a message saying what to do."""
    try:
        values = parse_filters(date_from, date_to, sources)
        results = search(query, k=k, filters=None if values.is_empty() else values, settings=settings,
                         newest_first=newest_first is True)
    except Exception as exc:
        return error_block(user_message(exc, "searching for %r", query, logger=log,
                                       generic="The search failed; the details are in the server log. Try again."))
    return results_view(results, describe_filters(values))


def open_article(link: object, settings: Settings) -> str:
    """The article panel for a clicked ``#nd-open?...`` link: the whole article with the
    cited span highlighted (located again if the article changed) and the search words marked."""
    try:
        request = parse_open_link(link)
        found = article(request.article_id, settings=settings)
    except Exception as exc:
        return error_block(user_message(exc, "opening the article of %r", link, logger=log,
                                       generic="Could not open the article; the details are in the server log."))
    wanted = bool(request.quote) or request.start >= 0
    hit = locate_quote(found.text, request.quote, request.start, request.end) if wanted else None
    terms = highlight_spans(found.text, request.query) if request.query else []
    how = (f"Cited as [{request.n}]" if request.n else f"Found by searching “{request.query}”" if request.query
           else "")
    if hit is None and wanted:
        how = (how + " · " if how else "") + "the passage was not found in the article as indexed now"
    # A comment that differs each time: opening the same article again is a new value, so the
    # panel scrolls back to the span even if the reader had scrolled away.
    return article_view(found, hit, terms, how) + f"<!-- opened {next(_OPENED)} -->"


def results_view(results, scope: str = "") -> str:
    """Search results as HTML: each article's title (opening it here, search words marked),
    byline and original, and its best passage with the search words marked."""
    if not results.hits:
        where = f" ({esc(scope)})" if scope else ""
        return (f'<div class="nd-panel-empty">No article matches “{esc(results.query)}”{where}. Try other words, '
                "or widen the dates and sources in Search settings.</div>")
    n = len(results.hits)
    head = (f'{n} {plural(n, "article")} for “{esc(results.query)}”'
            + (f" · {esc(scope)}" if scope else "") + f' <span class="nd-timing">{results.seconds:.2f} s</span>')
    items = [_result(hit, results.query) for hit in results.hits]
    return (f'<div class="nd-results"><div class="nd-panel-h">{head}</div>'
            f'<ol class="nd-result-list">{"".join(items)}</ol></div>')


def _result(hit, query: str) -> str:
    title = marked(hit.title, highlight_spans(hit.title, query)) or UNTITLED
    anchor = open_anchor(title, hit.article_id, "nd-result-title", start=hit.start, end=hit.end, quote=hit.quote,
                         query=query)
    link = safe_url(hit.url)
    original = f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">original ↗</a>' if link else ""
    meta = " · ".join(x for x in (byline(hit.source, hit.date), original) if x)
    return (f'<li class="nd-result">{anchor}<div class="nd-result-meta">{meta}</div>'
            f'<p class="nd-result-passage">{marked(hit.passage, hit.highlights)}</p></li>')
