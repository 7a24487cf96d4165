"""The whole article behind a citation or a search result, and where the cited span lies in it.

The text is the cleaned article as indexed (the chunk store's), so a citation's or a search
hit's character span points into it directly. A span can be stale (the article was
re-indexed since the answer was given, and its text moved), so ``locate_quote`` checks it
against the quoted sentence and searches for the quote when they disagree.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from embeddings import InvalidInputError, NewsIndex, Settings, split_sentences

from .collection import INDEXES
from .text import content_terms, term_overlap

MAX_ARTICLE_ID_CHARS = 200


@dataclass(frozen=True)
class ArticleText:
    """An indexed article as a reader sees it."""

    article_id: str
    title: str
    source: str  # who published it: the article's byline
    date: str  # ISO 8601 publish date or ""
    url: str  # the original's address, "" for a file or pasted text
    path: str  # the file it was read from (server-side)
    text: str  # the cleaned text, as indexed

    def to_dict(self) -> dict:
        return asdict(self)


def article(article_id: str, *, settings: Settings | None = None, index: NewsIndex | None = None) -> ArticleText:
    """The indexed article ``article_id`` (a ``SearchHit``'s, ``Citation``'s or ``Passage``'s).

    Raises:
        InvalidInputError: no such article in the index (a rebuild may have removed it).
        IndexNotFoundError / IndexMismatchError / IndexDamagedError: no usable index.
    """
    if not isinstance(article_id, str) or not article_id.strip() or len(article_id) > MAX_ARTICLE_ID_CHARS:
        raise InvalidInputError("that is not an article id: open the article from a search result or a citation")
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    found = index.article(article_id.strip())
    if found is None:
        raise InvalidInputError(f"no article {article_id.strip()!r} in the index: it was removed or changed by a "
                                "rebuild since; search again to find it")
    return ArticleText(found.id, found.title, found.byline, found.publish_date, found.url, found.path, found.text)


def locate_quote(text: str, quote: str, start: int = -1, end: int = -1) -> tuple[int, int] | None:
    """Where ``quote`` lies in ``text``: the span ``(start, end)`` a citation gives, if the
    text there is the quote; else the quote found verbatim, then ignoring case and runs of
    whitespace; else the sentence sharing most of its words. ``None`` when no sentence
    shares any (or there is no quote and no valid span).
    """
    text, quote = text or "", (quote or "").strip()
    valid = 0 <= start < end <= len(text)
    if valid and (not quote or _same(text[start:end], quote)):
        return start, end
    if not quote:
        return None
    found = find_quote(text, quote, max(0, start - 2000) if valid else 0)
    if found:
        return found
    terms = set(content_terms(quote))
    scored = [(term_overlap(terms, set(content_terms(text[a:b]))), -a, (a, b)) for a, b in split_sentences(text)]
    best = max(scored, default=None)
    return best[2] if best and best[0] > 0 else None


def find_quote(text: str, quote: str, near: int = 0) -> tuple[int, int] | None:
    """``quote``'s span in ``text``: verbatim (first from ``near`` on, else anywhere), then
    ignoring case and runs of whitespace; ``None`` if neither finds it (or it is blank)."""
    i = text.find(quote, near)
    if i < 0:
        i = text.find(quote)
    if i >= 0:
        return i, i + len(quote)
    words = quote.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def _same(a: str, b: str) -> bool:
    return a == b or " ".join(a.split()).lower() == " ".join(b.split()).lower()
