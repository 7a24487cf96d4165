"""Search without a question: the articles that best match a few words, ranked, each with the
passage that matches best and the search terms located in it.

The same retrieval as an answer (``retrieve.candidate_pool``: dense and BM25 candidates, the
learned ranker's probability for each chunk), grouped per article: an article ranks by its
best chunk. No generation model is loaded, so a search costs the query's embedding and the
two index look-ups (``benchmarks/search_latency.py``).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from datetime import date

from embeddings import NewsIndex, SearchFilters, Settings, split_sentences

from .collection import INDEXES
from .question import validate_query
from .ranker import load_ranker
from .retrieve import Hit, candidate_pool, default_as_of, score_pool
from .text import content_terms, term_overlap, term_spans, word_end, word_start

DEFAULT_RESULTS = 10
MAX_RESULTS = 50
SNIPPET_CHARS = 320  # the passage shown: the best sentence, widened to about this many characters
# An article whose candidate chunks hold none of the search terms is listed only when it is
# this close in meaning (cosine of all-MiniLM-L6-v2; unrelated news scores 0.0-0.3), so a
# search for a word no article holds lists nothing rather than the nearest noise.
SEMANTIC_MIN = 0.5


@dataclass(frozen=True)
class SearchHit:
    """One article found, with its best-matching passage."""

    article_id: str  # what ``qa.article`` opens
    title: str
    source: str  # who published it: the article's byline
    date: str  # ISO 8601 publish date or ""
    url: str
    path: str
    score: float  # the ranker's probability for the article's best chunk, 0..1
    passage: str  # the best sentence with some context ("…" where it was cut)
    highlights: tuple[tuple[int, int], ...]  # character spans of the search terms in ``passage``
    quote: str  # the best sentence itself
    start: int  # the best sentence's character span in the cleaned article
    end: int
    chunk_id: int
    matches: int  # the article's chunks among the candidates


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[SearchHit, ...]
    terms: tuple[str, ...]  # the stemmed search terms that are highlighted
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def search(query: str, *, k: int = DEFAULT_RESULTS, filters: SearchFilters | None = None,
           settings: Settings | None = None, index: NewsIndex | None = None,
           as_of: date | None = None, newest_first: bool = False) -> SearchResults:
    """The articles that best match ``query``, best first; no generation model runs.

    Args:
        query: a few words or a phrase, in English.
        k: how many articles at most (1..``MAX_RESULTS``).
        filters: publish-date range and sources to search within.
        settings: defaults from the environment (``Settings.from_env()``).
        index: a loaded index (default: the live index in ``settings.index_dir``).
        as_of: the date searched from: articles near it rank a little higher, as for answers
            (default: today, or the newest article's date if the collection is older).
        newest_first: list the matching articles by publish date, newest first (undated
            last), instead of best match first.

    Returns:
        ``SearchResults``; ``hits`` is empty when no article holds a search term or comes
        close in meaning.

    Raises:
        InvalidInputError: an empty, over-long or non-English query.
        IndexNotFoundError / IndexMismatchError / IndexDamagedError: no usable index; the
            message says how to build one.
        ModelUnavailableError: the packaged ranker file is missing or damaged.
    """
    started = time.perf_counter()
    settings = settings or Settings.from_env()
    query = validate_query(query, settings.max_question_chars)
    k = max(1, min(MAX_RESULTS, int(k)))
    index = index or INDEXES.get(settings)
    depth = max(settings.candidates, 4 * k)
    pool = candidate_pool(index, query, depth, filters, as_of or default_as_of(index))
    terms = frozenset(content_terms(query))
    found = [(best, matches) for best, matches in best_per_article(score_pool(pool, load_ranker()))
             if _is_match(best, matches)]
    if newest_first:  # a stable sort: articles of one day stay in order of match
        found.sort(key=lambda pair: pair[0].chunk.publish_date or "", reverse=True)
    found = found[:k]
    hits = tuple(_hit(best, matches, terms) for best, matches in found)  # snippets for the k shown only
    return SearchResults(query, hits, tuple(sorted(terms)), round(time.perf_counter() - started, 4))


def best_per_article(hits: list[Hit]) -> list[tuple[Hit, list[Hit]]]:
    """``hits`` (best first) grouped by article: each article's best hit with all of its
    hits, in the order of their best."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.chunk.article_id, []).append(hit)
    return [(group[0], group) for group in groups.values()]


def _is_match(best: Hit, matches: list[Hit]) -> bool:
    return any(h.coverage > 0 for h in matches) or max(h.dense for h in matches) >= SEMANTIC_MIN


def _hit(best: Hit, matches: list[Hit], terms: frozenset[str]) -> SearchHit:
    # The chunk shown is the best-ranked one that holds a search term (the ranker may prefer a
    # chunk for its neighbours' sake); the best-ranked one when none does.
    chunk = next((h.chunk for h in matches if term_spans(h.chunk.text, terms)), best.chunk)
    start, end = best_sentence(chunk.text, terms)
    passage, highlights = snippet(chunk.text, start, end, terms)
    return SearchHit(article_id=chunk.article_id, title=chunk.title, source=chunk.byline, date=chunk.publish_date,
                     url=chunk.url, path=chunk.path, score=round(best.score, 5), passage=passage,
                     highlights=tuple(highlights), quote=chunk.text[start:end], start=chunk.start + start,
                     end=chunk.start + end, chunk_id=chunk.id, matches=len(matches))


def best_sentence(text: str, terms: frozenset[str] | set[str]) -> tuple[int, int]:
    """The span of the sentence of ``text`` holding the most distinct search terms (the first
    of equals; the first sentence when none holds any)."""
    spans = split_sentences(text) or [(0, len(text))]
    if not terms:
        return spans[0]
    return max(spans, key=lambda s: (term_overlap(set(terms), set(content_terms(text[s[0]:s[1]]))), -s[0]))


def snippet(text: str, start: int, end: int, terms: frozenset[str] | set[str],
            size: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """``text[start:end]`` widened to about ``size`` characters at word boundaries, with "…"
    where it was cut, and the spans of the search terms in it.

    A sentence longer than ``size`` is cut around its first search term instead.
    """
    if end - start > size:
        first = next(iter(term_spans(text[start:end], terms)), (0, 0))[0] + start
        lo = min(first, word_start(text, max(start, first - size // 3)))
        hi = word_end(text, min(end, lo + size))
    else:
        spare = size - (end - start)
        lo = min(start, word_start(text, max(0, start - spare // 3)))
        hi = max(end, word_end(text, min(len(text), end + spare - (start - lo))))
    raw = text[lo:hi]
    lead = "…" if lo > 0 else ""
    offset = len(lead) - (len(raw) - len(raw.lstrip()))  # from a position in raw to one in passage
    passage = lead + raw.strip() + ("…" if hi < len(text) else "")
    return passage, [(a + offset, b + offset) for a, b in term_spans(raw, terms)]


def highlight_spans(text: str, query: str) -> list[tuple[int, int]]:
    """The spans of ``query``'s search terms in ``text`` (any form of the word: "leaders"
    for "leader"), as ``SearchHit.highlights`` marks them in a passage."""
    return term_spans(text, frozenset(content_terms(query or "")))
