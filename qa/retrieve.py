"""Hybrid retrieval: BM25 + dense, fused by reciprocal rank, then cheap measured signals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from embeddings import ChunkRecord, NewsIndex, SearchFilters

from .text import content_terms, term_overlap

RRF_K = 60  # the constant of Cormack et al.; flat enough that both lists count
TITLE_WEIGHT = 0.01  # a full title match is worth about one top-40 rank step in RRF terms
# News questions are about recent events: up to one fused rank step for an article published
# in the collection's latest year, fading to none. Measured on RealTime QA q1: hit@5 0.54 -> 0.58
# (benchmarks/eval_qa.py).
RECENCY_WEIGHT = 0.01
RECENCY_SPAN_DAYS = 365
MAX_PER_ARTICLE = 2  # diversity: more passages from one article crowd out corroboration
DUPLICATE_OVERLAP = 0.8  # chunks sharing this much vocabulary are one passage


@dataclass(frozen=True)
class Hit:
    chunk: ChunkRecord
    score: float  # fused score used for ranking
    dense: float  # cosine similarity, 0 if not found by dense search
    bm25: float
    coverage: float  # share of the question's terms present in chunk + title


def retrieve(index: NewsIndex, question: str, k: int, candidates: int = 40,
             filters: SearchFilters | None = None) -> list[Hit]:
    """The ``k`` best chunks for ``question``.

    Args:
        index: a loaded index.
        question: a standalone question.
        k: how many passages to return.
        candidates: how deep each retriever looks before fusion.
        filters: publish-date range and source restrictions.
    """
    dense_ids, dense_scores = index.dense_search(question, candidates, filters)
    bm25_ids, bm25_scores = index.bm25_search(question, candidates, filters)
    fused: dict[int, float] = {}
    for ids in (dense_ids, bm25_ids):
        for rank, cid in enumerate(ids):
            fused[int(cid)] = fused.get(int(cid), 0.0) + 1.0 / (RRF_K + rank + 1)
    dense_of = {int(c): float(s) for c, s in zip(dense_ids, dense_scores)}
    bm25_of = {int(c): float(s) for c, s in zip(bm25_ids, bm25_scores)}
    terms = set(content_terms(question))
    newest = index.newest_date
    hits = []
    for chunk in index.chunks(list(fused)):
        title_terms = set(content_terms(chunk.title))
        coverage = term_overlap(terms, set(content_terms(chunk.text)) | title_terms)
        score = (fused[chunk.id] + TITLE_WEIGHT * term_overlap(terms, title_terms)
                 + RECENCY_WEIGHT * recency(chunk.publish_date, newest))
        hits.append(Hit(chunk, score, dense_of.get(chunk.id, 0.0), bm25_of.get(chunk.id, 0.0), coverage))
    hits.sort(key=lambda h: h.score, reverse=True)
    return diversify(hits, k)


def recency(published: str, newest: str) -> float:
    """1 for the newest articles, falling linearly to 0 over ``RECENCY_SPAN_DAYS``; 0 if undated."""
    if not published or not newest:
        return 0.0
    try:
        age = (date.fromisoformat(newest) - date.fromisoformat(published)).days
    except ValueError:
        return 0.0
    return max(0.0, 1.0 - max(age, 0) / RECENCY_SPAN_DAYS)


def diversify(hits: list[Hit], k: int) -> list[Hit]:
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


def relevance(hits: list[Hit]) -> float:
    """How likely the passages hold an answer: the best question-term coverage among the
    top hits, blended with the best dense similarity. Calibrated in benchmarks/eval_qa.py."""
    if not hits:
        return 0.0
    return max(0.5 * h.coverage + 0.5 * max(h.dense, 0.0) for h in hits)

