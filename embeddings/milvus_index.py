"""The index's chunks on Milvus: dense vectors, Milvus's own BM25 and the filter fields in one
collection (``NEWSDESK_INDEX_BACKEND=milvus``).

What lives where: the collection holds every chunk (id, article id, text, title, byline, date,
URL, its vector, and the sparse BM25 vector Milvus's BM25 function makes from the text), so
search scales with the Milvus deployment, from milvus-lite in this process to a cluster. The
index directory keeps what it keeps for the local backend but the FAISS and BM25 files: the
generation's manifest and article store (full texts for the article view, hashes for
incremental builds) and ``CURRENT``, still the one atomic commit of a build.

Generations inside one collection: each row carries ``gen``, the generation that wrote it,
and ``gone``, the generation that removed it (0 while it stays). A reader of generation G
sees ``gen <= G and (gone == 0 or gone > G)``, so a build writes its rows and marks its
removals while readers of the live generation see none of it, and a killed build's rows
stay invisible until the next build deletes them. Rows removed before the previous
generation are deleted once a build has published (the local index keeps the previous
generation's files just as long). A ``--rebuild`` writes a new collection
(``<milvus_collection>_<generation>``), dropped with the generation that names it.

BM25 text is analysed here, not by the server: the chunk's title and text are stored as the
stemmed, stop-worded terms of the local index's tokenizer, which Milvus's standard analyzer
splits back on spaces. Every Milvus (milvus-lite has no stemming analyzer) then scores the same
terms, and ``idf`` reads document frequencies the build keeps in the article store.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from .errors import IndexAuthError, IndexMismatchError, IndexNotFoundError, IndexServerError, NewsdeskError
from .settings import Settings

# Search and write calls give up after this long: pymilvus otherwise retries an unavailable
# server for minutes.
CALL_TIMEOUT_S = 30.0
WRITE_BATCH = 256  # rows per insert/upsert call
# Milvus counts VARCHAR lengths in bytes; longer values are cut to fit (texts by characters first).
_MAX = {"article_id": 1024, "publish_date": 64, "title": 2048, "byline": 1024, "url": 4096,
        "source_key": 8192, "text": 65535, "bm25_text": 65535}
_OUTPUT = ["id"]


def milvus_uri(settings: Settings) -> str:
    """The Milvus the settings name: a server URL, or a milvus-lite data path (default beside the index)."""
    return settings.milvus_uri or str(Path(settings.index_dir) / "milvus.db")


def redact_uri(uri: str) -> str:
    """A URI fit for a message: a user and password written into it are left out."""
    parts = urlsplit(uri)
    if parts.scheme and "@" in parts.netloc:
        return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    return uri


@contextmanager
def milvus_errors(uri: str, collection: str = "") -> Iterator[None]:
    """The one place Milvus's failures become ours (the cause stays chained, for the log)."""
    try:
        yield
    except NewsdeskError:
        raise
    except Exception as exc:
        raise translate(exc, uri, collection) from exc


def translate(exc: Exception, uri: str, collection: str = "") -> Exception:
    import grpc
    from pymilvus.exceptions import MilvusException

    where = redact_uri(uri)
    text = str(exc)
    codes = {getattr(e, "code", lambda: None)() for e in (exc, exc.__cause__)
             if isinstance(e, grpc.RpcError) and callable(getattr(e, "code", None))}
    if grpc.StatusCode.UNAUTHENTICATED in codes or grpc.StatusCode.PERMISSION_DENIED in codes \
            or (isinstance(exc, MilvusException) and exc.code in (1800, 65535) and "auth" in text.lower()):
        return IndexAuthError(f"the Milvus server at {where} refused the token: set NEWSDESK_MILVUS_TOKEN "
                              "to a valid `user:password` or API key")
    if "not exist" in text and "collection" in text.lower():
        return IndexNotFoundError(f"the Milvus server at {where} has no collection {collection or '(unnamed)'}: "
                                  "build the index with `python -m embeddings build --rebuild` "
                                  "(or set NEWSDESK_MILVUS_URI to the server that holds it)")
    if grpc.StatusCode.DEADLINE_EXCEEDED in codes or isinstance(exc, grpc.FutureTimeoutError):
        return IndexServerError(f"the Milvus server at {where} did not answer within {CALL_TIMEOUT_S:.0f} s: "
                                "check its load and log, then retry")
    if isinstance(exc, MilvusException) and exc.code == 2 or grpc.StatusCode.UNAVAILABLE in codes \
            or "unavailable" in text.lower():
        return IndexServerError(f"the Milvus server at {where} does not answer: start it, or set "
                                "NEWSDESK_MILVUS_URI to one that runs")
    reason = getattr(exc, "message", "") or text
    return IndexServerError(f"the Milvus server at {where} failed ({reason.splitlines()[0][:160]}): "
                            "check the server's log, then retry")


_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()


def connect(settings: Settings):
    """A ``MilvusClient`` for the settings' URI and token, one per process (pymilvus's client is
    thread-safe, and a milvus-lite path may be opened by one client only).

    Raises:
        ModelUnavailableError: pymilvus is not installed.
        IndexServerError, IndexAuthError: the server does not answer, or refuses the token.
    """
    uri = milvus_uri(settings)
    key = (uri, settings.milvus_token)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        try:
            from pymilvus import MilvusClient
        except ImportError:
            from .errors import ModelUnavailableError

            raise ModelUnavailableError("pymilvus is not installed (NEWSDESK_INDEX_BACKEND=milvus): "
                                        "run `make setup`") from None
        # Every failure is translated (and shown once, as one line) at our boundary; pymilvus's
        # own loggers would print each with a traceback first (its errors, and a warning per
        # failed reconnection to a server that went away).
        for name in ("pymilvus", "pymilvus.milvus_client"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        with milvus_errors(uri):
            if "://" not in uri:
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            client = MilvusClient(uri=uri, token=settings.milvus_token, timeout=CALL_TIMEOUT_S)
            client.list_collections(timeout=CALL_TIMEOUT_S)  # a refused token shows here, not at a search
        _clients[key] = client
        return client


def forget_client(settings: Settings) -> None:
    """Drop the cached client (tests that restart a server)."""
    with _clients_lock:
        client = _clients.pop((milvus_uri(settings), settings.milvus_token), None)
    if client is not None:
        try:
            client.close()
        except Exception:  # closing a client to a dead server can fail; it is gone either way
            pass


def bm25_terms(texts: Sequence[str]) -> list[str]:
    """Each text as the local index's BM25 terms (stemmed, stop words out), joined by spaces."""
    from .sparse_index import _tokenizer

    if not texts:
        return []
    # A fresh tokenizer per call: one kept would grow its vocabulary with every text.
    return [" ".join(t) for t in _tokenizer().tokenize(list(texts), return_as="string", show_progress=False)]


def _fit(value: str, name: str) -> str:
    limit = _MAX[name]
    value = value[:limit]
    data = value.encode("utf-8")
    return value if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class MilvusRow:
    """One chunk as the collection holds it."""

    id: int
    article_id: str
    publish_date: str
    title: str
    byline: str
    url: str
    text: str
    vector: np.ndarray


class MilvusChunks:
    """One collection of chunks, read as one generation (``generation``): the index's search
    parts (``dense_search``, ``bm25_search`` ...) and a build's writes."""

    def __init__(self, client, uri: str, name: str, generation: int, term_dfs=None, chunk_count: int = 0) -> None:
        self._client = client
        self.uri = uri
        self.name = name
        self.generation = generation
        self._term_dfs = term_dfs  # terms -> document frequencies (the article store's table)
        self._chunk_count = chunk_count

    # --- the collection
    @staticmethod
    def exists(client, uri: str, name: str) -> bool:
        with milvus_errors(uri, name):
            return bool(client.has_collection(name, timeout=CALL_TIMEOUT_S))

    @staticmethod
    def create(client, uri: str, name: str, dim: int, embedder_id: str, owner: str) -> None:
        """A new, empty collection for chunks of ``dim``-d vectors by ``embedder_id``."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, description="Newsdesk chunks")
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("gen", DataType.INT64)
        schema.add_field("gone", DataType.INT64)
        for field in ("article_id", "publish_date", "title", "byline", "url", "source_key", "text"):
            schema.add_field(field, DataType.VARCHAR, max_length=_MAX[field])
        schema.add_field("bm25_text", DataType.VARCHAR, max_length=_MAX["bm25_text"], enable_analyzer=True,
                         analyzer_params={"tokenizer": "standard"})
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                     input_field_names=["bm25_text"], output_field_names=["sparse"]))
        index = MilvusClient.prepare_index_params()
        # Cosine of normalised vectors as FAISS computes it; AUTOINDEX lets each Milvus choose
        # (HNSW in milvus-lite and Standalone).
        index.add_index("vector", index_type="AUTOINDEX", metric_type="IP")
        index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        with milvus_errors(uri, name):
            client.create_collection(name, schema=schema, index_params=index, consistency_level="Strong",
                                     properties={"newsdesk.embedder": embedder_id, "newsdesk.dim": str(dim),
                                                 "newsdesk.index": owner}, timeout=CALL_TIMEOUT_S)

    @staticmethod
    def describe(client, uri: str, name: str) -> dict:
        """The collection's Newsdesk properties (embedder, dim, index) and its vector dimension."""
        with milvus_errors(uri, name):
            info = client.describe_collection(name, timeout=CALL_TIMEOUT_S)
        props = dict(info.get("properties") or {})
        dims = [f.get("params", {}).get("dim") for f in info.get("fields", []) if f.get("name") == "vector"]
        props["vector_dim"] = str(dims[0]) if dims and dims[0] is not None else ""
        return props

    @staticmethod
    def drop(client, uri: str, name: str) -> None:
        with milvus_errors(uri, name):
            client.drop_collection(name, timeout=CALL_TIMEOUT_S)

    def load(self) -> None:
        with milvus_errors(self.uri, self.name):
            self._client.load_collection(self.name, timeout=CALL_TIMEOUT_S)

    # --- reading one generation
    def visible(self) -> str:
        """The filter expression of the rows this generation holds."""
        g = int(self.generation)
        return f"gen <= {g} and (gone == 0 or gone > {g})"

    def where(self, filters=None) -> str:
        """``visible()`` and a ``SearchFilters``, as one Milvus filter expression (pushed down:
        Milvus filters before it ranks, as the local index's id selector does)."""
        clauses = [self.visible()]
        if filters is not None and not filters.is_empty():
            if filters.date_from:
                clauses.append(f'publish_date != "" and publish_date >= {_quote(filters.date_from)}')
            if filters.date_to:
                clauses.append(f'publish_date != "" and publish_date <= {_quote(filters.date_to)}')
            if filters.sources:
                # source_key is byline and URL lower-cased: LIKE is case-sensitive in Milvus.
                clauses.append("(" + " or ".join(f"source_key like {_quote('%' + s.lower() + '%')}"
                                                  for s in filters.sources) + ")")
        return " and ".join(f"({c})" for c in clauses)

    def count(self) -> int:
        """Rows this generation holds."""
        with milvus_errors(self.uri, self.name):
            rows = self._client.query(self.name, filter=self.visible(), output_fields=["count(*)"],
                                      timeout=CALL_TIMEOUT_S)
        return int(rows[0]["count(*)"]) if rows else 0

    def _search(self, data, field: str, metric: str, k: int, expr: str):
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        with milvus_errors(self.uri, self.name):
            found = self._client.search(self.name, data=[data], anns_field=field, limit=min(k, 16_384),
                                        filter=expr, output_fields=_OUTPUT, search_params={"metric_type": metric},
                                        timeout=CALL_TIMEOUT_S)
        hits = found[0] if found else []
        ids = np.asarray([int(h["id"]) for h in hits], dtype=np.int64)
        scores = np.asarray([float(h["distance"]) for h in hits], dtype=np.float32)
        if metric == "BM25":
            # BM25 scores are positive; milvus-lite reports them negated (as distances).
            scores = np.abs(scores)
            order = np.argsort(-scores, kind="stable")
            ids, scores = ids[order], scores[order]
        return ids, scores

    def dense_search(self, vector: np.ndarray, k: int, filters=None):
        """Top ``k`` (chunk ids, cosine scores) within the filters."""
        return self._search(np.asarray(vector, dtype=np.float32).tolist(), "vector", "IP", k, self.where(filters))

    def bm25_search(self, query: str, k: int, filters=None):
        """Top ``k`` (chunk ids, BM25 scores by Milvus) within the filters."""
        terms = bm25_terms([query])[0]
        if not terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._search(terms, "sparse", "BM25", k, self.where(filters))

    def _among(self, ids: Sequence[int]) -> str:
        return f"({self.visible()}) and id in [{', '.join(str(int(i)) for i in ids)}]"

    def dense_similarities(self, vector: np.ndarray, chunk_ids: Sequence[int]) -> np.ndarray:
        """Cosine of the vector with each given chunk (0 for one not held)."""
        ids, scores = self.dense_search_among(vector, chunk_ids)
        return _in_order(chunk_ids, ids, scores)

    def dense_search_among(self, vector: np.ndarray, chunk_ids: Sequence[int]):
        if not len(chunk_ids):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        return self._search(np.asarray(vector, dtype=np.float32).tolist(), "vector", "IP", len(chunk_ids),
                            self._among(chunk_ids))

    def bm25_scores(self, query: str, chunk_ids: Sequence[int]) -> np.ndarray:
        """Milvus's BM25 score of the question for each given chunk (0 where no term matches)."""
        terms = bm25_terms([query])[0]
        if not terms or not len(chunk_ids):
            return np.zeros(len(chunk_ids), dtype=np.float32)
        ids, scores = self._search(terms, "sparse", "BM25", len(chunk_ids), self._among(chunk_ids))
        return _in_order(chunk_ids, ids, scores)

    def idf(self, terms: Sequence[str]) -> list[float]:
        """As ``Bm25Index.idf``, from the document frequencies the build keeps."""
        if self._term_dfs is None:
            return [0.0] * len(terms)
        dfs = self._term_dfs(list(terms))
        n = self._chunk_count
        return [max(0.0, float(np.log(1 + (n - df + 0.5) / (df + 0.5)))) for df in dfs]

    # --- a build's writes (rows of generation ``self.generation``)
    def insert(self, rows: Sequence[MilvusRow]) -> None:
        """Add new chunks to this generation (their BM25 vectors are made by the server)."""
        if not rows:
            return
        terms = bm25_terms([f"{r.title}\n{r.text}" for r in rows])
        data = [{"id": int(r.id), "gen": int(self.generation), "gone": 0,
                 "article_id": _fit(r.article_id, "article_id"), "publish_date": _fit(r.publish_date, "publish_date"),
                 "title": _fit(r.title, "title"), "byline": _fit(r.byline, "byline"), "url": _fit(r.url, "url"),
                 "source_key": _fit(f"{r.byline.lower()}\n{r.url.lower()}", "source_key"),
                 "text": _fit(r.text, "text"), "bm25_text": _fit(t, "bm25_text"),
                 "vector": np.asarray(r.vector, dtype=np.float32).tolist()}
                for r, t in zip(rows, terms)]
        with milvus_errors(self.uri, self.name):
            for start in range(0, len(data), WRITE_BATCH):
                self._client.insert(self.name, data[start:start + WRITE_BATCH], timeout=CALL_TIMEOUT_S)

    def mark_gone(self, chunk_ids: Sequence[int]) -> None:
        """Remove chunks from this generation on, leaving them to readers of earlier ones."""
        self._set_gone(chunk_ids, self.generation)

    def _set_gone(self, chunk_ids: Sequence[int], gone: int) -> None:
        # Milvus updates a row by upserting it whole: read back the fields and vector first.
        fields = ["id", "gen", "article_id", "publish_date", "title", "byline", "url", "source_key", "text",
                  "bm25_text", "vector"]
        ids = [int(i) for i in chunk_ids]
        with milvus_errors(self.uri, self.name):
            for start in range(0, len(ids), WRITE_BATCH):
                part = ids[start:start + WRITE_BATCH]
                rows = self._client.query(self.name, filter=f"id in [{', '.join(map(str, part))}]",
                                          output_fields=fields, timeout=CALL_TIMEOUT_S)
                rows = [{**{f: r[f] for f in fields}, "gone": int(gone)} for r in rows]
                if rows:
                    self._client.upsert(self.name, rows, timeout=CALL_TIMEOUT_S)

    def forget_unfinished(self, live: int) -> None:
        """Undo what killed builds after generation ``live`` left: their rows, their removals."""
        with milvus_errors(self.uri, self.name):
            self._client.delete(self.name, filter=f"gen > {int(live)}", timeout=CALL_TIMEOUT_S)
            while True:  # un-remove in pages: a query returns at most 16,384 rows
                rows = self._client.query(self.name, filter=f"gone > {int(live)}", output_fields=["id"],
                                          limit=16_384, timeout=CALL_TIMEOUT_S)
                if not rows:
                    break
                self._set_gone([r["id"] for r in rows], 0)

    def purge(self, before: int) -> None:
        """Delete the rows no generation from ``before`` on can see."""
        with milvus_errors(self.uri, self.name):
            self._client.delete(self.name, filter=f"gone != 0 and gone <= {int(before)}", timeout=CALL_TIMEOUT_S)

    def flush(self) -> None:
        with milvus_errors(self.uri, self.name):
            self._client.flush(self.name, timeout=CALL_TIMEOUT_S * 10)

    def close(self) -> None:
        """Nothing to release: the client is shared by the process."""


def _in_order(wanted: Sequence[int], ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    found = {int(i): float(s) for i, s in zip(ids, scores)}
    return np.asarray([found.get(int(i), 0.0) for i in wanted], dtype=np.float32)


def collection_name(prefix: str, generation: int) -> str:
    """The collection a first build or a rebuild writing ``generation`` creates."""
    return f"{prefix}_{generation:06d}"


def _generation_number(generation: Path) -> int:
    return int(generation.name.split("-")[1])


def _owner(index_dir: Path) -> str:
    """What marks a collection as this index's: its directory (several indexes may share a server)."""
    return str(Path(index_dir).resolve())


def _check_schema(props: dict, name: str, uri: str, dim: int, embedder_id: str, fix: str) -> None:
    held_dim, held_embedder = props.get("vector_dim", ""), props.get("newsdesk.embedder", "")
    if held_dim != str(dim) or held_embedder != embedder_id:
        raise IndexMismatchError(f"the Milvus collection {name} at {redact_uri(uri)} holds {held_dim or '?'}-d "
                                 f"vectors of {held_embedder or 'an unknown embedder'}, this index makes {dim}-d "
                                 f"vectors of {embedder_id}: {fix}")


def open_chunks(index_dir: Path, generation: Path, manifest, settings: Settings, store) -> MilvusChunks:
    """The collection a Milvus-backend generation names, read as that generation.

    Raises:
        IndexServerError, IndexAuthError: the server does not answer or refuses the token.
        IndexNotFoundError: the server has no such collection.
        IndexMismatchError: the collection holds another embedder's or dimension's vectors.
    """
    from .errors import rebuild_command

    uri = milvus_uri(settings)
    client = connect(settings)
    name = manifest.collection
    fix = f"run `{rebuild_command(index_dir)}` to rebuild it"
    if not MilvusChunks.exists(client, uri, name):
        raise IndexNotFoundError(f"the index at {index_dir} is on the Milvus collection {name}, which the server "
                                 f"at {redact_uri(uri)} does not hold: set NEWSDESK_MILVUS_URI to the server that "
                                 f"holds it, or {fix}")
    _check_schema(MilvusChunks.describe(client, uri, name), name, uri, manifest.dim, manifest.embedder, fix)
    chunks = MilvusChunks(client, uri, name, _generation_number(generation), store.term_dfs, manifest.chunks)
    chunks.load()
    return chunks


class MilvusParts:
    """A build's writes to Milvus for one new generation (the counterpart of build's
    ``_LocalParts``): rows inserted as the new generation, removals marked, term counts kept."""

    def __init__(self, work, chunks: MilvusChunks) -> None:
        self._work = work
        self.chunks = chunks

    @classmethod
    def start(cls, work) -> "MilvusParts":
        """Continue the live generation's collection (first undoing what killed builds left in
        it), or, for a first build or a rebuild, create a new one.

        Raises:
            IndexMismatchError: the collection holds vectors of another embedder or dimension,
                or the new collection's name is taken by another index.
        """
        from .errors import rebuild_command

        settings, old = work.settings, work.old
        uri, client = milvus_uri(settings), connect(settings)
        generation = _generation_number(work.directory)
        index_dir = Path(settings.index_dir)
        if old is not None and old.manifest.backend == "milvus":
            name = old.manifest.collection
            chunks = MilvusChunks(client, uri, name, generation)
            _check_schema(MilvusChunks.describe(client, uri, name), name, uri, old.manifest.dim,
                          old.manifest.embedder, f"run `{rebuild_command(index_dir)}` to rebuild the index")
            chunks.forget_unfinished(_generation_number(old.generation))
        else:
            name = collection_name(settings.milvus_collection, generation)
            if MilvusChunks.exists(client, uri, name):
                props = MilvusChunks.describe(client, uri, name)
                if props.get("newsdesk.index") != _owner(index_dir):
                    raise IndexMismatchError(
                        f"the Milvus collection {name} at {redact_uri(uri)} belongs to another index "
                        f"({props.get('newsdesk.index') or 'not a Newsdesk one'}): set NEWSDESK_MILVUS_COLLECTION "
                        "to a name of this index's own")
                MilvusChunks.drop(client, uri, name)  # this index's own, left by a killed build
            MilvusChunks.create(client, uri, name, work.embedder.dim, work.embedder.model_id, _owner(index_dir))
            chunks = MilvusChunks(client, uri, name, generation)
        return cls(work, chunks)

    def remove(self, chunk_ids: list[int]) -> None:
        self.chunks.mark_gone(chunk_ids)
        self._count(self._work.removed_texts, -1)

    def add(self, vectors: np.ndarray, rows, articles: dict) -> None:
        out = []
        for row, vector in zip(rows, vectors):
            a = articles[row.article_id]
            out.append(MilvusRow(row.id, a.id, a.publish_date, a.title, a.byline, a.url, row.text, vector))
        self.chunks.insert(out)
        self._count([f"{articles[r.article_id].title}\n{r.text}" for r in rows], 1)

    def _count(self, texts: list[str], sign: int) -> None:
        counts: dict[str, int] = {}
        for terms in bm25_terms(texts):
            for term in set(terms.split()):
                counts[term] = counts.get(term, 0) + sign
        self._work.store.count_terms(counts)

    def finish(self) -> tuple[str, dict]:
        """Flush the writes; the manifest's ``dense_kind`` and the fields naming the collection."""
        self.chunks.flush()
        return "milvus", {"backend": "milvus", "collection": self.chunks.name}


def remove_old_chunks(index_dir: Path, settings: Settings, keep: set[str], previous: Path | None) -> str:
    """After a build published: delete the rows only generations older than ``previous`` (the
    one live until now, which a running app may still read) could see, and drop this index's
    collections no kept generation names. Returns a warning when that failed ("" when not):
    the index is published either way, and the next build tries again."""
    import json

    uri, client = milvus_uri(settings), connect(settings)
    named = set()
    for gen in filter(None, keep):
        try:
            named.add(json.loads((Path(index_dir) / gen / "manifest.json").read_text()).get("collection", ""))
        except (OSError, ValueError, AttributeError):
            return f"old Milvus rows kept: {gen}/manifest.json is unreadable"  # unsure what is named: drop nothing
    try:
        with milvus_errors(uri):
            prefix = f"{settings.milvus_collection}_"
            for name in client.list_collections(timeout=CALL_TIMEOUT_S):
                if name.startswith(prefix) and name[len(prefix):].isdigit() and name not in named:
                    if MilvusChunks.describe(client, uri, name).get("newsdesk.index") == _owner(index_dir):
                        MilvusChunks.drop(client, uri, name)
            if previous is not None:
                for name in named:
                    if name and MilvusChunks.exists(client, uri, name):
                        MilvusChunks(client, uri, name, 0).purge(_generation_number(previous))
    except NewsdeskError as exc:
        return f"old Milvus rows and collections are left for the next build to remove ({exc})"
    return ""
