"""Hybrid retrieval: dense and BM25 candidates, ordered by the learned ranker, made diverse.

Both retrievers look ``candidates`` deep; every chunk either of them found gets the
features of ``qa.features`` (its score from both retrievers, question coverage, distance of
its date from ``as_of``, its article's other candidates ...) and the ranker's probability
that it holds the answer. Hand-set fusion weights (RRF + a title bonus + a recency bonus)
reached hit@5 0.58 on RealTime QA q1; the numbers of the learned ranker are in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np

from embeddings import ChunkRecord, NewsIndex, SearchFilters, Settings

from .features import Candidate, QuestionTerms, feature_matrix
from .ranker import Ranker, load_ranker
from .recency import asks_about_now, in_window, older_than_window, recent_filters
from .text import content_terms
from .timing import StageClock

MAX_PER_ARTICLE = 2  # diversity: more passages from one article crowd out corroboration
# For a question about now, recent passages scoring at least this share of the best one go
# first. On the 2025 tuning questions (benchmarks/RESULTS.md, issue 18) 0.5 put a recent
# answer in the top 5 for 64% of the reachable questions (57% before), and an old answer to
# a question with no recent coverage for 12% (27% before); 0.75 and 0.3 did less of either.
RECENT_FIRST_SHARE = 0.5
DUPLICATE_OVERLAP = 0.8  # chunks sharing this much vocabulary are one passage


@dataclass(frozen=True)
class Hit:
    chunk: ChunkRecord
    score: float  # the ranker's probability that this chunk holds the answer, 0..1
    dense: float  # cosine similarity to the question
    coverage: float  # share of the question's terms present in chunk + title


@dataclass(frozen=True)
class Pool:
    """One question's candidates and their feature matrix (what the ranker sees)."""

    candidates: tuple[Candidate, ...]
    features: np.ndarray
    coverage: tuple[float, ...]
    # Set when the recent window was searched too (a question about now): the window's days
    # and its end, for ``rank``'s recent first. Defaults keep older pickled pools loading.
    recent_days: int = 0
    as_of: date | None = None


def default_as_of(index: NewsIndex, today: date | None = None) -> date:
    """"Now" for a collection: today, or its newest article's date if that is earlier (an
    archive's questions are about its own latest news)."""
    today = today or date.today()
    try:
        newest = date.fromisoformat(index.newest_date[:10]) if index.newest_date else today
    except ValueError:
        newest = today
    return min(today, newest)


def candidate_pool(index: NewsIndex, question: str, depth: int, filters: SearchFilters | None = None,
                   as_of: date | None = None, clock: StageClock | None = None, recent_days: int = 0,
                   recent_depth: int = 0) -> Pool:
    """Everything dense or BM25 search finds ``depth`` deep, with ranker features; with
    ``recent_days``, also what each finds ``recent_depth`` deep among the articles of the
    ``recent_days`` before ``as_of``, when the question asks about now (``qa.recency``)."""
    clock = clock or StageClock()
    with clock.stage("embed_query"):
        vector = index.embed_query(question)
    with clock.stage("dense"):
        dense_ids, dense_found = index.dense_search(vector, depth, filters)
    with clock.stage("bm25"):
        bm25_ids, _ = index.bm25_search(question, depth, filters)
    dense_rank = {int(c): r for r, c in enumerate(dense_ids)}
    bm25_rank = {int(c): r for r, c in enumerate(bm25_ids)}
    ids = list(dict.fromkeys([*dense_rank, *bm25_rank]))
    recent = (recent_filters(filters, as_of, recent_days)
              if recent_days > 0 and recent_depth > 0 and as_of and asks_about_now(question, as_of) else None)
    if recent is None:
        recent_days = 0
    else:
        # Ranks stay those of the whole collection (a chunk found only here has none, as one
        # that only BM25 found has no dense rank): the ranker was trained on those.
        with clock.stage("dense"):
            recent_dense, _ = index.dense_search(vector, recent_depth, recent)
        with clock.stage("bm25"):
            recent_bm25, _ = index.bm25_search(question, recent_depth, recent)
        ids = list(dict.fromkeys([*ids, *(int(c) for c in recent_dense), *(int(c) for c in recent_bm25)]))
    if not ids:
        return Pool((), np.zeros((0, 0), dtype=np.float32), (), recent_days, as_of)
    with clock.stage("dense"):
        dense = index.dense_similarities(vector, ids)
        if dense is None:  # an IVF index keeps no vectors to compare: the last found score bounds the rest
            floor = float(dense_found[-1]) if len(dense_found) else 0.0
            dense_of = {int(c): float(v) for c, v in zip(dense_ids, dense_found)}
            dense = np.asarray([dense_of.get(i, floor) for i in ids], dtype=np.float32)
    with clock.stage("bm25"):
        bm25 = index.bm25_scores(question, ids)
    with clock.stage("fetch"):
        chunks = {c.id: c for c in index.chunks(ids)}
    with clock.stage("rank"):
        candidates = tuple(Candidate(chunks[i], float(d), float(b), dense_rank.get(i, -1), bm25_rank.get(i, -1))
                           for i, d, b in zip(ids, dense, bm25) if i in chunks)
        terms = tuple(dict.fromkeys(content_terms(question)))
        matrix, coverage = feature_matrix(candidates, QuestionTerms(terms, tuple(index.idf(terms))), as_of, depth)
    return Pool(candidates, matrix, tuple(coverage), recent_days, as_of)


def retrieve(index: NewsIndex, question: str, k: int, candidates: int = 100,
             filters: SearchFilters | None = None, as_of: date | None = None,
             ranker: Ranker | None = None, clock: StageClock | None = None,
             recent_days: int = 0, recent_candidates: int = 0) -> list[Hit]:
    """The ``k`` best chunks for ``question``.

    Args:
        index: a loaded index.
        question: a standalone question.
        k: how many passages to return.
        candidates: how deep each retriever looks before ranking.
        filters: publish-date range and source restrictions (hard limits the user chose).
        as_of: the date the question is asked on: articles near it rank higher (a learned
            prior, not a filter). Default: today, or the collection's newest date.
        ranker: the passage ranker (default: the packaged one).
        clock: records the time of each stage (query embedding, dense, BM25, fetch, rank).
        recent_days: with ``recent_candidates``, a question about now is also searched among
            the articles of the ``recent_days`` before ``as_of`` (0: the whole collection only).
        recent_candidates: how deep each retriever looks in that window.

    Raises:
        ModelUnavailableError: the packaged ranker file is missing or damaged.
    """
    return retrieve_deeper(index, question, k, k, candidates, filters, as_of, ranker, clock, recent_days,
                           recent_candidates)[0]


def retrieve_deeper(index: NewsIndex, question: str, k: int, depth: int, candidates: int = 100,
                    filters: SearchFilters | None = None, as_of: date | None = None,
                    ranker: Ranker | None = None, clock: StageClock | None = None,
                    recent_days: int = 0, recent_candidates: int = 0) -> tuple[list[Hit], list[Hit]]:
    """``retrieve``'s ``k`` hits, and the ranking's first ``depth`` from the same candidates
    (``prompt_hits`` looks there for recent passages). The two can differ beyond the order of
    the first ``k``: ``rank`` keeps the most probable passage among the ``k`` it returns."""
    as_of = as_of or default_as_of(index)
    clock = clock or StageClock()
    pool = candidate_pool(index, question, candidates, filters, as_of, clock, recent_days, recent_candidates)
    ranker = ranker or load_ranker()
    with clock.stage("rank"):
        hits = rank(pool, k, ranker)
        return hits, (rank(pool, depth, ranker) if depth > k else hits)


def recent_first(hits: Sequence[Hit], as_of: date, days: int, share: float = RECENT_FIRST_SHARE) -> list[Hit]:
    """``hits`` with the recent ones that score at least ``share`` of the best first, each
    part in its own order: a week's story ahead of a similar, older one."""
    best = hits[0].score if hits else 0.0
    recent = [h for h in hits if h.score >= share * best and in_window(h.chunk.publish_date, as_of, days)]
    chosen = {id(h) for h in recent}
    return [*recent, *(h for h in hits if id(h) not in chosen)]


# How relevant a recent passage must be, against the best passage, for the older ones to
# go. On the tuning pools (no model), a recent answer-holding passage was shown for one
# reachable question in 266 fewer at 0.7 than with no bar, two fewer at 0.8, four at 0.9.
RECENT_AS_RELEVANT = 0.7


def without_stale(hits: Sequence[Hit], question: str, as_of: date, days: int, floor: float) -> list[Hit]:
    """For a question about now, ``hits`` without those published before the ``days`` before
    ``as_of``, when one from inside that window is relevant in its own right: ``relevance`` at
    least ``floor`` and ``RECENT_AS_RELEVANT`` of the best passage's. Otherwise ``hits`` as
    they are. Undated passages stay: their age is unknown.

    The model takes the first plausible name it reads: shown a five-month-old article about
    an earlier, similar event beside this week's, it often answered from the old one
    (benchmarks/RESULTS.md, issue 18). The relevance bar keeps an old article that answers
    from being swapped for a recent one that only shares a word with the question.
    """
    hits = list(hits)
    bar = max(floor, RECENT_AS_RELEVANT * relevance(hits))
    if not asks_about_now(question, as_of) or not any(
            in_window(h.chunk.publish_date, as_of, days) and relevance([h]) >= bar for h in hits):
        return hits
    return [h for h in hits if not older_than_window(h.chunk.publish_date, as_of, days)]


def prompt_hits(hits: Sequence[Hit], ranked: Sequence[Hit], question: str, as_of: date,
                settings: Settings) -> list[Hit]:
    """The passages the model is shown: ``hits`` (``retrieve``'s), or, when ``without_stale``
    leaves older passages out of ``ranked`` (the ranking's first
    ``settings.recent_prompt_depth``), as many of what it keeps (0: always ``hits``)."""
    deep = list(ranked[:settings.recent_prompt_depth])
    fresh = without_stale(deep, question, as_of, settings.recent_days, settings.min_relevance)
    return list(hits) if len(fresh) == len(deep) else fresh[:len(hits)]


def rank(pool: Pool, k: int, ranker: Ranker, recent_share: float | None = RECENT_FIRST_SHARE) -> list[Hit]:
    """The pool's ``k`` most probable answer-holding chunks, near-duplicates and the third
    chunk of one article left out; for a pool that searched the recent window, its passages
    scoring ``recent_share`` of the best go first (None: never)."""
    hits = score_pool(pool, ranker)
    if not pool.recent_days or recent_share is None:
        return diversify(hits, k)
    top = diversify(hits, k)
    chosen = diversify(recent_first(hits, pool.as_of, pool.recent_days, recent_share), k)
    # The most probable passage stays, last if recent ones outrank it: the relevance gate
    # and the model still see the strongest evidence (without it, recent first made the
    # gate abstain on questions the old order answered).
    if top and top[0] not in chosen:
        chosen = [*chosen[: k - 1], top[0]]
    return chosen


def score_pool(pool: Pool, ranker: Ranker) -> list[Hit]:
    """Every candidate of the pool with the ranker's probability, most probable first."""
    probabilities = ranker.probabilities(pool.features)
    hits = [Hit(c.chunk, float(p), c.dense, cov)
            for c, p, cov in zip(pool.candidates, probabilities, pool.coverage)]
    hits.sort(key=lambda h: (-h.score, h.chunk.id))
    return hits


def diversify(hits: Sequence[Hit], k: int) -> list[Hit]:
    """Drop near-duplicate chunks (syndicated copies) and cap passages per article."""
    chosen: list[Hit] = []
    per_article: dict[str, int] = {}
    vocab: list[set[str]] = []
    for hit in hits:
        if per_article.get(hit.chunk.article_id, 0) >= MAX_PER_ARTICLE:
            continue
        terms = set(content_terms(hit.chunk.text))
        if any(len(terms & v) / max(1, min(len(terms), len(v))) >= DUPLICATE_OVERLAP for v in vocab):
            continue
        chosen.append(hit)
        vocab.append(terms)
        per_article[hit.chunk.article_id] = per_article.get(hit.chunk.article_id, 0) + 1
        if len(chosen) == k:
            break
    return chosen


def relevance(hits: Sequence[Hit]) -> float:
    """How likely the passages hold an answer: the best question-term coverage among the
    top hits, blended with the best dense similarity. Absolute, unlike the ranker's
    probability (whose features are mostly relative to the question's other candidates, so
    that it is high for the best of a bad lot); calibrated in benchmarks/eval_qa.py on the
    2025 tuning questions."""
    if not hits:
        return 0.0
    return max(0.5 * h.coverage + 0.5 * max(h.dense, 0.0) for h in hits)

