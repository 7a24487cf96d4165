"""Pure word-level helpers shared by retrieval, prompt building and citation checking."""

from __future__ import annotations

import functools
import re

STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had
has have having he her here hers herself him himself his how i if in into is it its itself just
me more most my myself no nor not now of off on once only or other our ours ourselves out over own
same she should so some such than that the their theirs them themselves then there these they this
those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves also said says say according new one two told
""".split())

_WORD = re.compile(r"[\w’']+")


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.strip("'’").lower() for w in _WORD.findall(text) if w.strip("'’")]


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (stopwords dropped), in order."""
    kept = [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords([w.removesuffix("'s").removesuffix("’s") for w in kept])


def term_overlap(query_terms: set[str], text_terms: set[str]) -> float:
    """Share of the query's terms found in the text (0..1)."""
    return len(query_terms & text_terms) / len(query_terms) if query_terms else 0.0


def term_spans(text: str, terms: set[str] | frozenset[str]) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` whose ``content_terms`` stem is in ``terms``
    (so "leaders" matches a search for "leader"), in order; a possessive keeps its "'s"."""
    if not terms or not text:
        return []
    found = [m for m in _WORD.finditer(text) if m.group().strip("'’")]
    # The same steps as ``content_terms``, one word at a time, so the stems agree.
    kept = [(m, w) for m in found for w in [m.group().strip("'’").lower()]
            if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    stems = _stemmer().stemWords([w.removesuffix("'s").removesuffix("’s") for _, w in kept])
    return [(m.start(), m.end()) for (m, _), stem in zip(kept, stems) if stem in terms]


UNTITLED = "Untitled article"  # what every view shows for an article without a title


def plural(n: int, word: str) -> str:
    """``word`` as counted ``n`` times: "article" for 1, "articles" otherwise."""
    return word if n == 1 else f"{word}s"


# Cut at a space near the limit rather than mid-word (within 30 characters; else exactly).
def word_start(text: str, i: int) -> int:
    """A cut at or after ``i`` that starts a word (at most 30 characters on; else ``i``)."""
    if i <= 0:
        return 0
    j = text.find(" ", i)
    return j + 1 if 0 <= j < i + 30 else i


def word_end(text: str, i: int) -> int:
    """A cut at or before ``i`` that ends a word (at most 30 characters back; else ``i``)."""
    if i >= len(text):
        return len(text)
    j = text.rfind(" ", 0, i)
    return j if j > i - 30 else i
