"""Which eval questions a news desk could answer from recent coverage (issue 18's groups).

"Answerable" in the eval splits only means a gold string occurs somewhere in the corpus. A
question is **reachable** when an article dated from 30 days before the question's date to
1 day after it contains a gold answer (word-bounded, case-insensitive) and shares at least
one content word (not a stop word, 3+ letters) with the question. The rest of the
answerable ones are "answerable, not reachable" (the string occurs only in old or unrelated
articles); then "unanswerable".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from benchmarks._common import corpus_records

REACHABLE, NOT_REACHABLE, UNANSWERABLE = "reachable", "answerable, not reachable", "unanswerable"
GROUPS = (REACHABLE, NOT_REACHABLE, UNANSWERABLE)
BEFORE_DAYS, AFTER_DAYS = 30, 1

# A short English stop list: words that say nothing about which article is meant.
STOP_WORDS = frozenset("""
a about after again against all also an and any are as at be been before being between both
but by can could did do does doing during each few for from had has have having he her here
hers him his how however i if in into is it its itself just last latest like made make many
me more most much my new news next not now of off on once one only or other our out over own
recent recently report reported reports said same say says she should since so some such
than that the their them then there these they this those through to too two under until up
very was way we week were what when where which while who whom whose why will with would
year years you your
""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


def content_words(text: str) -> set[str]:
    return {w for w in (m.group(0).lower().strip("'-") for m in _WORD.finditer(text))
            if len(w) >= 3 and w not in STOP_WORDS}


def article_date(record: dict) -> date | None:
    try:
        return date.fromisoformat(str(record.get("publish_date") or "").replace("/", "-")[:10])
    except ValueError:
        return None


def holds_gold(text: str, golds: Iterable[str]) -> bool:
    """A gold answer occurs in ``text`` as whole words, whatever the case."""
    return any(g.strip() and re.search(rf"(?<!\w){re.escape(g.strip())}(?!\w)", text, re.IGNORECASE)
               for g in golds)


def question_groups(questions: list[dict], corpus: Path) -> dict[str, str]:
    """Each question's id -> its group (``GROUPS``)."""
    articles = [(d, text, content_words(text)) for r in corpus_records(corpus)
                if (d := article_date(r)) is not None and (text := f"{r.get('title') or ''}\n{r.get('text') or ''}")]
    groups = {}
    for q in questions:
        if not q["answerable"]:
            groups[q["id"]] = UNANSWERABLE
            continue
        asked = date.fromisoformat(q["date"].replace("/", "-")[:10])
        lo, hi = asked - timedelta(days=BEFORE_DAYS), asked + timedelta(days=AFTER_DAYS)
        words = content_words(q["question"])
        reachable = any(lo <= d <= hi and words & article_words and holds_gold(text, q["answers"])
                        for d, text, article_words in articles)
        groups[q["id"]] = REACHABLE if reachable else NOT_REACHABLE
    return groups
