"""The chunk store: article and chunk texts with metadata, in one SQLite file per index
generation."""

from __future__ import annotations

import functools
import inspect
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, NamedTuple, Sequence
from urllib.parse import quote

import numpy as np

from .errors import disk_full, index_damaged

# The column source_root holds Article.input_root (see _column).
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, source_root TEXT NOT NULL, path TEXT NOT NULL,
    url TEXT NOT NULL, title TEXT NOT NULL, byline TEXT NOT NULL, publish_date TEXT NOT NULL,
    content_hash TEXT NOT NULL, raw_hash TEXT NOT NULL, text TEXT NOT NULL, minhash BLOB NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL, end_ INTEGER NOT NULL, text TEXT NOT NULL, tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS term_df (term TEXT PRIMARY KEY, df INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sentence_vectors (chunk_id INTEGER PRIMARY KEY, scales BLOB NOT NULL, vectors BLOB NOT NULL);
"""


@dataclass(frozen=True)
class Article:
    """An indexed article; each field is the ``articles`` column of the same name (``_column``).

    ``input_root`` is the input (file or folder named to the build) the article was read from;
    ``byline`` is its source, who published it."""

    id: str
    key: str
    input_root: str
    path: str
    url: str
    title: str
    byline: str
    publish_date: str
    content_hash: str
    raw_hash: str
    text: str
    indexed_at: str


@dataclass(frozen=True)
class ArticleLead:
    """An article's title and the start of its text: enough to show it without reading it all."""

    id: str
    title: str
    lead: str


class ArticleDate(NamedTuple):
    """When and where an article appeared, without its text: a row of what the collection
    covers (``ChunkStore.article_dates``)."""

    id: str
    publish_date: str  # ISO date, or "" when unknown
    byline: str
    url: str


@dataclass(frozen=True)
class ArticleState:
    """What a build needs to know of an indexed article: whether its record or its text
    changed (the hashes) and where it came from."""

    raw_hash: str
    content_hash: str
    input_root: str
    key: str
    path: str


class ChunkRow(NamedTuple):
    """One row of the ``chunks`` table, as a build writes it (a tuple: SQLite takes it as is)."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    tokens: int


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk with the metadata of its article; ``text == article.text[start:end]``.

    The fields are a ``ChunkRow``'s, then ``Article`` fields of its article."""

    id: int
    article_id: str
    ordinal: int
    start: int
    end: int
    text: str
    tokens: int
    title: str
    byline: str
    publish_date: str
    url: str
    path: str


def _names(record: type) -> tuple[str, ...]:
    """The field names of a record type (a dataclass or a NamedTuple), in order."""
    return record._fields if issubclass(record, tuple) else tuple(f.name for f in fields(record))


def _column(name: str) -> str:
    # END is an SQL keyword. input_root keeps the column name it had as source_root, before
    # inputs were called inputs, so chunk stores already written read as they are.
    return {"end": "end_", "input_root": "source_root"}.get(name, name)


def _columns(record: type) -> str:
    """The SQL column list of a record type in its field order: the order ``record(*row)``
    takes a selected row back in."""
    return ", ".join(_column(name) for name in _names(record))


_ARTICLE_COLUMNS = _columns(Article)
_CHUNK_SELECT = ("SELECT " + ", ".join(f"c.{_column(name)}" if name in _names(ChunkRow) else f"a.{name}"
                                      for name in _names(ChunkRecord))
                 + " FROM chunks c JOIN articles a ON a.id = c.article_id")


def _quantised(vectors: np.ndarray) -> tuple[bytes, bytes]:
    """Rows as int8 and their float32 scales (a row of zeros stays zeros)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, dtype=np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    return scales.astype(np.float32).tobytes(), np.round(vectors / safe).astype(np.int8).tobytes()


def _guarded(method):
    """Turns SQLite's failures into ours: a damaged file into ``IndexDamagedError`` naming the
    rebuild command, a full disk into ``DiskFullError``. A ``ProgrammingError`` (say, a closed
    store) is a bug, not damage, and passes through."""

    def translate(store: "ChunkStore", exc: sqlite3.DatabaseError) -> Exception:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc):
            return disk_full(store.index_dir, exc)
        return index_damaged(store.index_dir, f"{store.path.parent.name}/{store.path.name}: {exc}")

    if inspect.isgeneratorfunction(method):
        @functools.wraps(method)
        def generator(self, *args, **kwargs):
            try:
                yield from method(self, *args, **kwargs)
            except sqlite3.ProgrammingError:
                raise
            except sqlite3.DatabaseError as exc:
                raise translate(self, exc) from exc
        return generator

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.DatabaseError as exc:
            raise translate(self, exc) from exc
    return wrapper


class ChunkStore:
    """Articles and chunks of one generation. Every method raises ``IndexDamagedError`` when
    the file turns out to be corrupt (SQLite finds that only on reaching the bad page, so a
    question can find it long after the index loaded) and ``DiskFullError`` when a write or a
    sort runs out of space."""

    @_guarded
    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        # A generation's store is index_dir/gen-NNNNNN/chunks.sqlite: errors name the index.
        self.index_dir = self.path.parent.parent
        # Quoted: an unquoted "#" or "?" in the path silently opens (and creates) another file.
        uri = f"file:{quote(str(self.path.absolute()))}" + ("?mode=ro" if readonly else "")
        # Read by the web app's worker threads; writes happen only in a build, single-threaded.
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._sentence_table: bool | None = None
        if not readonly:
            try:
                self._db.executescript(SCHEMA)
            except sqlite3.DatabaseError:
                self._db.close()
                raise

    def close(self) -> None:
        self._db.close()

    @_guarded
    def commit(self) -> None:
        self._db.commit()

    # --- writing (builds only)
    @_guarded
    def put_article(self, article: Article, minhash: np.ndarray) -> None:
        values = [getattr(article, name) for name in _names(Article)] + [minhash.tobytes()]
        self._db.execute(f"INSERT OR REPLACE INTO articles ({_ARTICLE_COLUMNS}, minhash) "
                         f"VALUES ({', '.join('?' * len(values))})", values)

    @_guarded
    def put_chunks(self, rows: Iterable[ChunkRow]) -> None:
        self._db.executemany(f"INSERT INTO chunks ({_columns(ChunkRow)}) "
                             f"VALUES ({', '.join('?' * len(_names(ChunkRow)))})", rows)

    @_guarded
    def put_sentence_vectors(self, items: Iterable[tuple[int, np.ndarray]]) -> None:
        """Store each chunk's sentence vectors (rows in ``split_sentences`` order) as int8
        with one float32 scale per row: 388 bytes a 384-d sentence instead of 1,536; a row
        read back has cosine >= 0.999 with the one stored."""
        self._db.executemany("INSERT OR REPLACE INTO sentence_vectors (chunk_id, scales, vectors) VALUES (?, ?, ?)",
                             [(int(cid), *_quantised(vectors)) for cid, vectors in items])

    @_guarded
    def delete_article(self, article_id: str) -> list[int]:
        """Remove an article and its chunks; returns the removed chunk ids."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM chunks WHERE article_id = ?", (article_id,))]
        self._db.execute("DELETE FROM sentence_vectors WHERE chunk_id IN "
                         "(SELECT id FROM chunks WHERE article_id = ?)", (article_id,))
        self._db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        self._db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return ids

    @_guarded
    def count_terms(self, counts: dict[str, int]) -> None:
        """Add ``counts`` (term -> chunks, negative when chunks go) to the document frequencies
        an index on Milvus keeps for ``idf`` (the local BM25 index knows its own)."""
        self._db.executemany("INSERT INTO term_df (term, df) VALUES (?, ?) "
                             "ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                             [(t, int(n)) for t, n in counts.items() if n])
        self._db.execute("DELETE FROM term_df WHERE df <= 0")

    @_guarded
    def term_dfs(self, terms: Sequence[str]) -> list[int]:
        """How many chunks hold each term (0 for one none holds), from ``count_terms``."""
        terms = list(terms)
        found: dict[str, int] = {}
        for start in range(0, len(terms), 900):
            part = terms[start:start + 900]
            found.update(self._db.execute(f"SELECT term, df FROM term_df WHERE term IN ({','.join('?' * len(part))})",
                                          part))
        return [found.get(t, 0) for t in terms]

    # --- reading
    @_guarded
    def article_states(self) -> dict[str, ArticleState]:
        """Every article's id with its ``ArticleState``."""
        return {r[0]: ArticleState(*r[1:]) for r in self._db.execute(
            f"SELECT id, {_columns(ArticleState)} FROM articles")}

    @_guarded
    def minhashes(self) -> Iterable[tuple[str, np.ndarray]]:
        for article_id, blob in self._db.execute("SELECT id, minhash FROM articles"):
            yield article_id, np.frombuffer(blob, dtype=np.uint64)

    @_guarded
    def article(self, article_id: str) -> Article | None:
        row = self._db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
        return Article(*row) if row else None

    @_guarded
    def articles(self) -> list[Article]:
        """All articles, newest first (texts included)."""
        return [Article(*r) for r in self._db.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles ORDER BY publish_date DESC, title")]

    @_guarded
    def newest_leads(self, limit: int, lead_chars: int) -> list[ArticleLead]:
        """The ``limit`` first articles in ``articles()``'s order (newest first), each with
        the first ``lead_chars`` characters of its text."""
        # The newest are picked in a subquery that reads no text: selecting the lead beside
        # the sort key reads every article's text to sort it (7.7 ms against 4.1 ms for
        # 5,336 articles with the file in the page cache; whole texts, as articles() reads
        # them, took 127 ms).
        return [ArticleLead(*r) for r in self._db.execute(
            """SELECT a.id, a.title, substr(a.text, 1, ?) FROM
                   (SELECT id, publish_date, title FROM articles ORDER BY publish_date DESC, title LIMIT ?) AS newest
               JOIN articles a ON a.id = newest.id ORDER BY newest.publish_date DESC, newest.title""",
            (lead_chars, limit))]

    @_guarded
    def article_dates(self) -> list[ArticleDate]:
        """Every article's id, publish date, byline and URL, in no particular order."""
        # These columns come before ``text`` in each row, so SQLite never reads the texts'
        # overflow pages: realtimeqa-2025's 5,336 articles in 15-22 ms (2 busy cores, file cached).
        return [ArticleDate(*r) for r in self._db.execute("SELECT id, publish_date, byline, url FROM articles")]

    @_guarded
    def chunks(self, ids: Sequence[int]) -> list[ChunkRecord]:
        """Chunks by id, in the order asked; unknown ids are left out."""
        ids = [int(i) for i in ids]
        if not ids:
            return []
        found: dict[int, ChunkRecord] = {}
        for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
            part = ids[start:start + 900]
            for row in self._db.execute(f"{_CHUNK_SELECT} WHERE c.id IN ({','.join('?' * len(part))})", part):
                record = ChunkRecord(*row)
                found[record.id] = record
        return [found[i] for i in ids if i in found]

    @_guarded
    def sentence_vectors(self, ids: Sequence[int]) -> dict[int, np.ndarray]:
        """The stored sentence vectors (float32, one row per sentence) of the chunks that have
        them; an index built before they were stored, or by an embedder without them, has none."""
        ids = [int(i) for i in ids]
        if not ids or not self._has_sentence_vectors():
            return {}
        found = {}
        for start in range(0, len(ids), 900):
            part = ids[start:start + 900]
            for cid, scales, vectors in self._db.execute(
                    f"SELECT chunk_id, scales, vectors FROM sentence_vectors WHERE chunk_id IN "
                    f"({','.join('?' * len(part))})", part):
                scale = np.frombuffer(scales, dtype=np.float32)
                rows = np.frombuffer(vectors, dtype=np.int8)
                if not len(scale) or len(rows) % len(scale):
                    continue  # a damaged row: its sentences are embedded when needed instead
                found[cid] = rows.reshape(len(scale), -1) * scale[:, None]
        return found

    def _has_sentence_vectors(self) -> bool:
        if self._sentence_table is None:  # a read-only store from before the table existed lacks it
            self._sentence_table = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sentence_vectors'").fetchone() is not None
        return self._sentence_table

    @_guarded
    def chunks_of_article(self, article_id: str) -> list[ChunkRecord]:
        return [ChunkRecord(*r) for r in self._db.execute(
            f"{_CHUNK_SELECT} WHERE c.article_id = ? ORDER BY c.ordinal", (article_id,))]

    @_guarded
    def all_chunk_texts(self) -> tuple[list[int], list[str]]:
        """Every chunk id with the text BM25 indexes (title + chunk)."""
        ids, texts = [], []
        for cid, title, text in self._db.execute(
                "SELECT c.id, a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id ORDER BY c.id"):
            ids.append(cid)
            texts.append(f"{title}\n{text}")
        return ids, texts

    @_guarded
    def chunk_ids_where(self, date_from: str = "", date_to: str = "", sources: Sequence[str] = ()) -> np.ndarray:
        """Chunk ids of articles published in [date_from, date_to] (ISO) from any of ``sources``
        (matched against byline or URL, case-insensitive)."""
        clauses, params = [], []
        if date_from:
            clauses.append("a.publish_date != '' AND a.publish_date >= ?")
            params.append(date_from)
        if date_to:
            clauses.append("a.publish_date != '' AND a.publish_date <= ?")
            params.append(date_to)
        if sources:
            clauses.append("(" + " OR ".join(["lower(a.byline) LIKE ? OR lower(a.url) LIKE ?"] * len(sources)) + ")")
            for s in sources:
                params += [f"%{s.lower()}%", f"%{s.lower()}%"]
        where = " AND ".join(clauses) or "1"
        rows = self._db.execute(
            f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    @_guarded
    def sources(self) -> list[tuple[str, int]]:
        """The sources (distinct bylines) with their article counts, most common first."""
        return list(self._db.execute(
            "SELECT byline, COUNT(*) FROM articles WHERE byline != '' GROUP BY byline ORDER BY 2 DESC, 1"))

    @_guarded
    def newest_date(self) -> str:
        """The latest publish date in the collection (ISO), or "" when none is known."""
        return self._db.execute("SELECT COALESCE(MAX(publish_date), '') FROM articles").fetchone()[0]

    @_guarded
    def counts(self) -> tuple[int, int]:
        articles = self._db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return articles, chunks

    @_guarded
    def max_chunk_id(self) -> int:
        """The largest chunk id, 0 when there are none (a rowid look-up, not a scan)."""
        return self._db.execute("SELECT COALESCE(MAX(id), 0) FROM chunks").fetchone()[0]

    @_guarded
    def input_roots(self) -> list[str]:
        """The inputs (files and folders) the articles were read from: what a rebuild syncs when
        the manifest, which records them too, is unreadable."""
        column = _column("input_root")
        return [r[0] for r in self._db.execute(f"SELECT DISTINCT {column} FROM articles ORDER BY 1")]

    @_guarded
    def check(self) -> None:
        """Read every page and check SQLite's structures (``PRAGMA quick_check``, a full scan:
        for builds, which read the whole store anyway, never for a cold start)."""
        problems = [r[0] for r in self._db.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("; ".join(p.replace("\n", " ") for p in problems))
