"""What a loaded index searches with: the ``ChunkSearch`` protocol and its local backend.

``NewsIndex`` asks one of these for dense and BM25 candidates and for the scores the ranker
needs; the chunk store (texts, dates, articles) stays beside it either way. Two backends:
``LocalSearch`` (FAISS + bm25s in this process, here) and ``milvus_index.MilvusChunks`` (a
Milvus collection).
"""

from __future__ import annotations

from typing import Protocol, Sequence

import numpy as np

from .dense_index import FaissIndex
from .sparse_index import Bm25Index
from .store import ChunkStore


class ChunkSearch(Protocol):
    def dense_search(self, vector: np.ndarray, k: int, filters=None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (chunk ids, cosine scores) within ``SearchFilters``."""

    def bm25_search(self, query: str, k: int, filters=None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (chunk ids, BM25 scores) within ``SearchFilters``; the scale is the backend's."""

    def dense_similarities(self, vector: np.ndarray, chunk_ids: Sequence[int]) -> np.ndarray | None:
        """Cosine with each given chunk, or None where the backend keeps no vectors to compare."""

    def bm25_scores(self, query: str, chunk_ids: Sequence[int]) -> np.ndarray:
        """BM25 score of the question for each given chunk (0 where no term matches)."""

    def idf(self, terms: Sequence[str]) -> list[float]:
        """Inverse document frequency of stemmed terms among the chunks."""

    def close(self) -> None: ...


class LocalSearch:
    """FAISS and bm25s in memory; filters become the chunk store's allowed ids."""

    def __init__(self, dense: FaissIndex, sparse: Bm25Index, store: ChunkStore) -> None:
        self.dense = dense
        self.sparse = sparse
        self._store = store

    def dense_search(self, vector: np.ndarray, k: int, filters=None):
        return self.dense.search(vector, k, self._allowed(filters))

    def bm25_search(self, query: str, k: int, filters=None):
        return self.sparse.search(query, k, self._allowed(filters))

    def dense_similarities(self, vector: np.ndarray, chunk_ids: Sequence[int]) -> np.ndarray | None:
        return self.dense.similarities(vector, np.asarray(chunk_ids, dtype=np.int64))

    def bm25_scores(self, query: str, chunk_ids: Sequence[int]) -> np.ndarray:
        return self.sparse.scores_for(query, chunk_ids)

    def idf(self, terms: Sequence[str]) -> list[float]:
        return self.sparse.idf(terms)

    def _allowed(self, filters) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return self._store.chunk_ids_where(filters.date_from, filters.date_to, filters.sources)

    def close(self) -> None:
        """Nothing to release: the store is closed by its index."""
