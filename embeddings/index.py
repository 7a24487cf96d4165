"""The on-disk index and its read API: manifest, generations, dense and BM25 search.

Layout of ``index_dir``::

    CURRENT            name of the live generation, swapped atomically by a build
    gen-000007/        manifest.json, chunks.sqlite, dense.faiss, bm25/
    build.lock         held by the one build allowed at a time

A build writes a complete new generation beside the live one and only then replaces
``CURRENT``, so a killed build leaves the previous index intact and a running app keeps
reading the old generation until it reloads.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .dense_index import FaissIndex
from .embedder import Embedder, embedder_id_for, get_embedder
from .errors import IndexMismatchError, IndexNotFoundError
from .settings import Settings
from .sparse_index import Bm25Index
from .store import Article, ChunkRecord, ChunkStore

FORMAT_VERSION = 1
REBUILD_HINT = "run `python -m embeddings build --rebuild` to rebuild it"


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedder: str
    dim: int
    chunk_tokens: int
    chunk_overlap_tokens: int
    dense_kind: str
    articles: int
    chunks: int
    built_at: str
    next_chunk_id: int
    sources: list[str] = field(default_factory=list)
    article_hashes: dict[str, str] = field(default_factory=dict)  # article id -> content hash

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatchError(f"the index manifest {path} is unreadable ({exc.__class__.__name__}); "
                                     f"{REBUILD_HINT}") from None


@dataclass(frozen=True)
class SearchFilters:
    """Restrict search to a publish-date range (ISO dates, inclusive) and/or sources."""

    date_from: str = ""
    date_to: str = ""
    sources: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.date_from or self.date_to or self.sources)


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return index_dir / name if name and (index_dir / name).is_dir() else None


def publish_generation(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the live index with one atomic rename."""
    tmp = index_dir / "CURRENT.tmp"
    with open(tmp, "w") as fh:
        fh.write(generation.name)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_compatible(manifest: Manifest, settings: Settings, embedder_id: str, where: Path) -> None:
    """Raise ``IndexMismatchError`` unless this code can read the index as written."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(f"the index at {where} has format version {manifest.format_version}, "
                                 f"this Newsdesk reads version {FORMAT_VERSION}: {REBUILD_HINT}")
    if manifest.embedder != embedder_id:
        raise IndexMismatchError(f"the index at {where} was embedded with {manifest.embedder}, "
                                 f"not {embedder_id}: {REBUILD_HINT}")
    if (manifest.chunk_tokens, manifest.chunk_overlap_tokens) != (settings.chunk_tokens, settings.chunk_overlap_tokens):
        raise IndexMismatchError(f"the index at {where} was chunked with {manifest.chunk_tokens}/"
                                 f"{manifest.chunk_overlap_tokens} tokens, settings say {settings.chunk_tokens}/"
                                 f"{settings.chunk_overlap_tokens}: {REBUILD_HINT}")


class NewsIndex:
    """A loaded, read-only index generation."""

    def __init__(self, index_dir: Path, generation: Path, manifest: Manifest, store: ChunkStore,
                 dense: FaissIndex, sparse: Bm25Index, embedder: Embedder | None) -> None:
        self.index_dir = index_dir
        self.generation = generation
        self.manifest = manifest
        self.store = store
        self.dense = dense
        self.sparse = sparse
        self._embedder = embedder

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.manifest.embedder)
        return self._embedder

    # --- search
    def dense_search(self, query: str | np.ndarray, k: int, filters: SearchFilters | None = None):
        """Top ``k`` (chunk ids, cosine scores) for a question or a query vector."""
        vector = self.embedder.embed([query])[0] if isinstance(query, str) else query
        return self.dense.search(vector, k, self._allowed(filters))

    def bm25_search(self, query: str, k: int, filters: SearchFilters | None = None):
        """Top ``k`` (chunk ids, BM25 scores) for a question."""
        return self.sparse.search(query, k, self._allowed(filters))

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed([query])[0]

    def dense_similarities(self, vector: np.ndarray, chunk_ids: Sequence[int]) -> np.ndarray | None:
        """Cosine of a query vector with the given chunks (None for an IVF index)."""
        return self.dense.similarities(vector, np.asarray(chunk_ids, dtype=np.int64))

    def bm25_scores(self, query: str, chunk_ids: Sequence[int]) -> np.ndarray:
        """BM25 scores of a question for the given chunks."""
        return self.sparse.scores_for(query, chunk_ids)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """Inverse document frequency of stemmed terms among the indexed chunks."""
        return self.sparse.idf(terms)

    def _allowed(self, filters: SearchFilters | None) -> np.ndarray | None:
        if filters is None or filters.is_empty():
            return None
        return self.store.chunk_ids_where(filters.date_from, filters.date_to, filters.sources)

    # --- fetching
    def chunks(self, ids: Sequence[int]) -> list[ChunkRecord]:
        return self.store.chunks(ids)

    def article(self, article_id: str) -> Article | None:
        return self.store.article(article_id)

    def articles(self) -> list[Article]:
        return self.store.articles()

    @functools.cached_property
    def newest_date(self) -> str:
        """The latest publish date in this generation: "now" for the collection."""
        return self.store.newest_date()

    def is_stale(self) -> bool:
        """True once a build has published a newer generation than the one loaded."""
        return current_generation(self.index_dir) not in (None, self.generation)

    def close(self) -> None:
        self.store.close()


def load_index(settings: Settings | None = None, embedder: Embedder | None = None) -> NewsIndex:
    """Load the live index generation.

    Args:
        settings: where the index is (``settings.index_dir``); defaults from the environment.
        embedder: the embedder for queries; by default the one named in the manifest, loaded
            on the first dense search.

    Raises:
        IndexNotFoundError: nothing has been built there yet.
        IndexMismatchError: written by another format version, embedder or chunking, or damaged.
    """
    settings = settings or Settings.from_env()
    index_dir = Path(settings.index_dir)
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexNotFoundError(f"no index in {index_dir}: build one with "
                                 f"`python -m embeddings build seeds --index {index_dir}`")
    manifest = Manifest.read(generation / "manifest.json")
    check_compatible(manifest, settings, embedder.model_id if embedder else embedder_id_for(settings.embedder),
                     index_dir)
    if embedder is not None and embedder.dim != manifest.dim:
        raise IndexMismatchError(f"the index at {index_dir} holds {manifest.dim}-d vectors, the embedder "
                                 f"makes {embedder.dim}-d: {REBUILD_HINT}")
    store = None
    try:
        store = ChunkStore(generation / "chunks.sqlite", readonly=True)
        store.counts()  # a damaged file fails here, not in the middle of a question
        return NewsIndex(index_dir, generation, manifest, store, FaissIndex.load(generation / "dense.faiss"),
                         Bm25Index.load(generation / "bm25"), embedder)
    except (OSError, RuntimeError, ValueError, KeyError, sqlite3.DatabaseError) as exc:
        if store is not None:
            store.close()
        raise IndexMismatchError(f"the index at {index_dir} is damaged ({exc.__class__.__name__} reading "
                                 f"{generation.name}); {REBUILD_HINT}") from None

