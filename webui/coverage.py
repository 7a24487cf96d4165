"""Coverage at a glance: the Index panel's chart data and its summary in words.

The chart itself is Gradio's ``BarPlot``, which ``app.py`` places; this module hands it
plain columns (``chart_columns``), so it tests without pandas or a web framework. (The
timeline under each answer is chat-message HTML: ``render.timeline_strip``.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from qa import Coverage, coverage

from .errors import user_message
from .render import esc, format_date, error_block
from qa import plural

PERIOD_TITLES = {"day": "Day", "week": "Week starting (Monday)", "month": "Month", "year": "Year"}


# --- the Index panel -----------------------------------------------------------------------

@dataclass(frozen=True)
class CoverageView:
    """The coverage chart's columns (``chart_columns``; ``None`` when nothing is dated), its
    labels (``{"label", "x_title", "x_lim", "colors_in_legend"}``, gr.BarPlot's arguments)
    and the summary HTML under it."""

    columns: dict[str, list] | None
    labels: dict = field(default_factory=dict)
    summary: str = ""


def coverage_view(settings) -> CoverageView:
    """The Index panel's coverage for ``settings``' index. A missing index is explained by
    the index panel already, so it gives an empty summary here."""
    try:
        cov = coverage(settings)
    except Exception as exc:  # no index: the index panel says so already, so nothing is said here
        return CoverageView(None, {}, user_message(exc, "counting the index's coverage", known="", generic=error_block(
            "Could not count what the index covers; see the server log.")))
    columns = chart_columns(cov)
    labels = {"label": chart_title(cov), "x_title": PERIOD_TITLES[cov.bucket], "x_lim": chart_x_lim(cov),
              "colors_in_legend": list(cov.sources)}
    return CoverageView(columns if columns["period"] else None, labels, coverage_summary(cov))


def chart_columns(cov: Coverage) -> dict[str, list]:
    """The bars as columns (``period`` ISO dates, ``source``, ``articles``) for a plot's
    data frame; empty lists when nothing is dated."""
    return {"period": [b.period for b in cov.bars], "source": [b.source for b in cov.bars],
            "articles": [b.articles for b in cov.bars]}


# A period's length, to pad the chart's time axis by: Vega draws a bar at the axis's very end
# clipped to nothing, so the oldest and newest bars would vanish without it.
_PAD_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}


def chart_x_lim(cov: Coverage) -> list[float] | None:
    """The time axis's ends, in seconds since the epoch (what ``gr.BarPlot(x_lim=...)`` takes
    for a time axis): the first and last bars' periods, a period wider on either side."""
    if not cov.bars:
        return None
    pad = timedelta(days=_PAD_DAYS[cov.bucket])
    first, last = (date.fromisoformat(cov.bars[i].period) for i in (0, -1))
    return [datetime.combine(day, datetime.min.time(), timezone.utc).timestamp()
            for day in (first - pad, last + pad)]


def chart_title(cov: Coverage) -> str:
    return f"Articles per {cov.bucket}, by source"


def _articles(n: int) -> str:
    return f"{n:,} {plural(n, 'article')}"


def coverage_summary(cov: Coverage) -> str:
    """What the chart shows, in words: newest and oldest dates with their counts, the
    period rule, and the articles it leaves out (undated) or lumps together."""
    if not cov.articles:
        return '<div class="nd-coverage nd-panel-empty">The index holds no articles yet.</div>'
    lines = []
    if cov.newest:
        lines.append(f"<div><span class=nd-cov-k>Newest</span> {esc(format_date(cov.newest))} "
                     f"({_articles(cov.newest_count)} that day)</div>")
        lines.append(f"<div><span class=nd-cov-k>Oldest</span> {esc(format_date(cov.oldest))} "
                     f"({_articles(cov.oldest_count)} that day)</div>")
        lines.append(f'<div class="nd-hint">One bar per {esc(cov.bucket)}: the finest of day, week, month or '
                     f"year that fits the dates in at most 100 bars. Source: the web site, else the byline.</div>")
    if cov.undated:
        noun = "article has" if cov.undated == 1 else "articles have"
        lines.append(f'<div class="nd-cov-undated">{cov.undated:,} {noun} no publish date and '
                     f"{'is' if cov.undated == 1 else 'are'} not in the chart"
                     f"{' (no article is dated)' if not cov.newest else ''}.</div>")
    if cov.folded_sources:
        lines.append(f'<div class="nd-hint">“Other sources” counts {cov.folded_sources:,} smaller sources '
                     "together.</div>")
    return f'<div class="nd-coverage">{"".join(lines)}</div>'
