"""What the collection covers, and when the articles behind an answer appeared.

``coverage`` counts the indexed articles per day, week, month or year and per source, for
the chart in the web app's Index panel; ``answer_timeline`` lists the articles an answer
cites and the related ones it read, by date, for the strip under each answer. Both are
pure over rows the index hands out (``NewsIndex.article_dates``, an ``Answer``), so they
test without a model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable
from urllib.parse import urlsplit

from embeddings import ArticleDate, Settings

from .collection import INDEXES

BUCKETS = ("day", "week", "month", "year")
# A bar per period while that makes at most this many (the Index panel is ~400 px wide):
# 100 days -> per day, 100 weeks (~2 years) -> per week, 100 months (~8 years) -> per month,
# longer -> per year.
MAX_BARS = 100
# Sources drawn in their own colour; the rest share one. More than ~7 colours are hard to
# tell apart in a legend.
MAX_SOURCES = 6
OTHER_SOURCES = "Other sources"
NO_SOURCE = "No source"


@dataclass(frozen=True)
class CoverageBar:
    period: str  # the period's first day (ISO); a week starts on Monday
    source: str
    articles: int


@dataclass(frozen=True)
class Coverage:
    """Articles per period and source. Undated articles are counted (``undated``), not drawn."""

    bucket: str  # one of BUCKETS
    bars: tuple[CoverageBar, ...]  # by period, then in ``sources`` order
    sources: tuple[str, ...]  # legend order: most articles first, then OTHER_SOURCES, NO_SOURCE
    articles: int  # all of them, dated or not
    undated: int
    oldest: str = ""  # ISO dates of the oldest and newest dated articles ("" when none)
    oldest_count: int = 0  # articles published that day
    newest: str = ""
    newest_count: int = 0
    folded_sources: int = 0  # sources counted under OTHER_SOURCES

    @property
    def dated(self) -> int:
        return self.articles - self.undated


def source_of(byline: str, url: str) -> str:
    """The outlet an article came from: its web site (``cnn.com``) when it has an http(s)
    URL, else its byline, else ``NO_SOURCE``.

    The site first: scraped articles' bylines are mostly authors' names (579 different
    ones among 5,336 articles of realtimeqa-2025, 4,375 with none), which say little about
    which outlets the collection covers.
    """
    try:
        parts = urlsplit((url or "").strip())
        host = parts.hostname if parts.scheme in ("http", "https") else None
    except ValueError:  # a malformed URL (say, a bad port) counts as none
        host = None
    if host:
        return host.removeprefix("www.")
    return " ".join((byline or "").split()) or NO_SOURCE


def parse_day(value: str) -> date | None:
    """The date an ISO publish date (``2026-01-10`` or longer) names, or ``None``."""
    try:
        return date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def period_start(day: date, bucket: str) -> date:
    """The first day of ``day``'s period: itself, its week's Monday, its month's or its year's 1st."""
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    if bucket == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown bucket {bucket!r}; use one of {', '.join(BUCKETS)}")


def periods_between(oldest: date, newest: date, bucket: str) -> int:
    """How many periods of ``bucket`` the dates span, both ends included."""
    if bucket == "day":
        return (newest - oldest).days + 1
    if bucket == "week":
        return (period_start(newest, "week") - period_start(oldest, "week")).days // 7 + 1
    if bucket == "month":
        return (newest.year - oldest.year) * 12 + newest.month - oldest.month + 1
    return newest.year - oldest.year + 1


def choose_bucket(oldest: date, newest: date, max_bars: int = MAX_BARS) -> str:
    """The finest period (day, week, month) that draws the span in at most ``max_bars``
    bars; a year when even months would not."""
    for bucket in BUCKETS[:-1]:
        if periods_between(oldest, newest, bucket) <= max_bars:
            return bucket
    return "year"


def summarize_coverage(rows: Iterable[ArticleDate | tuple], max_sources: int = MAX_SOURCES,
                       max_bars: int = MAX_BARS) -> Coverage:
    """Count articles per period and source.

    Args:
        rows: ``(id, publish_date, byline, url)`` per article (``NewsIndex.article_dates``).
        max_sources: sources with the most articles drawn on their own; the others are
            counted together as ``OTHER_SOURCES``.
        max_bars: the most periods to draw (see ``choose_bucket``).
    """
    dated: list[tuple[date, str]] = []
    articles = 0
    for row in rows:
        articles += 1
        day = parse_day(row[1])
        if day is not None:
            dated.append((day, source_of(row[2], row[3])))
    if not dated:
        return Coverage("day", (), (), articles, articles)
    days = Counter(day for day, _ in dated)
    oldest, newest = min(days), max(days)
    bucket = choose_bucket(oldest, newest, max_bars)

    per_source = Counter(source for _, source in dated)
    named = [s for s, _ in sorted(per_source.items(), key=lambda kv: (-kv[1], kv[0])) if s != NO_SOURCE]
    kept, folded = named[:max_sources], named[max_sources:]
    if len(folded) == 1:  # "Other sources" standing for one source would hide its name for nothing
        kept, folded = named, []
    legend = [*kept, *([OTHER_SOURCES] if folded else []), *([NO_SOURCE] if NO_SOURCE in per_source else [])]
    shown = set(kept) | {NO_SOURCE}
    counts = Counter((period_start(day, bucket), source if source in shown else OTHER_SOURCES)
                     for day, source in dated)
    order = {s: i for i, s in enumerate(legend)}
    bars = tuple(CoverageBar(period.isoformat(), source, n)
                 for (period, source), n in sorted(counts.items(), key=lambda kv: (kv[0][0], order[kv[0][1]])))
    return Coverage(bucket, bars, tuple(legend), articles, articles - len(dated), oldest.isoformat(), days[oldest],
                    newest.isoformat(), days[newest], len(folded))


def coverage(settings: Settings | None = None, max_sources: int = MAX_SOURCES) -> Coverage:
    """What the live index covers: articles per period and source (``summarize_coverage``);
    ~35 ms for realtimeqa-2025's 5,336 articles on 2 busy cores.

    Raises:
        IndexNotFoundError: nothing built yet.
        IndexMismatchError: built by another version.
    """
    settings = settings or Settings.from_env()
    return summarize_coverage(INDEXES.get(settings).article_dates(), max_sources)  # the index answers use


# --- an answer's articles in time ----------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    """An article behind an answer: one it cites (``markers``: its [n]) or one it read or
    offered as related reading without citing it."""

    article_id: str
    title: str
    source: str
    date: str  # ISO, or "" when unknown
    url: str
    cited: bool
    markers: tuple[int, ...] = ()


def answer_timeline(answer) -> tuple[TimelineEntry, ...]:
    """Each article an ``Answer`` cites or read (its passages, its related reading), once,
    oldest first; undated ones last. Cited articles come first among those of one day."""
    entries: dict[str, TimelineEntry] = {}
    for c in answer.citations:
        key = c.article_id or c.title
        known = entries.get(key)
        markers = (*known.markers, c.n) if known else (c.n,)
        entries[key] = TimelineEntry(c.article_id, c.title, c.source, c.date, c.url, True, markers)
    for item in (*answer.passages, *answer.related):
        key = item.article_id or item.title
        if key not in entries:
            entries[key] = TimelineEntry(item.article_id, item.title, item.source, item.date, item.url, False)
    return tuple(sorted(entries.values(), key=_timeline_order))


def _timeline_order(entry: TimelineEntry):
    day = parse_day(entry.date)
    return (day is None, day or date.min, not entry.cited, entry.markers, entry.title)
