"""FAISS vector index over chunk ids: exact inner product for small corpora, IVF past a size."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class FaissIndex:
    """Normalised vectors keyed by int64 chunk id, with removal and id-filtered search.

    Exact search (``IndexFlatIP``) is used up to ``exact_max`` vectors: at 100k chunks it
    answers in a few milliseconds on 2 cores. Past that, an ``IndexIVFFlat`` with
    ~4·sqrt(n) lists (nprobe 16) keeps search fast; it supports removal too.
    """

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def create(cls, dim: int) -> "FaissIndex":
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def load(cls, path: Path) -> "FaissIndex":
        import faiss

        return cls(faiss.read_index(str(path)))

    @property
    def kind(self) -> str:
        import faiss

        return "ivf" if isinstance(faiss.downcast_index(self._index), faiss.IndexIVF) else "flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.asarray(ids, dtype=np.int64))

    def remove(self, ids) -> int:
        import faiss

        ids = np.asarray(list(ids), dtype=np.int64)
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids))) if len(ids) else 0

    def search(self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None):
        """Top ``k`` (ids, scores) for one query vector, restricted to ``allowed_ids`` if given."""
        import faiss

        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed_ids is not None:
            if len(allowed_ids) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            selector = faiss.IDSelectorBatch(np.asarray(allowed_ids, dtype=np.int64))
            # A filter (a date range, one source) can leave its few allowed vectors in lists
            # that 16 probes never visit, so a filtered IVF search probes every list: exact
            # within the filter, and no slower than a flat scan with the selector.
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=self._nlist()) if self.kind == "ivf"
                      else faiss.SearchParameters(sel=selector))
        # One query is faster on one thread: at 100k chunks 7 ms against 16 ms on two, and far
        # steadier under load (benchmarks/index_search.py). The OpenMP setting is shared with
        # torch, so it is restored at once rather than set for the process.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(query.reshape(1, -1).astype(np.float32), min(k, len(self)),
                                             params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray | None:
        """Inner products of ``query`` with the stored vectors of ``ids`` (all present), or
        None where the index cannot return stored vectors (IVF without a direct map)."""
        if not len(ids):
            return np.zeros(0, dtype=np.float32)
        try:
            vectors = self._index.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        except RuntimeError:
            return None
        return vectors @ query.astype(np.float32).reshape(-1)

    def _nlist(self) -> int:
        import faiss

        return int(faiss.downcast_index(self._index).nlist)

    def resized(self, exact_max: int) -> "FaissIndex":
        """This index, converted to IVF once it holds more than ``exact_max`` vectors."""
        import faiss

        if len(self) <= exact_max or self.kind == "ivf":
            return self
        ids = faiss.vector_to_array(faiss.downcast_index(self._index).id_map).astype(np.int64)
        vectors = self._index.reconstruct_batch(ids)
        dim = vectors.shape[1]
        nlist = int(4 * np.sqrt(len(ids)))
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: nlist * 64]]
        ivf.train(sample)
        ivf.nprobe = 16
        ivf.add_with_ids(vectors, ids)
        return FaissIndex(ivf)
