"""HTML for chat messages and side panels.

Every string that came from an article, a user or a file (titles, passages, bylines, URLs,
answer text) goes through ``html.escape`` here before it is put into markup: the chat
renders these fragments as HTML, and an article may contain ``<script>`` or
``<img onerror=...>``. Gradio sanitises too, but escaping first means nothing in an article
is ever parsed as a tag.

The [n] reveal is pure HTML/CSS (Gradio strips scripts): each marker is a focusable
``<span tabindex="0">`` whose hidden child pops up on hover or focus (see ``webui.style``),
and each answer also ends with ``<details>`` footnotes that work without a pointer.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Iterable, Sequence
from urllib.parse import urlencode

from qa import (ABSTENTION, CITATION_MARKER, UNTITLED, Answer, Citation, IndexInfo, Passage, TimelineEntry,
                answer_timeline, find_quote, first_per_article, marker_numbers, plural, word_end, word_start)

# qa abstains with "<headline>: <reason>"; the chat shows the headline on its own line, bold.
ABSTAIN_HEADLINE = ABSTENTION.partition(":")[0]
_ABSTAIN_PREFIX = re.compile(rf"^\s*{re.escape(ABSTAIN_HEADLINE)}\b[\s.:;,\u2014-]*", re.IGNORECASE)


def esc(text: object) -> str:
    """Escape any value for use as HTML text or a quoted attribute value."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str) -> str:
    """The URL if it is plain http(s), else ``""``: no ``javascript:`` or ``data:`` links."""
    url = (url or "").strip()
    return url if re.match(r"^https?://[^\s<>\"']+$", url, re.IGNORECASE) else ""


def format_date(iso: str) -> str:
    """'2026-01-10' -> 'Jan 10, 2026'; anything else is returned unchanged."""
    try:
        day = date.fromisoformat((iso or "").strip()[:10])
    except ValueError:
        return iso or ""
    return f"{day:%b} {day.day}, {day.year}"


def byline(source: str, iso_date: str) -> str:
    """'Reuters · Jan 10, 2026' (escaped), leaving out whichever part is missing."""
    parts = [esc(p) for p in (source, format_date(iso_date)) if p]
    return " · ".join(parts)


def excerpt(passage: str, quote: str, context: int = 280) -> str:
    """The passage around the quote as HTML, the quote wrapped in ``<mark>``.

    Long passages are cut to ``context`` characters either side of the quote, so the
    highlighted sentence is visible without scrolling. A quote that is not found verbatim is
    matched ignoring case and runs of whitespace; failing that it is shown on its own.
    """
    passage = passage or ""
    quote = (quote or "").strip()
    span = find_quote(passage, quote) if quote else None
    if span is None:
        hi = word_end(passage, 2 * context)
        body = esc(passage[:hi]) + ("…" if hi < len(passage) else "")
        return (f'<mark class="nd-quote">{esc(quote)}</mark> ' if quote else "") + body
    start, end = span
    lo = word_start(passage, max(0, start - context))
    hi = word_end(passage, end + context)
    return (("…" if lo > 0 else "") + esc(passage[lo:start])
            + f'<mark class="nd-quote">{esc(passage[start:end])}</mark>'
            + esc(passage[end:hi]) + ("…" if hi < len(passage) else ""))


# --- links that open the whole article in the page (webui.reader) ------------------------

LINK_PREFIX = "#nd-open?"
MAX_QUOTE_CHARS = 2_000  # a quoted sentence longer than this is cut (it only helps find the span)


def open_link(article_id: str, start: int = -1, end: int = -1, quote: str = "", query: str = "", n: int = 0) -> str:
    """The ``href`` that opens ``article_id`` in the page (escape it before use, as any value)."""
    fields = {"a": article_id}
    if 0 <= start < end:
        fields.update(s=str(start), e=str(end))
    if quote:
        fields["t"] = quote[:MAX_QUOTE_CHARS]
    if query:
        fields["q"] = query
    if n:
        fields["n"] = str(n)
    return LINK_PREFIX + urlencode(fields)


def open_anchor(label_html: str, article_id: str, css: str, **where) -> str:
    """``<a class="nd-open ...">label</a>`` opening the article; the label is already HTML.
    Without an ``article_id`` (an answer from an older version), the label alone."""
    if not article_id:
        return f'<span class="{css}">{label_html}</span>'
    return (f'<a class="nd-open {css}" href="{esc(open_link(article_id, **where))}" '
            f'title="Read the whole article here">{label_html}</a>')


def _cited(citation: Citation) -> dict:
    """Where a citation's link opens its article: the quote's span, the quote, its number."""
    return dict(article_id=citation.article_id, start=citation.start, end=citation.end, quote=citation.quote,
                n=citation.n)


def _titled(title: str, url: str, opens: dict, css: str = "nd-src-title") -> str:
    """An article's title opening it in the page, then its original's link (↗) if it has one."""
    title_html = open_anchor(esc(title) or UNTITLED, css=css, **opens)
    link = safe_url(url)
    if not link:
        return title_html
    return (f'{title_html} <a class="nd-original" href="{esc(link)}" rel="noopener noreferrer" target="_blank" '
            f'title="The original, on its site" aria-label="Open the original">↗</a>')


# --- citation markers --------------------------------------------------------------------

def _pop(n: int, title: str, source: str, iso_date: str, url: str, body_html: str, opens: dict | None = None) -> str:
    link = safe_url(url)
    head = (open_anchor(esc(title) or UNTITLED, css="nd-pop-title", **opens) if opens
            else f'<span class="nd-pop-title">{esc(title) or UNTITLED}</span>')
    meta = byline(source, iso_date)
    meta_html = f'<span class="nd-pop-meta">{meta}</span>' if meta else ""
    link_html = (f'<a class="nd-pop-link" href="{esc(link)}" rel="noopener noreferrer" target="_blank">'
                 f"Open article ↗</a>") if link else ""
    return (f'<span class="nd-pop" role="tooltip"><span class="nd-pop-n">Source [{n}]</span>{head}{meta_html}'
            f'<span class="nd-pop-passage">{body_html}</span>{link_html}</span>')


def citation_chip(citation: Citation) -> str:
    """An inline, focusable [n] that reveals the cited passage with its quote highlighted."""
    pop = _pop(citation.n, citation.title, citation.source, citation.date, citation.url,
               excerpt(citation.passage, citation.quote), _cited(citation))
    label = esc(f"Source {citation.n}: {citation.title}")
    return (f'<span class="nd-cite" tabindex="0" role="button" aria-label="{label}" '
            f'data-n="{citation.n}">[{citation.n}]{pop}</span>')


def passage_chip(passage: Passage) -> str:
    """A marker seen while streaming, before citations are checked: reveals the passage."""
    pop = _pop(passage.n, passage.title, passage.source, passage.date, passage.url,
               excerpt(passage.shown or passage.text, ""),
               dict(article_id=passage.article_id, start=passage.start, end=passage.end))
    return (f'<span class="nd-cite nd-cite-pending" tabindex="0" role="button" '
            f'aria-label="{esc(f"Passage {passage.n}: {passage.title}")}" data-n="{passage.n}">[{passage.n}]{pop}</span>')


def text_with_markers(text: str, chips: dict[int, str]) -> str:
    """Escape ``text`` and turn each [n] with a chip into that chip; other markers stay text."""
    out, pos = [], 0
    for m in CITATION_MARKER.finditer(text or ""):
        out.append(esc(text[pos:m.start()]))
        numbers = marker_numbers(m.group(1))
        if all(n in chips for n in numbers):
            out.append("".join(chips[n] for n in numbers))
        else:
            out.append(esc(m.group(0)))
        pos = m.end()
    out.append(esc((text or "")[pos:]))
    return "".join(out)


# --- chat messages -----------------------------------------------------------------------

ECHO_CHARS = 500  # of a question too long to answer: enough to recognise it, not a page of it


def user_message(question: str, max_chars: int | None = None) -> str:
    """The question as the chat shows it; one over ``max_chars`` (which will be refused) is
    shown cut to its start and its length, never echoed whole (100 KB in every repaint)."""
    if max_chars is not None and len(question) > max_chars:
        return (f'<div class="nd-q">{esc(question[:ECHO_CHARS])}… '
                f'<span class="nd-q-cut">({len(question):,} characters in all)</span></div>')
    return f'<div class="nd-q">{esc(question)}</div>'


PENDING = "nd-pending"  # marks a message that is still being written


def searching_message() -> str:
    return f'<div class="nd-status {PENDING}"><span class="nd-spinner"></span>Searching the articles…</div>'


def reading_message(passages: Sequence[Passage]) -> str:
    """Status shown once retrieval is done and before the first token."""
    if not passages:
        return f'<div class="nd-status {PENDING}"><span class="nd-spinner"></span>No matching passages; checking…</div>'
    articles = len({p.article_id for p in passages})
    noun = "passage" if len(passages) == 1 else "passages"
    src = "article" if articles == 1 else "articles"
    return (f'<div class="nd-status {PENDING}"><span class="nd-spinner"></span>Reading {len(passages)} {noun} '
            f"from {articles} {src}…</div>")


def streaming_message(text: str, passages: Sequence[Passage]) -> str:
    """The answer so far, markers linked to the retrieved passages, with a typing caret."""
    chips = {p.n: passage_chip(p) for p in passages}
    return (f'<div class="nd-answer nd-streaming {PENDING}"><div class="nd-text">{text_with_markers(text.lstrip(), chips)}'
            f'<span class="nd-caret"></span></div></div>')


def is_pending(content: object) -> bool:
    # Only the opening tag counts: an article or answer may contain the text "nd-pending".
    return isinstance(content, str) and content.startswith("<div") and PENDING in content[: content.find(">")]


def stopped(content: str) -> str:
    """A pending message frozen by Stop: the text so far (if any), marked as stopped."""
    if "nd-streaming" not in content:
        return '<div class="nd-status">Stopped before the answer began.</div>'
    body = content.replace('<span class="nd-caret"></span>', "").replace(f" {PENDING}", "")
    return body[: -len("</div>")] + '<div class="nd-timing">Stopped.</div></div>'


def stop_turn(messages: list[dict]) -> list[dict]:
    """After Stop: freeze the unfinished answer (if any) and mark it stopped."""
    if messages and messages[-1].get("role") == "assistant" and is_pending(messages[-1]["content"]):
        messages = [*messages[:-1], {"role": "assistant", "content": stopped(messages[-1]["content"])}]
    return messages


def answer_message(answer: Answer, scope: str = "") -> str:
    """The final answer: text with live [n] markers, then footnotes (or related reading).

    ``scope`` describes the search filters in force (e.g. "Articles from Reuters"); an
    abstention mentions it, since widening the filters may find the answer.
    """
    if answer.abstained:
        return abstain_message(answer, scope)
    chips = {c.n: citation_chip(c) for c in answer.citations}
    parts = [f'<div class="nd-answer"><div class="nd-text">{text_with_markers(answer.text, chips)}</div>']
    if answer.citations:
        parts.append('<div class="nd-footnotes"><div class="nd-footnotes-h">Sources</div>')
        parts.extend(_footnote(c) for c in answer.citations)
        parts.append("</div>")
    if answer.unsupported:
        parts.append('<div class="nd-warn">Some of this answer is not backed by a cited passage; '
                     "check the sources.</div>")
    parts.append(timeline_strip(answer_timeline(answer)))
    parts.append(_timing(answer))
    parts.append("</div>")
    return "".join(parts)


def abstain_message(answer: Answer, scope: str = "") -> str:
    detail = _ABSTAIN_PREFIX.sub("", answer.text or "").strip()
    if detail:
        detail = detail[0].upper() + detail[1:]
    parts = [f'<div class="nd-answer nd-abstain"><div class="nd-abstain-h">{ABSTAIN_HEADLINE}.</div>']
    if detail:
        parts.append(f'<div class="nd-text">{esc(detail)}</div>')
    if scope:
        parts.append(f'<div class="nd-warn">Searched only: {esc(scope)}. Widen the search settings '
                     "to look further.</div>")
    if answer.related:
        parts.append('<div class="nd-footnotes"><div class="nd-footnotes-h">Related reading</div>')
        parts.append(_article_list(answer.related))
        parts.append("</div>")
    parts.append(timeline_strip(answer_timeline(answer)))
    parts.append(_timing(answer))
    parts.append("</div>")
    return "".join(parts)


def error_message(message: str) -> str:
    return f'<div class="nd-error" role="alert"><strong>Couldn’t answer.</strong> {esc(message)}</div>'


def _footnote(c: Citation) -> str:
    meta = byline(c.source, c.date)
    link = safe_url(c.url)
    link_html = (f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">{esc(link)}</a>'
                 if link else "")
    # The title stays the summary's text (a click there opens the footnote); the whole article
    # opens from the link below the passage.
    opener = open_anchor("Read the whole article", css="nd-fn-open", **_cited(c))
    return (f'<details class="nd-fn"><summary><span class="nd-fn-n">[{c.n}]</span> '
            f'<span class="nd-fn-title">{esc(c.title) or UNTITLED}</span>'
            f'{f" <span class=nd-fn-meta>{meta}</span>" if meta else ""}</summary>'
            f'<blockquote class="nd-passage">{excerpt(c.passage, c.quote)}</blockquote>'
            f'<div class="nd-fn-links">{opener}{" · " + link_html if link_html else ""}</div></details>')


def _timing(answer: Answer) -> str:
    t = answer.timings
    bits = [esc(answer.model)] if answer.model else []
    if answer.as_of:  # the news window the answer was judged in
        window = f"news as of {esc(format_date(answer.as_of))}"
        if answer.recent_days:
            window += f", recent = the last {answer.recent_days} days"
        bits.append(window)
    if t and t.total_s:
        if t.first_token_s:
            bits.append(f"first words {t.first_token_s:.1f} s")
        bits.append(f"{t.total_s:.1f} s" if t.total_s >= 0.1 else "under 0.1 s")
    return f'<div class="nd-timing">{" · ".join(bits)}</div>' if bits else ""


def _article_list(articles: Iterable) -> str:
    items = []
    for a in articles:
        # A passage (while the model reads) opens at its chunk; related reading at the top.
        opens = dict(article_id=a.article_id, start=getattr(a, "start", -1), end=getattr(a, "end", -1))
        title_html = _titled(a.title, a.url, opens)
        meta = byline(a.source, a.date)
        items.append(f'<li>{title_html}'
                     f'{f"<span class=nd-src-meta>{meta}</span>" if meta else ""}</li>')
    return f'<ul class="nd-src-list">{"".join(items)}</ul>'


# --- when the articles behind an answer appeared -------------------------------------------
# An HTML strip inside the answer's message rather than a plot component: each answer keeps
# its own strip as the conversation scrolls on, the chat loads no chart library, and it goes
# through the same escaping as the rest of the message. Dots sit on the line by CSS class
# (nd-tl-x0 .. nd-tl-x100, in webui.style), not inline style, which a sanitiser may strip.

def age(day: date, today: date) -> str:
    """'today', '3 days ago', '5 weeks ago', '10 months ago', '2 years ago' ('... ahead' for
    a date after ``today``): days up to 2 weeks, weeks up to 2 months, months up to 2 years."""
    days = (today - day).days
    if days == 0:
        return "today"
    when = "ago" if days > 0 else "ahead"
    days = abs(days)
    if days >= 730:
        n, unit = days // 365, "year"
    elif days >= 60:
        n, unit = days // 30, "month"
    elif days >= 14:
        n, unit = days // 7, "week"
    else:
        n, unit = days, "day"
    return f"{n} {unit}{'s' if n != 1 else ''} {when}"


def _span(days: Sequence[date]) -> str:
    lo, hi = min(days), max(days)
    if lo == hi:
        return format_date(lo.isoformat())
    return f"{format_date(lo.isoformat())} – {format_date(hi.isoformat())}"


def timeline_strip(entries: Sequence[TimelineEntry], today: date | None = None) -> str:
    """The articles behind an answer on a line from the oldest to the newest: cited ones
    (filled, with their [n]) above it, related ones (hollow) below, then the list by date.
    ``""`` when there is no article."""
    if not entries:
        return ""
    today = today or date.today()
    dated = [(e, date.fromisoformat(e.date[:10])) for e in entries if _is_date(e.date)]
    head = []
    cited_days = [d for e, d in dated if e.cited]
    related_days = [d for e, d in dated if not e.cited]
    if cited_days:
        head.append(f"<span class=nd-tl-cited-k>Cited</span> {esc(_span(cited_days))} "
                    f"({esc(age(max(cited_days), today))})")
    if related_days:
        head.append(f"<span class=nd-tl-related-k>related</span> {esc(_span(related_days))}")
    if not dated:
        head.append("No publish dates known")
    parts = [f'<div class="nd-tl" role="group" aria-label="When the articles behind this answer were published">'
             f'<div class="nd-tl-h">{" · ".join(head)}</div>']
    if dated:
        lo = min(d for _, d in dated)
        hi = max(d for _, d in dated)
        dots = []
        for e, d in dated:
            x = 50 if hi == lo else round(100 * (d - lo).days / (hi - lo).days)
            label = _label(e)
            kind = "nd-tl-cited" if e.cited else "nd-tl-related"
            text = ",".join(str(n) for n in e.markers) if e.cited else ""
            dots.append(f'<span class="nd-tl-dot {kind} nd-tl-x{x}" tabindex="0" title="{esc(label)}" '
                        f'aria-label="{esc(label)}">{esc(text)}</span>')
        ends = (f'<span>{esc(format_date(lo.isoformat()))}</span><span>{esc(format_date(hi.isoformat()))}</span>'
                if hi != lo else f'<span class="nd-tl-one">{esc(format_date(lo.isoformat()))}</span>')
        parts.append(f'<div class="nd-tl-track"><span class="nd-tl-line"></span>{"".join(dots)}</div>'
                     f'<div class="nd-tl-ends">{ends}</div>')
    items = "".join(_item(e) for e in entries)
    parts.append(f'<details class="nd-tl-list"><summary>Articles by date ({len(entries)})</summary>'
                 f"<ul>{items}</ul></details></div>")
    return "".join(parts)


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat((value or "")[:10])
        return True
    except ValueError:
        return False


def _label(e: TimelineEntry) -> str:
    markers = "".join(f"[{n}]" for n in e.markers)
    when = format_date(e.date) if e.date else "undated"
    who = f" — {e.source}" if e.source else ""
    return f"{markers + ' ' if markers else 'Related: '}{e.title or UNTITLED}{who}, {when}"


def _item(e: TimelineEntry) -> str:
    when = esc(format_date(e.date)) if e.date else "undated"
    markers = "".join(f"[{n}]" for n in e.markers)
    tag = (f'<span class="nd-tl-tag nd-tl-cited-k">cited {esc(markers)}</span>' if e.cited
           else '<span class="nd-tl-tag nd-tl-related-k">related</span>')
    title = esc(e.title) or UNTITLED
    link = safe_url(e.url)
    if link:
        title = f'<a href="{esc(link)}" rel="noopener noreferrer" target="_blank">{title}</a>'
    meta = byline(e.source, "")
    return (f'<li class="{"nd-tl-li-cited" if e.cited else "nd-tl-li-related"}"><span class="nd-tl-when">{when}</span> '
            f'{tag} {title}{f" <span class=nd-src-meta>{meta}</span>" if meta else ""}</li>')


# --- side panels -------------------------------------------------------------------------

SOURCES_EMPTY = ('<div class="nd-panel-empty">The articles an answer cites are listed here, '
                 "with the sentence that supports it.</div>")


def sources_reading(passages: Sequence[Passage]) -> str:
    """Panel while the model reads: the retrieved articles, greyed out."""
    if not passages:
        return '<div class="nd-panel-empty">Searching the articles…</div>'
    unique = first_per_article(passages)
    return (f'<div class="nd-sources nd-reading"><div class="nd-panel-h">Reading {len(passages)} '
            f'{plural(len(passages), "passage")}…</div>{_article_list(unique)}</div>')


def sources_panel(answer: Answer) -> str:
    """Only the articles the answer cites, each once, with its markers and quotes."""
    if answer.abstained:
        if not answer.related:
            return '<div class="nd-panel-empty">No article answers this question.</div>'
        return (f'<div class="nd-sources"><div class="nd-panel-h">{ABSTAIN_HEADLINE}; related reading</div>'
                f"{_article_list(answer.related)}</div>")
    if not answer.citations:
        return '<div class="nd-panel-empty">This answer cites no article.</div>'
    groups: dict[str, list] = {}
    for c in answer.citations:
        groups.setdefault(c.article_id or c.title, []).append(c)
    items = []
    for cites in groups.values():
        first = cites[0]
        markers = "".join(f'<span class="nd-src-n">[{c.n}]</span>' for c in cites)
        title_html = _titled(first.title, first.url, _cited(first))
        meta = byline(first.source, first.date)
        # Each quote opens the article at itself (the title, at the first).
        quotes = "".join('<blockquote class="nd-src-quote">'
                         f'{open_anchor(esc(c.quote), css="nd-quote-link", **_cited(c))}</blockquote>'
                         for c in cites if c.quote)
        items.append(f"<li>{markers} {title_html}"
                     f'{f"<span class=nd-src-meta>{meta}</span>" if meta else ""}{quotes}</li>')
    n = len(groups)
    return (f'<div class="nd-sources"><div class="nd-panel-h">Cited: {n} {plural(n, "article")}</div>'
            f'<ul class="nd-src-list">{"".join(items)}</ul></div>')


def index_panel(info: IndexInfo) -> str:
    """Counts and provenance of the index as a small table."""
    rows = [
        ("Articles", f"{info.articles:,}"),
        ("Passages", f"{info.chunks:,}"),
        ("Last built", when(info.built_at, "unknown")),
        ("Embedder", info.embedder + (f" ({info.dense_kind})" if info.dense_kind else "")),
        ("Sources", ", ".join(info.sources[:6]) + (f" and {len(info.sources) - 6} more" if len(info.sources) > 6 else "")
         if info.sources else "none recorded"),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="nd-index">{body}</table>'


def error_block(message: str, hint: str = "") -> str:
    """A panel's error (the Index panel, search results, the article), escaped, with an optional hint."""
    hint_html = f'<div class="nd-hint">{esc(hint)}</div>' if hint else ""
    return f'<div class="nd-error" role="alert">{esc(message)}</div>{hint_html}'


def when(iso: str, missing: str = "") -> str:
    """A timestamp to the minute: "2026-11-28T03:15:12+00:00" (or ...Z) -> "2026-11-28 03:15 UTC",
    another offset kept ("... 03:15 +02:00"), none left out; anything else as given, ``missing``
    when empty."""
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", iso or "")
    if not m:
        return iso or missing
    zone = m.group(3)
    if zone and (zone == "Z" or zone[1:].replace(":", "") == "0000"):
        zone = "UTC"
    return f"{m.group(1)} {m.group(2)}" + (f" {zone}" if zone else "")
