"""The Briefing tab's HTML and handlers: the stories with new articles, biggest first, each
with its cited summary (or "pending"), its timeline (its articles by date, each opening in
the Article view) and "Ask about this story".

A story's "Ask about this story" is a ``#nd-story?s=ID`` link; ``STORY_LINKS_JS`` (the
``js_on_load`` of a hidden, always-rendered ``gr.HTML``, as ``reader.OPEN_LINKS_JS``) sends
it to ``app.py``, which fills the question and the story's dates and shows the Chat.
Everything from an article or the model is escaped; summaries' ``[n]`` are the chat's own
citation chips, so a click on a cited title opens the article at the cited sentence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from qa import (Briefing, BriefStory, NewsdeskError, Settings, SUMMARIES, briefing, briefing_markdown, load_stories,
                unplaced)

from .errors import FormError
from .reader import link_listener_js
from .render import citation_chip, esc, format_date, open_anchor, safe_url, text_with_markers
from qa import UNTITLED, plural

log = logging.getLogger("newsdesk.webui")

STORY_PREFIX = "#nd-story?"
MAX_STORIES = 30
MAX_SINCE_CHARS = 40
# More unplaced articles than this are placed in the background, not in the request: embedding
# 30 leads took ~5 s on loaded cores (RESULTS.md, issue 23).
BIG_GROUPING = 50
MAX_SCOPE_SOURCES = 10  # outlets put in the chat's Sources filter by "Ask about this story"

STORY_LINKS_JS = link_listener_js(STORY_PREFIX, "__ndStoryLinks")


@dataclass(frozen=True)
class BriefingView:
    html: str
    markdown: str
    pending: int  # stories whose summary is not made yet: the page looks again while > 0


def briefing_view(settings: Settings, since: str = "") -> BriefingView:
    """The Briefing panel for ``since`` (typed; "" for the default period). Wakes the
    background summaries when any story is pending. Never raises: a problem is the panel."""
    since = (since or "").strip()[:MAX_SINCE_CHARS]
    try:
        waiting = unplaced(settings)
        if waiting > BIG_GROUPING:  # a first grouping of a large collection: minutes, so not here
            SUMMARIES.wake(settings, since or None)
            return BriefingView(f'<div class="nd-panel-empty" id="nd-briefing-grouping">Grouping {waiting:,} new '
                                "articles into stories (a whole large collection, the first time, takes minutes); "
                                "the briefing shows here as soon as it is done.</div>", "", 1)
        result = briefing(since or None, settings=settings, limit=MAX_STORIES)
    except NewsdeskError as exc:
        return BriefingView(f'<div class="nd-error nd-briefing-error">{esc(exc)}</div>', "", 0)
    pending = sum(item.summary is None for item in result.stories)
    if pending:
        SUMMARIES.wake(settings, result.since)
    return BriefingView(briefing_html(result), briefing_markdown(result), pending)


def briefing_html(b: Briefing) -> str:
    if not b.stories:
        return (f'<div class="nd-panel-empty" id="nd-briefing-empty">No stories with articles since '
                f"{esc(format_date(b.since))}. Follow feeds or add articles in Index; pick an earlier date "
                f"above to look further back.</div>")
    n = len(b.stories)
    head = (f'{n} stor{"y" if n == 1 else "ies"} with articles since {esc(format_date(b.since))} '
            f'<span class="nd-timing">newest article {esc(format_date(b.newest))}</span>')
    cards = "".join(story_card(item, i) for i, item in enumerate(b.stories, 1))
    return f'<div class="nd-briefing"><div class="nd-panel-h">{head}</div><ol class="nd-stories">{cards}</ol></div>'


def story_card(item: BriefStory, rank: int) -> str:
    """One story: headline, outlets and count, first and latest report, summary, timeline."""
    story = item.story
    outlets = ", ".join(story.sources[:5]) + (f" and {len(story.sources) - 5} more" if len(story.sources) > 5 else "")
    span = (format_date(story.first) if story.first == story.latest
            else f"{format_date(story.first)} – {format_date(story.latest)}")
    meta = (f'{story.size} {plural(story.size, "article")}'
            + (f" ({item.new} new)" if item.new != story.size else "")
            + (f" · {esc(outlets)}" if outlets else "") + f" · {esc(span)}")
    if item.status == "pending":
        summary = '<p class="nd-summary nd-summary-pending">Summary pending: it is being written.</p>'
    elif item.status == "unsupported":
        summary = ('<p class="nd-summary nd-summary-none">No summary: the model\'s sentences could not be '
                   "verified against these articles. Read the timeline below.</p>")
    else:
        chips = {c.n: citation_chip(c) for c in item.summary.citations}
        summary = f'<p class="nd-summary">{text_with_markers(item.summary.text, chips)}</p>'
    timeline = "".join(_timeline_item(a) for a in reversed(story.articles))  # newest first, as a desk reads
    ask = f'<a class="nd-story-ask" href="{esc(story_link(story.id))}">Ask about this story</a>'
    return (f'<li class="nd-story" data-story="{esc(story.id)}" data-status="{esc(item.status)}">'
            f'<div class="nd-story-h"><span class="nd-story-rank">{rank}</span> '
            f'<span class="nd-story-headline">{esc(story.headline) or "Untitled story"}</span></div>'
            f'<div class="nd-story-meta">{meta}</div>{summary}'
            f'<details class="nd-timeline-box"><summary>Timeline: {story.size} '
            f'{plural(story.size, "article")} by date</summary>'
            f'<ol class="nd-story-timeline">{timeline}</ol></details>{ask}</li>')


def _timeline_item(a) -> str:
    title = open_anchor(esc(a.title) or UNTITLED, a.id, "nd-timeline-title")
    link = safe_url(a.url)
    original = (f' <a class="nd-original" href="{esc(link)}" rel="noopener noreferrer" target="_blank" '
                f'aria-label="Open the original">↗</a>') if link else ""
    source = f' <span class="nd-timeline-source">{esc(a.source)}</span>' if a.source else ""
    return (f'<li><time datetime="{esc(a.date)}">{esc(format_date(a.date))}</time> {title}{source}'
            f"{original}</li>")


def story_link(story_id: str) -> str:
    return STORY_PREFIX + urlencode({"s": story_id})


@dataclass(frozen=True)
class StoryQuestion:
    """What "Ask about this story" puts in the chat: a question naming the story, and the
    story's dates and outlets as its search scope."""

    question: str
    date_from: str
    date_to: str
    sources: tuple[str, ...]


def ask_about(link: object, settings: Settings) -> StoryQuestion:
    """The chat's question and dates for a clicked "Ask about this story" link.

    Raises:
        FormError: not such a link, or no story of that id (any client can send the event).
    """
    if not isinstance(link, str) or not link.startswith(STORY_PREFIX) or len(link) > 300:
        raise FormError("That link names no story: click “Ask about this story” in the Briefing.")
    try:
        story_id = parse_qs(link[len(STORY_PREFIX):], strict_parsing=True).get("s", [""])[0]
    except ValueError:
        story_id = ""
    if not story_id:
        raise FormError("That link names no story: click “Ask about this story” in the Briefing.")
    try:
        story = next((s for s in load_stories(settings) if s.id == story_id), None)
    except NewsdeskError as exc:
        raise FormError(str(exc)) from exc
    if story is None:
        raise FormError("That story is no longer in the index: refresh the Briefing.")
    return StoryQuestion(f"What happened in this story: {story.headline}?", story.first, story.latest,
                         story.sources[:MAX_SCOPE_SOURCES])
