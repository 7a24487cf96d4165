"""BM25 over chunk texts with ``bm25s``, keyed by the same int64 chunk ids as FAISS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np


def _tokenizer():
    import bm25s
    import Stemmer

    return bm25s.tokenization.Tokenizer(stopwords="en", stemmer=Stemmer.Stemmer("english"))


class Bm25Index:
    """A BM25 index; rebuilt whole on each change (≈3 s for 25k chunks, cheaper than
    keeping term statistics incrementally right)."""

    def __init__(self, retriever, tokenizer, chunk_ids: np.ndarray) -> None:
        self._retriever = retriever
        self._tokenizer = tokenizer
        self.chunk_ids = chunk_ids
        self._sorter = np.argsort(chunk_ids, kind="stable")  # for id -> row look-ups under a filter

    @classmethod
    def build(cls, texts: Sequence[str], chunk_ids: Sequence[int]) -> "Bm25Index":
        import bm25s

        tokenizer = _tokenizer()
        retriever = bm25s.BM25()
        ids = np.asarray(chunk_ids, dtype=np.int64)
        if len(texts):
            tokens = tokenizer.tokenize(list(texts), show_progress=False, return_as="tuple")
            retriever.index(tokens, show_progress=False)
        return cls(retriever if len(texts) else None, tokenizer, ids)

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "chunk_ids.npy", self.chunk_ids)
        if self._retriever is not None:
            self._retriever.save(str(directory), show_progress=False)
            self._tokenizer.save_vocab(str(directory))
        (directory / "state.json").write_text(json.dumps({"empty": self._retriever is None}))

    @classmethod
    def load(cls, directory: Path) -> "Bm25Index":
        """Raises ``OSError``/``ValueError``/``KeyError`` for missing, unreadable or
        inconsistent files (checked here, in O(1) or one pass over arrays already in memory,
        so that a damaged index fails on loading rather than in a search)."""
        import bm25s

        chunk_ids = np.load(directory / "chunk_ids.npy")
        if chunk_ids.ndim != 1 or chunk_ids.dtype.kind not in "iu":
            raise ValueError(f"chunk_ids.npy holds a {chunk_ids.dtype} array of shape {chunk_ids.shape}, "
                             "not a list of chunk ids")
        empty = json.loads((directory / "state.json").read_text())["empty"]
        if empty is True:
            if len(chunk_ids):
                raise ValueError(f"state.json says empty, chunk_ids.npy holds {len(chunk_ids)} ids")
            return cls(None, _tokenizer(), chunk_ids.astype(np.int64, copy=False))
        if empty is not False:
            raise ValueError(f"state.json says empty={empty!r}")
        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        tokenizer = _tokenizer()
        tokenizer.load_vocab(str(directory))
        _check_scores(retriever.scores, len(chunk_ids))
        return cls(retriever, tokenizer, chunk_ids.astype(np.int64, copy=False))

    def search(self, query: str, k: int, allowed_ids: np.ndarray | None = None):
        """Top ``k`` (chunk ids, scores) with a positive BM25 score."""
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        if self._retriever is None or k <= 0:
            return empty
        known = self._known_tokens(query)
        if not known:
            return empty
        # Scores for every chunk, then top-k among the positive (and allowed) ones only:
        # bm25s' own top-k over 100k mostly-zero scores took 13-90 ms, this takes ~1 ms.
        scores = self._retriever.get_scores(known)
        if allowed_ids is None:
            rows = np.flatnonzero(scores > 0)
        else:
            allowed = np.asarray(allowed_ids, dtype=np.int64)
            if not len(allowed):
                return empty
            at = np.searchsorted(self.chunk_ids, allowed, sorter=self._sorter).clip(0, len(self.chunk_ids) - 1)
            rows = self._sorter[at]
            rows = rows[self.chunk_ids[rows] == allowed]
            rows = rows[scores[rows] > 0]
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return self.chunk_ids[rows], scores[rows].astype(np.float32)

    def scores_for(self, query: str, chunk_ids: Sequence[int]) -> np.ndarray:
        """BM25 scores of ``query`` for the given chunks (0 for a chunk not in this index):
        lets a ranker see the sparse score of a chunk only dense search found."""
        ids = np.asarray(chunk_ids, dtype=np.int64)
        out = np.zeros(len(ids), dtype=np.float32)
        known = self._known_tokens(query)
        if not known or not len(ids):
            return out
        scores = self._retriever.get_scores(known)
        at = np.searchsorted(self.chunk_ids, ids, sorter=self._sorter).clip(0, len(self.chunk_ids) - 1)
        rows = self._sorter[at]
        found = self.chunk_ids[rows] == ids
        out[found] = scores[rows[found]]
        return out

    def idf(self, terms: Sequence[str]) -> list[float]:
        """Inverse document frequency of stemmed, lower-cased terms over the indexed chunks
        (Robertson-Sparck Jones, floored at 0); a term no chunk holds gets the largest value."""
        n = len(self.chunk_ids)
        if self._retriever is None:
            return [0.0] * len(terms)
        vocab = self._tokenizer.get_vocab_dict()
        indptr = self._retriever.scores["indptr"]
        out = []
        for term in terms:
            tid = vocab.get(term)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None and tid + 1 < len(indptr) else 0
            out.append(max(0.0, float(np.log(1 + (n - df + 0.5) / (df + 0.5)))))
        return out

    def _known_tokens(self, query: str) -> list[int]:
        if self._retriever is None:
            return []
        tokens = self._tokenizer.tokenize([query], update_vocab=False, show_progress=False,
                                          return_as="ids")
        return [int(t) for t in (tokens[0] if tokens else []) if t != self._unknown_id()]

    def _unknown_id(self) -> int:
        return self._tokenizer.get_vocab_dict().get("", -1)


def _check_scores(scores: dict, n_ids: int) -> None:
    """The sparse score matrix must cover exactly the chunk ids kept beside it: a search
    indexes ``chunk_ids`` with the document numbers it finds there."""
    data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
    if int(scores["num_docs"]) != n_ids:
        raise ValueError(f"the BM25 index holds {scores['num_docs']} chunks, chunk_ids.npy {n_ids}")
    if len(indptr) == 0 or int(indptr[-1]) != len(indices) or len(indices) != len(data):
        raise ValueError("the BM25 score arrays disagree in length")
    if len(indices) and not 0 <= int(indices.min()) <= int(indices.max()) < n_ids:
        raise ValueError("the BM25 score arrays name chunks that do not exist")
