"""Which eval questions a news desk could answer from recent coverage (issue 18's groups).

"Answerable" in the eval splits only means a gold string occurs somewhere in the corpus. A
question is **reachable** when an article dated from 30 days before the question's date to
1 day after it contains a gold answer (word-bounded, case-insensitive) and shares at least
one content word (not a stop word, 3+ letters) with the question. The rest of the
answerable ones are "answerable, not reachable" (the string occurs only in old or unrelated
articles); then "unanswerable".

A reachable question's answer is **stated** when a sentence of a window article holds it and
shares at least two more of the question's content words (the answer's own words not
counted): the reachability rule also admits an article that names the answer in passing
("Texas" in an unrelated article, for a question about a July flood asked in December).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from benchmarks._common import corpus_records

REACHABLE, NOT_REACHABLE, UNANSWERABLE = "reachable", "answerable, not reachable", "unanswerable"
GROUPS = (REACHABLE, NOT_REACHABLE, UNANSWERABLE)
STATED, NOT_STATED = "reachable, stated", "reachable, not stated"  # the reachable ones, split
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
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


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


def dated_articles(corpus: Path) -> list[tuple[date, str]]:
    """(publish date, title and text) of each dated article of a split's corpus."""
    return [(d, f"{r.get('title') or ''}\n{r.get('text') or ''}") for r in corpus_records(corpus)
            if (d := article_date(r)) is not None]


def _window(question: dict) -> tuple[date, date]:
    asked = date.fromisoformat(question["date"].replace("/", "-")[:10])
    return asked - timedelta(days=BEFORE_DAYS), asked + timedelta(days=AFTER_DAYS)


def stated(question: dict, window_articles: list[tuple[date, str]]) -> bool:
    """A window article has a sentence holding a gold answer and two more of the question's words."""
    lo, hi = _window(question)
    words = content_words(question["question"]) - {w for g in question["answers"] for w in content_words(g)}
    for published, text in window_articles:
        if not lo <= published <= hi or not holds_gold(text, question["answers"]):
            continue
        for sentence in _SENTENCE_END.split(text):
            if holds_gold(sentence, question["answers"]) and len(words & content_words(sentence)) >= 2:
                return True
    return False


def question_groups(questions: list[dict], corpus: Path) -> dict[str, str]:
    """Each question's id -> its group (``GROUPS``)."""
    return _groups(questions, dated_articles(corpus))


def group_labels(questions: list[dict], corpus: Path) -> dict[str, tuple[str, ...]]:
    """Each question's id -> its group, and for a reachable one ``STATED`` or ``NOT_STATED``
    after it: the not-stated ones are mostly the answer named in passing, which no ranker can
    tell from a coincidence (benchmarks/recent_ceiling.py). The corpus is read once."""
    articles = dated_articles(corpus)
    groups = _groups(questions, articles)
    labels = {}
    for q in questions:
        group = groups[q["id"]]
        labels[q["id"]] = (group, STATED if stated(q, articles) else NOT_STATED) if group == REACHABLE else (group,)
    return labels


def _groups(questions: list[dict], dated: list[tuple[date, str]]) -> dict[str, str]:
    articles = [(d, text, content_words(text)) for d, text in dated]
    groups = {}
    for q in questions:
        if not q["answerable"]:
            groups[q["id"]] = UNANSWERABLE
            continue
        lo, hi = _window(q)
        words = content_words(q["question"])
        reachable = any(lo <= d <= hi and words & article_words and holds_gold(text, q["answers"])
                        for d, text, article_words in articles)
        groups[q["id"]] = REACHABLE if reachable else NOT_REACHABLE
    return groups
