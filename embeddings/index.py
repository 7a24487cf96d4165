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

import dataclasses
import functools
import hashlib
import json
import re
import shlex
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence, TypeVar, get_args, get_origin, get_type_hints

import numpy as np

from .chunk_search import ChunkSearch, LocalSearch
from .dense_index import FaissIndex
from .embedder import Embedder, embedder_id_for, get_embedder
from .errors import IndexDamagedError, IndexMismatchError, IndexNotFoundError, index_damaged, rebuild_command
from .files import atomic_write
from .precision_probe import probed_precision
from .settings import Settings
from .sparse_index import Bm25Index
from .store import Article, ArticleDate, ArticleLead, ChunkRecord, ChunkStore

FORMAT_VERSION = 1
_GENERATION_NAME = re.compile(r"gen-\d{6,}")
_T = TypeVar("_T")


def rebuild_hint(index_dir: Path) -> str:
    """What to do about an index this code cannot use: the exact command for this index."""
    return f"run `{rebuild_command(index_dir)}` to rebuild it"


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
    # The files and folders the index was built from (absolute): what a build given none syncs.
    # (``sources`` in manifests written before 2026-12: ``read`` takes either, ``_current_keys``.)
    inputs: list[str] = field(default_factory=list)
    # (Manifests written before 2026-02 also hold ``article_hashes``, article id -> content
    # hash: a copy of what the chunk store holds, parsed on every load and read by nothing, so
    # it is no longer written; ``read`` ignores it like any field it does not know.)
    # Precision of the stored vectors ("fp32", "bf16", "bf16+fp32" once builds mixed them;
    # "" in indexes from before it was recorded). Informational: any may be searched with any.
    embed_precision: str = ""
    # Every file of the generation but this one: its size (checked on each load: a stat per
    # file) and SHA-256 (checked by each build before it builds on the generation: ~0.2 s per
    # 300 MB, where a load must stay cheap). Empty in indexes written before they were recorded.
    file_sizes: dict[str, int] = field(default_factory=dict)
    file_hashes: dict[str, str] = field(default_factory=dict)
    # Where the chunks are searched: "local" (dense.faiss and bm25/ in the generation) or
    # "milvus" (the Milvus collection ``collection``; the server is NEWSDESK_MILVUS_URI's, never
    # recorded here, nor its token). Indexes from before backends were recorded are local.
    backend: str = "local"
    collection: str = ""

    def write(self, path: Path) -> None:
        data = asdict(self)
        # Also under the old name, for a Newsdesk from before the rename reading this index (a
        # rollback, a second checkout): it would read no inputs, and its next build would
        # record only the ones it was given. Readers here take ``inputs``.
        data["sources"] = data["inputs"]
        path.write_text(json.dumps(data, indent=1, sort_keys=True))

    def with_files(self, generation: Path) -> "Manifest":
        """This manifest with the sizes and hashes of the generation's files as they are now."""
        files = sorted(p for p in generation.rglob("*") if p.is_file() and p.name != "manifest.json")
        names = [p.relative_to(generation).as_posix() for p in files]
        return dataclasses.replace(self, file_sizes={n: p.stat().st_size for n, p in zip(names, files)},
                                   file_hashes={n: _sha256(p) for n, p in zip(names, files)})

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        """Read and type-check ``generation/manifest.json``.

        Raises:
            IndexMismatchError: written by another format version.
            IndexDamagedError: missing, not JSON, or a field missing or of the wrong type.
        """
        generation = path.parent
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            problem = f"{path.name} in {generation.name} is missing"
        except (OSError, ValueError) as exc:
            problem = f"{path.name} in {generation.name} is unreadable: {exc.__class__.__name__}"
        else:
            data = _current_keys(data)
            version = data.get("format_version") if isinstance(data, dict) else None
            if _is_a(version, int) and version != FORMAT_VERSION:
                raise IndexMismatchError(f"the index at {generation.parent} has format version {version}, "
                                         f"this Newsdesk reads version {FORMAT_VERSION}: "
                                         f"{rebuild_hint(generation.parent)}")
            problem = _manifest_problem(data)
            if problem is None:
                # Fields a later version may add are left out rather than refused.
                return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})
            problem = f"{path.name} in {generation.name}: {problem}"
        raise index_damaged(generation.parent, problem, name_inputs=recorded_inputs(generation) is None)


def _current_keys(data):
    """A manifest's JSON with its fields under today's names. ``inputs`` was ``sources`` until
    2026-12 (``source`` now means only who published an article); the format version stayed 1
    because the rename is read both ways here, and a new version would refuse every existing
    index until it was rebuilt."""
    if isinstance(data, dict) and "inputs" not in data and "sources" in data:
        data = {("inputs" if k == "sources" else k): v for k, v in data.items()}
    return data


def _manifest_problem(data) -> str | None:
    if not isinstance(data, dict):
        return "not a JSON object"
    for f in dataclasses.fields(Manifest):
        kind = _MANIFEST_TYPES[f.name]
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                return f"field {f.name} is missing"
        elif not _is_a(data[f.name], kind):
            return f"field {f.name} is {_short(data[f.name])}, not {_type_name(kind)}"
    for name in [*data.get("file_sizes", ()), *data.get("file_hashes", ())]:
        if Path(name).is_absolute() or ".." in Path(name).parts:  # files are only ever inside the generation
            return f"it lists a file outside the generation, {_short(name)}"
    return None


_MANIFEST_TYPES = get_type_hints(Manifest)


def _is_a(value, kind) -> bool:
    """``isinstance`` for the manifest's field types: ints (never bools, never negative),
    strings, and lists and dicts of them."""
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind is str:
        return isinstance(value, str)
    if get_origin(kind) is list:
        (item,) = get_args(kind)
        return isinstance(value, list) and all(_is_a(v, item) for v in value)
    if get_origin(kind) is dict:
        key, item = get_args(kind)
        return isinstance(value, dict) and all(_is_a(k, key) and _is_a(v, item) for k, v in value.items())
    raise TypeError(f"no check for manifest field type {kind}")


def _type_name(kind) -> str:
    if kind is int:
        return "a whole number"
    if kind is str:
        return "a string"
    args = " to ".join(_type_name(a).removeprefix("a ") + "s" for a in get_args(kind))
    return f"a {get_origin(kind).__name__} of {args}"


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


@dataclass(frozen=True)
class SearchFilters:
    """Restrict search to a publish-date range (ISO dates, inclusive) and/or sources.

    A source is who published an article: ``sources`` keeps the articles whose byline or URL
    holds any of them (case-insensitive), so "Reuters" and "bbc.co.uk" both work."""

    date_from: str = ""
    date_to: str = ""
    sources: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.date_from or self.date_to or self.sources)


def current_generation(index_dir: Path) -> Path | None:
    """The live generation, or None when ``CURRENT`` is missing or names none."""
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    except (OSError, ValueError):  # a directory, unreadable, or bytes that are not text
        return None
    # Only a generation's own name: damage must not send readers (or a build's clean-up)
    # to some other path.
    if not _GENERATION_NAME.fullmatch(name):
        return None
    return index_dir / name if (index_dir / name).is_dir() else None


def orphaned_generation(index_dir: Path) -> Path | None:
    """With ``CURRENT`` missing or naming nothing: the newest finished generation (one with a
    manifest) left in ``index_dir``, which means ``CURRENT`` was damaged; None if there is none."""
    finished = [p for p in index_dir.glob("gen-*")
                if _GENERATION_NAME.fullmatch(p.name) and (p / "manifest.json").is_file()]
    return max(finished, key=lambda p: p.name, default=None)


def recorded_inputs(generation: Path) -> list[str] | None:
    """The inputs (files and folders) a generation was built from, for a rebuild given none:
    from its manifest, else (a damaged manifest) from the articles in its chunk store; None
    when neither can say."""
    try:
        listed = _current_keys(json.loads((generation / "manifest.json").read_text())).get("inputs")
    except (OSError, ValueError, AttributeError):
        listed = None
    if not _is_a(listed, list[str]):
        listed = None
    elif listed:
        return list(listed)
    try:
        store = ChunkStore(generation / "chunks.sqlite", readonly=True)
    except IndexDamagedError:
        return listed
    try:
        return store.input_roots()
    except IndexDamagedError:
        return listed
    finally:
        store.close()


def publish_generation(index_dir: Path, generation: Path) -> None:
    """Make ``generation`` the live index with one atomic rename."""
    with atomic_write(index_dir / "CURRENT", "w") as fh:
        fh.write(generation.name)


def check_compatible(manifest: Manifest, settings: Settings, embedder_id: str, where: Path) -> None:
    """Raise ``IndexMismatchError`` unless this code can read the index as written."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(f"the index at {where} has format version {manifest.format_version}, "
                                 f"this Newsdesk reads version {FORMAT_VERSION}: {rebuild_hint(where)}")
    if manifest.embedder != embedder_id:
        raise IndexMismatchError(f"the index at {where} was embedded with {manifest.embedder}, "
                                 f"not {embedder_id}: {rebuild_hint(where)}")
    if (manifest.chunk_tokens, manifest.chunk_overlap_tokens) != (settings.chunk_tokens, settings.chunk_overlap_tokens):
        raise IndexMismatchError(f"the index at {where} was chunked with {manifest.chunk_tokens}/"
                                 f"{manifest.chunk_overlap_tokens} tokens, settings say {settings.chunk_tokens}/"
                                 f"{settings.chunk_overlap_tokens}: {rebuild_hint(where)}")


_QUERIES_KEPT = 32


class NewsIndex:
    """A loaded, read-only index generation."""

    def __init__(self, index_dir: Path, generation: Path, manifest: Manifest, store: ChunkStore,
                 search: ChunkSearch, embedder: Embedder | None, embed_precision: str = "auto",
                 model_cache_dir: Path | None = None) -> None:
        self.index_dir = index_dir
        self.generation = generation
        self.manifest = manifest
        self.store = store
        self.search = search  # LocalSearch or milvus_index.MilvusChunks
        self._embedder = embedder
        # Queries may be embedded at another precision than the index was: float32 and
        # bfloat16 vectors of one text agree to cosine >= 0.9998, and retrieval measured the same.
        self._embed_precision = embed_precision
        self._model_cache_dir = model_cache_dir  # where "auto"'s measured choice is kept
        self._queries: dict[str, np.ndarray] = {}  # embed_query's last vectors, oldest first
        self._queries_lock = threading.Lock()

    @property
    def dense(self) -> FaissIndex:
        """The FAISS index of a local-backend index."""
        return self.search.dense

    @property
    def sparse(self) -> Bm25Index:
        """The bm25s index of a local-backend index."""
        return self.search.sparse

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            precision = self._embed_precision
            if self._model_cache_dir is not None:
                precision = probed_precision(precision, self._model_cache_dir)
            self._embedder = get_embedder(self.manifest.embedder, precision=precision)
        return self._embedder

    # --- search
    def dense_search(self, query: str | np.ndarray, k: int, filters: SearchFilters | None = None):
        """Top ``k`` (chunk ids, cosine scores) for a question or a query vector."""
        vector = self.embed_query(query) if isinstance(query, str) else query
        return self.search.dense_search(vector, k, filters)

    def bm25_search(self, query: str, k: int, filters: SearchFilters | None = None):
        """Top ``k`` (chunk ids, BM25 scores) for a question; the scores' scale is the backend's."""
        return self.search.bm25_search(query, k, filters)

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector. The last few are kept: an answer needs it twice (search, then
        the prompt's sentence choice), and a cached vector costs nothing, a new one ~10 ms."""
        with self._queries_lock:
            vector = self._queries.get(query)
        if vector is None:
            vector = self.embedder.embed([query])[0]
            with self._queries_lock:
                self._queries[query] = vector
                while len(self._queries) > _QUERIES_KEPT:
                    self._queries.pop(next(iter(self._queries)))
        return vector

    def sentence_vectors(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Sentence vectors stored at build time, by chunk id (``ChunkStore.sentence_vectors``)."""
        return self.store.sentence_vectors(chunk_ids)

    def dense_similarities(self, vector: np.ndarray, chunk_ids: Sequence[int]) -> np.ndarray | None:
        """Cosine of a query vector with the given chunks (None for an IVF index)."""
        return self.search.dense_similarities(vector, chunk_ids)

    def bm25_scores(self, query: str, chunk_ids: Sequence[int]) -> np.ndarray:
        """BM25 scores of a question for the given chunks."""
        return self.search.bm25_scores(query, chunk_ids)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """Inverse document frequency of stemmed terms among the indexed chunks."""
        return self.search.idf(terms)

    # --- fetching
    def chunks(self, ids: Sequence[int]) -> list[ChunkRecord]:
        return self.store.chunks(ids)

    def article(self, article_id: str) -> Article | None:
        return self.store.article(article_id)

    def articles(self) -> list[Article]:
        return self.store.articles()

    def article_dates(self) -> list[ArticleDate]:
        """Every article's id, publish date, byline and URL (no texts): what the collection
        covers, for ``qa.coverage``."""
        return self.store.article_dates()

    def newest_leads(self, limit: int, lead_chars: int) -> list[ArticleLead]:
        """The ``limit`` newest articles' titles and first ``lead_chars`` characters (see
        ``ChunkStore.newest_leads``): what a page shows, without every article's text."""
        return self.store.newest_leads(limit, lead_chars)

    @functools.cached_property
    def newest_date(self) -> str:
        """The latest publish date in this generation: "now" for the collection."""
        return self.store.newest_date()

    def is_stale(self) -> bool:
        """True once a build has published a newer generation than the one loaded."""
        return current_generation(self.index_dir) not in (None, self.generation)

    def close(self) -> None:
        self.search.close()
        self.store.close()


def load_index(settings: Settings | None = None, embedder: Embedder | None = None) -> NewsIndex:
    """Load the live index generation.

    Only cheap checks run (sizes and counts, no full reads of big files: cold start matters);
    damage they cannot see surfaces as ``IndexDamagedError`` from the query that meets it.

    Args:
        settings: where the index is (``settings.index_dir``); defaults from the environment.
        embedder: the embedder for queries; by default the one named in the manifest, loaded
            on the first dense search.

    Raises:
        IndexNotFoundError: nothing has been built there yet.
        IndexMismatchError: written by another format version, embedder or chunking.
        IndexDamagedError: a part is missing, cut short, corrupt or disagrees with the others.
    """
    settings = settings or Settings.from_env()
    index_dir = Path(settings.index_dir)
    generation = current_generation(index_dir)
    if generation is None:
        orphan = orphaned_generation(index_dir)
        if orphan is None:
            raise IndexNotFoundError(f"no index in {index_dir}: build one with "
                                     f"`python -m embeddings build seeds --index {shlex.quote(str(index_dir))}`")
        raise index_damaged(index_dir, "its CURRENT file, which names the live generation, is missing or "
                            "unreadable", name_inputs=recorded_inputs(orphan) is None)
    return open_generation(index_dir, generation, settings, embedder)


def open_generation(index_dir: Path, generation: Path, settings: Settings, embedder: Embedder | None = None,
                    verify: bool = False) -> NewsIndex:
    """Open one generation, checking that its parts are there and agree with each other.

    Args:
        verify: also check every byte (the files' SHA-256, or SQLite's own check for an index
            written before hashes were recorded): what a build does before building on it.

    Raises:
        IndexMismatchError, IndexDamagedError: as for ``load_index``.
    """
    manifest = Manifest.read(generation / "manifest.json")
    check_compatible(manifest, settings, embedder.model_id if embedder else embedder_id_for(settings.embedder),
                     index_dir)
    if embedder is not None and embedder.dim != manifest.dim:
        raise IndexMismatchError(f"the index at {index_dir} holds {manifest.dim}-d vectors, the embedder "
                                 f"makes {embedder.dim}-d: {rebuild_hint(index_dir)}")
    _check_files(index_dir, generation, manifest, verify)
    store = ChunkStore(generation / "chunks.sqlite", readonly=True)
    try:
        if verify and not manifest.file_hashes:
            store.check()
        articles, chunks = store.counts()
        if manifest.backend == "milvus":
            from .milvus_index import open_chunks

            search = open_chunks(index_dir, generation, manifest, settings, store)
            problem = _disagreement(manifest, articles, chunks, store.max_chunk_id(), None, None)
            found = search.count()
            if not problem and found != manifest.chunks:
                problem = f"the Milvus collection {manifest.collection} holds {found} chunks, the manifest says " \
                          f"{manifest.chunks}"
        else:
            dense = _read_part(index_dir, generation, "dense.faiss",
                               lambda: FaissIndex.load(generation / "dense.faiss"))
            sparse = _read_part(index_dir, generation, "bm25", lambda: Bm25Index.load(generation / "bm25"))
            problem = _disagreement(manifest, articles, chunks, store.max_chunk_id(), dense, sparse)
            search = LocalSearch(dense, sparse, store)
        if problem:
            raise index_damaged(index_dir, f"{problem}, in {generation.name}")
    except BaseException:
        store.close()
        raise
    return NewsIndex(index_dir, generation, manifest, store, search, embedder, settings.embed_precision,
                     settings.model_cache_dir)


def _check_files(index_dir: Path, generation: Path, manifest: Manifest, hashes: bool) -> None:
    for name, size in sorted(manifest.file_sizes.items()):
        try:
            found = (generation / name).stat().st_size
        except OSError:
            raise index_damaged(index_dir, f"{name} in {generation.name} is missing") from None
        if found != size:
            raise index_damaged(index_dir, f"{name} in {generation.name} is {found} bytes, {size} were written")
    if hashes:
        for name, digest in sorted(manifest.file_hashes.items()):
            try:
                same = _sha256(generation / name) == digest
            except OSError as exc:
                raise index_damaged(index_dir, f"{name} in {generation.name} is unreadable: "
                                               f"{exc.__class__.__name__}") from exc
            if not same:
                raise index_damaged(index_dir, f"{name} in {generation.name} has changed since it was written")


def _read_part(index_dir: Path, generation: Path, part: str, read: Callable[[], _T]) -> _T:
    # What FAISS (RuntimeError), NumPy, bm25s and json raise for missing, cut-short or garbled files.
    try:
        return read()
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, EOFError) as exc:
        missing = Path(exc.filename) if isinstance(exc, FileNotFoundError) and exc.filename else generation / part
        if not missing.exists():
            name = missing.relative_to(generation) if missing.is_relative_to(generation) else missing.name
            raise index_damaged(index_dir, f"{name} in {generation.name} is missing") from None
        # FAISS puts its own source location first: the reason is after its last "Error: ".
        reason = str(exc).rsplit("Error: ", 1)[-1].strip().splitlines()
        reason = reason[0][:120] if reason else exc.__class__.__name__
        raise index_damaged(index_dir, f"{part} in {generation.name} is unreadable: {reason}") from exc


def _disagreement(manifest: Manifest, articles: int, chunks: int, max_chunk_id: int, dense: FaissIndex | None,
                  sparse: Bm25Index | None) -> str | None:
    """The first way the parts of a generation disagree with its manifest, if any. Each
    number is already in memory or an O(1) look-up; a mismatch is what a part cut short,
    or swapped in from another generation, leaves. (No dense or sparse part: on Milvus.)"""
    held = {"chunks.sqlite": chunks}
    if dense is not None and sparse is not None:
        held.update({"dense.faiss": len(dense), "bm25/chunk_ids.npy": len(sparse)})
    for part, n in held.items():
        if n != manifest.chunks:
            return f"{part} holds {n} chunks, the manifest says {manifest.chunks}"
    if articles != manifest.articles:
        return f"chunks.sqlite holds {articles} articles, the manifest says {manifest.articles}"
    if max_chunk_id >= manifest.next_chunk_id:
        return f"chunks.sqlite holds chunk id {max_chunk_id}, the manifest's next id is {manifest.next_chunk_id}"
    if dense is None:
        return None
    if dense.dim != manifest.dim:
        return f"dense.faiss holds {dense.dim}-d vectors, the manifest says {manifest.dim}"
    if dense.kind != manifest.dense_kind:
        return f"dense.faiss is a {dense.kind} index, the manifest says {manifest.dense_kind}"
    return None
