"""Cheap per-candidate features for the learned ranker (``qa/ranker.py``).

Every candidate chunk that dense or BM25 search found is described by the same numbers:
how each retriever scored and ranked it, how much of the question (weighted by rarity) it
and its title hold, how far its publish date lies from the question's date, how its article
fared among the candidates, and where in the article it sits. All of it comes from data the
search already has: no model runs here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Sequence

import numpy as np

from embeddings import ChunkRecord

from .text import content_terms

#: Column order of the feature matrix; the ranker file names them and must match.
FEATURES: tuple[str, ...] = (
    "dense", "dense_gap", "dense_rank", "bm25_norm", "bm25_rank", "rrf",
    "coverage", "idf_coverage", "idf_coverage_gap", "idf_title", "title_overlap",
    "age_log", "future_log", "undated", "within_week", "within_month",
    "article_best_dense", "article_mean_dense", "article_best_bm25", "article_best_idf", "article_candidates",
    "position", "first_chunk",
)

RRF_K = 60  # the constant of Cormack et al.


@dataclass(frozen=True)
class Candidate:
    """A chunk found by either retriever, with its raw scores (rank -1: not found by it)."""

    chunk: ChunkRecord
    dense: float
    bm25: float
    dense_rank: int
    bm25_rank: int


@dataclass(frozen=True)
class QuestionTerms:
    """The question's content terms with their inverse document frequency in the index."""

    terms: tuple[str, ...]
    idf: tuple[float, ...]

    def weighted_share(self, found: set[str]) -> float:
        total = sum(self.idf)
        if not total:
            return 0.0
        return sum(w for t, w in zip(self.terms, self.idf) if t in found) / total

    def share(self, found: set[str]) -> float:
        return sum(t in found for t in self.terms) / len(self.terms) if self.terms else 0.0


def age_days(published: str, as_of: date | None) -> int | None:
    """Days from ``published`` (ISO) to ``as_of``; negative for a later article, None if undated."""
    if not published or as_of is None:
        return None
    try:
        return (as_of - date.fromisoformat(published[:10])).days
    except ValueError:
        return None


def feature_matrix(candidates: Sequence[Candidate], question: QuestionTerms, as_of: date | None,
                   depth: int) -> tuple[np.ndarray, list[float]]:
    """The ``len(candidates) x len(FEATURES)`` matrix, and each candidate's plain coverage.

    Args:
        candidates: the pooled candidates of one question.
        question: its terms and their idf.
        as_of: the date the question is asked on (recency is measured from it).
        depth: how deep each retriever looked; a candidate one retriever missed counts as
            ranked just past it.
    """
    if not candidates:
        return np.zeros((0, len(FEATURES)), dtype=np.float32), []
    max_dense = max(c.dense for c in candidates)
    max_bm25 = max(c.bm25 for c in candidates) or 1.0
    by_article: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_article.setdefault(c.chunk.article_id, []).append(c)
    title_terms_of: dict[str, set[str]] = {}
    found_of = []
    for c in candidates:
        title_terms = title_terms_of.setdefault(c.chunk.title, set(content_terms(c.chunk.title)))
        found_of.append(set(content_terms(c.chunk.text)) | title_terms)
    idf_coverage = [question.weighted_share(found) for found in found_of]
    best_idf = max(idf_coverage)
    article_idf: dict[str, float] = {}
    for c, value in zip(candidates, idf_coverage):
        article_idf[c.chunk.article_id] = max(value, article_idf.get(c.chunk.article_id, 0.0))
    rows, coverages = [], []
    for c, found, idf_cov in zip(candidates, found_of, idf_coverage):
        siblings = by_article[c.chunk.article_id]
        coverage = question.share(found)
        coverages.append(coverage)
        values = _features(c, siblings, question, title_terms_of[c.chunk.title], coverage, idf_cov, best_idf,
                           article_idf[c.chunk.article_id], max_dense, max_bm25, as_of, depth)
        rows.append([values[name] for name in FEATURES])
    return np.asarray(rows, dtype=np.float32), coverages


def _features(c: Candidate, siblings: list[Candidate], question: QuestionTerms, title_terms: set[str],
              coverage: float, idf_cov: float, best_idf: float, article_idf: float, max_dense: float,
              max_bm25: float, as_of: date | None, depth: int) -> dict[str, float]:
    """One candidate's features, keyed by name: ``feature_matrix`` lays them out in ``FEATURES``'
    order, so a feature added here and not there (or the reverse) fails at once."""
    chunk = c.chunk
    dense_rank = c.dense_rank if c.dense_rank >= 0 else depth
    bm25_rank = c.bm25_rank if c.bm25_rank >= 0 else depth
    age = age_days(chunk.publish_date, as_of)
    values = {
        "dense": c.dense,
        "dense_gap": c.dense - max_dense,
        "dense_rank": math.log1p(dense_rank),
        "bm25_norm": c.bm25 / max_bm25,
        "bm25_rank": math.log1p(bm25_rank),
        "rrf": (1 / (RRF_K + dense_rank + 1) + 1 / (RRF_K + bm25_rank + 1)) * RRF_K,
        "coverage": coverage,
        "idf_coverage": idf_cov,
        "idf_coverage_gap": idf_cov - best_idf,
        "idf_title": question.weighted_share(title_terms),
        "title_overlap": question.share(title_terms),
        "age_log": math.log1p(max(age, 0)) if age is not None else 0.0,
        "future_log": math.log1p(max(-age, 0)) if age is not None else 0.0,
        "undated": 1.0 if age is None else 0.0,
        "within_week": 1.0 if age is not None and 0 <= age <= 7 else 0.0,
        "within_month": 1.0 if age is not None and 0 <= age <= 31 else 0.0,
        "article_best_dense": max(s.dense for s in siblings),
        "article_mean_dense": sum(s.dense for s in siblings) / len(siblings),
        "article_best_bm25": max(s.bm25 for s in siblings) / max_bm25,
        "article_best_idf": article_idf,
        "article_candidates": math.log1p(len(siblings)),
        "position": math.log1p(chunk.ordinal),
        "first_chunk": 1.0 if chunk.ordinal == 0 else 0.0,
    }
    if len(values) != len(FEATURES):  # one missing from here is a KeyError in feature_matrix
        raise AssertionError(f"features not in FEATURES: {sorted(values.keys() - set(FEATURES))}")
    return values
