"""Questions about now: most news questions ask about the last days ("this week", "new",
"latest", the present tense), so the recent window is searched on its own too, and its
passages join the candidates that the whole collection gives.

Without it, a "this week" question's candidates were the 100 best matches in the whole
collection: months of coverage of earlier, similar events crowded out the one article from
the question's own week (issue 18: a recent article holding the answer reached the top 5
for 57% of the questions that have one).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .features import age_days

from embeddings import SearchFilters

__all__ = ["asks_about_now", "in_window", "older_than_window", "recent_filters"]

# Words that put a question in the past rather than now.
_PAST = re.compile(r"\b(history|historical(ly)?|ago|decades?|centur(y|ies)|originally|in the past|"
                   r"used to|former(ly)?|first ever|founded|ancient)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89][0-9]{2}|20[0-9]{2})s?\b")


def asks_about_now(question: str, as_of: date) -> bool:
    """Whether ``question`` asks about the recent past (the default for news), not about a
    year before ``as_of``'s or about history."""
    if _PAST.search(question):
        return False
    return not any(int(y) < as_of.year for y in _YEAR.findall(question))


def recent_filters(filters: SearchFilters | None, as_of: date, days: int) -> SearchFilters | None:
    """``filters`` narrowed to the ``days`` before ``as_of`` (and the day after: a story
    dated tomorrow in another time zone); None when the user's own range leaves nothing."""
    start, end = (as_of - timedelta(days=days)).isoformat(), (as_of + timedelta(days=1)).isoformat()
    filters = filters or SearchFilters()
    start, end = max(start, filters.date_from or start), min(end, filters.date_to or end)
    if start > end:
        return None
    return SearchFilters(date_from=start, date_to=end, sources=filters.sources)


def in_window(published: str, as_of: date, days: int) -> bool:
    """Published in the ``days`` before ``as_of`` (or the day after)."""
    age = age_days(published, as_of)
    return age is not None and -1 <= age <= days


def older_than_window(published: str, as_of: date, days: int) -> bool:
    """Published before the ``days`` before ``as_of``: old news for a question about now
    (undated is never old: its age is unknown)."""
    age = age_days(published, as_of)
    return age is not None and age > days
