"""The incremental, atomic index build: inputs (files and folders) in, a new index generation out."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from .chunking import Chunk, chunk_text, split_sentences
from .clean import clean_text
from .dedupe import NearDuplicateFinder, signature
from .dense_index import FaissIndex
from .embedder import Embedder, get_embedder
from .errors import (IndexBusyError, IndexMismatchError, InputNotFoundError, InvalidInputError, index_damaged,
                     rebuild_command)
from .files import fsync_dir
from .index import (FORMAT_VERSION, Manifest, NewsIndex, current_generation, open_generation, orphaned_generation,
                    publish_generation, recorded_inputs)
from .ingest import Document, Skip, read_input
from .precision_probe import probed_precision
from .settings import Settings
from .sparse_index import Bm25Index
from .store import Article, ArticleState, ChunkRow, ChunkStore

EMBED_BATCH = 256  # chunks per encode() call: big enough to sort by length, small enough to show progress
Progress = Callable[[int, int], None]


@dataclass
class BuildReport:
    """What a build did; ``summary()`` is the text the CLI prints."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    refreshed: int = 0  # of the unchanged: metadata updated, text (and so vectors) the same
    skipped: list[Skip] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    tokens_embedded: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    generation: str = ""
    articles: int = 0
    chunks: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        lines = [
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged{f' ({self.refreshed} with new metadata)' if self.refreshed else ''}, "
            f"{len(self.skipped)} skipped "
            f"({self.chunks_embedded} chunks embedded in {self.seconds:.1f} s)",
            f"index: {self.articles} articles, {self.chunks} chunks"
            + (f" (generation {self.generation})" if self.generation else " (no change written)"),
        ]
        lines += [f"  skipped {s.path}: {s.reason}" for s in self.skipped]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(f"another build is writing {index_dir}; wait for it to finish") from None
        yield


def build_index(inputs: Sequence[str | Path] = (), settings: Settings | None = None,
                embedder: Embedder | None = None, rebuild: bool = False, progress: bool = True,
                on_progress: Progress | None = None) -> BuildReport:
    """Bring the index up to date with ``inputs``, embedding only what changed.

    Args:
        inputs: files or folders to sync. Articles from other inputs already in the index
            are kept. With none, every input recorded in the index is synced again.
        settings: index location, chunking and caps; defaults from the environment.
        embedder: defaults to the packaged all-MiniLM-L6-v2.
        rebuild: ignore the existing index (required after a format or embedder change).
        progress: show a progress bar on stderr while embedding.
        on_progress: called with (chunks embedded, chunks to embed) as work proceeds.

    Returns:
        What was added, updated, removed, left unchanged and skipped (with reasons).

    Raises:
        InputNotFoundError: a named input does not exist.
        IndexMismatchError: the existing index is from another version; pass ``rebuild``.
        IndexDamagedError: a part of the existing index is damaged; pass ``rebuild`` (which
            reads nothing of the old index but the list of its inputs).
        IndexBusyError: another build is running on the same index.
    """
    settings = settings or Settings.from_env()
    if settings.ray_address and embedder is None:  # a missing Ray is one line before any work
        from .ray_embed import require_ray

        require_ray()
    started = time.perf_counter()
    index_dir = Path(settings.index_dir)
    report = BuildReport()
    with build_lock(index_dir):
        live = current_generation(index_dir)
        old, recorded = _starting_point(index_dir, live, inputs, settings, embedder, rebuild)
        try:
            _remove_abandoned_generations(index_dir)
            roots = _roots(inputs, recorded)
            plan = _plan(roots, old.store.article_states() if old else {}, settings, report)
            if not plan.to_index and not plan.to_remove and old is not None:
                report.articles, report.chunks = old.manifest.articles, old.manifest.chunks
            else:
                # Loaded on first use: a build that finds only duplicates never pays its start-up.
                embedder = embedder or _LazyEmbedder(lambda: _default_embedder(settings, progress))
                generation = _new_generation_dir(index_dir)
                try:
                    written = _write_generation(generation, old, plan, roots, settings, embedder, report,
                                                progress, on_progress)
                except BaseException:
                    shutil.rmtree(generation, ignore_errors=True)
                    raise
                finally:
                    _discard_pending(embedder)  # a Ray pipeline started for chunks never embedded
                if written:
                    publish_generation(index_dir, generation)
                    # The one that was live stays, rebuilt or not: a running app may still be reading it.
                    keep = {generation.name, live.name if live else ""}
                    if settings.index_backend == "milvus":
                        from .milvus_index import remove_old_chunks

                        if warning := remove_old_chunks(index_dir, settings, keep, live):
                            report.warnings.append(warning)
                    _remove_old_generations(index_dir, keep=keep)
                    report.generation = generation.name
                else:  # every candidate was a duplicate: the live generation is still right
                    shutil.rmtree(generation, ignore_errors=True)
        finally:
            if old:
                old.close()
    report.seconds = time.perf_counter() - started
    return report


def _starting_point(index_dir: Path, live: Path | None, inputs: Sequence[str | Path], settings: Settings,
                    embedder: Embedder | None, rebuild: bool) -> tuple[NewsIndex | None, list[str]]:
    """The generation a build starts from (None: from scratch) and the inputs it recorded.

    A rebuild reads nothing of the old index but, when no inputs are named, the list of
    them, from whatever part still holds it: it must work over any damage. An incremental
    build copies the live generation, so it first checks every byte of it (building on damage
    would publish it again, as good as new) and refuses a damaged one: mending it means
    reading the inputs again, which drops whatever is no longer in them, so that is left to
    an explicit ``--rebuild``.
    """
    orphan = orphaned_generation(index_dir) if live is None else None
    if rebuild:
        if inputs or not (live or orphan):
            return None, []
        recorded = recorded_inputs(live or orphan)
        if recorded is None:
            raise index_damaged(index_dir, "its manifest and chunk store are unreadable", name_inputs=True)
        return None, recorded
    if orphan is not None:
        raise index_damaged(index_dir, "its CURRENT file, which names the live generation, is missing or "
                            "unreadable", name_inputs=recorded_inputs(orphan) is None)
    if live is None:
        return None, []
    old = open_generation(index_dir, live, settings, embedder, verify=True)
    if old.manifest.backend != settings.index_backend:
        old.close()
        raise IndexMismatchError(f"the index at {index_dir} is searched by the {old.manifest.backend} backend, "
                                 f"NEWSDESK_INDEX_BACKEND says {settings.index_backend}: run "
                                 f"`{rebuild_command(index_dir)}` to move it (or set the backend back)")
    return old, old.manifest.inputs


@dataclass
class _Plan:
    to_index: list[tuple[Document, str]] = field(default_factory=list)  # (article, its input root)
    to_remove: list[str] = field(default_factory=list)  # article ids


class _LazyEmbedder:
    """Stands in for the embedder and loads it on first attribute access."""

    def __init__(self, load: Callable[[], Embedder]) -> None:
        self._load = load
        self._embedder: Embedder | None = None

    def __getattr__(self, name: str):
        if self._embedder is None:
            self._embedder = self._load()
        return getattr(self._embedder, name)

    def discard_pending(self) -> None:
        """Passes ``discard_pending`` on to a loaded embedder; loads nothing."""
        if self._embedder is not None:
            _discard_pending(self._embedder)


def _discard_pending(embedder: Embedder) -> None:
    # Optional, beside the Embedder protocol: work an embedder started ahead of texts that
    # never came (RayEmbedder's pipeline). The embedder stays usable.
    discard = getattr(embedder, "discard_pending", None)
    if callable(discard):
        discard()


def _default_embedder(settings: Settings, progress: bool) -> Embedder:
    if settings.ray_address:  # the embedding step runs on Ray; the rest of the build stays here
        from .ray_embed import ray_embedder

        return ray_embedder(settings, progress=progress, group_size=EMBED_BATCH)  # vectors as local ones
    return get_embedder(settings.embedder, settings.embed_batch_size,
                        probed_precision(settings.embed_precision, settings.model_cache_dir))


def _roots(inputs: Sequence[str | Path], recorded: Sequence[str]) -> list[str]:
    if inputs:
        roots = []
        for named in inputs:
            path = Path(named)
            if not path.exists():
                raise InputNotFoundError(f"input {named} does not exist; check the path")
            # Recorded absolute: a later `build` with no inputs may run from another folder.
            roots.append(str(path.resolve()))
        return list(dict.fromkeys(roots))  # the same folder named twice is read once
    if recorded:
        return list(recorded)
    raise InvalidInputError("nothing to index: name files or folders, e.g. `python -m embeddings build seeds`")


def _plan(roots: list[str], states: dict[str, ArticleState], settings: Settings, report: BuildReport) -> _Plan:
    """Read the inputs and decide, per article, whether to index, keep or remove it."""
    plan = _Plan()
    seen: dict[str, str] = {}
    kept_paths: set[str] = set()
    for root in roots:
        if not Path(root).exists():
            report.warnings.append(f"input {root} no longer exists; its articles are removed")
            continue
        for item in read_input(Path(root), int(settings.max_file_mb * 1e6), settings.max_article_chars):
            if isinstance(item, Skip):
                report.skipped.append(item)
                if item.keeps_indexed:
                    kept_paths.add(item.path)
                continue
            aid = item.article_id
            if aid in seen:
                report.skipped.append(Skip(item.path, f"same article (URL or file) as {seen[aid]}; indexed once"))
                continue
            seen[aid] = item.path
            report.warnings.extend(f"{item.path}: {w}" for w in item.warnings)
            state = states.get(aid)
            if state and state.raw_hash == item.raw_hash and state.input_root == root:
                report.unchanged += 1
            else:
                plan.to_index.append((item, root))
    synced = set(roots)
    for aid, state in states.items():
        if state.input_root in synced and aid not in seen:
            # Matched by file as well as by key: records keyed by URL come from a file too.
            if state.key in kept_paths or state.path in kept_paths:
                # The file is now unreadable; keep what was indexed from it rather than lose it.
                report.warnings.append(f"{state.key}: kept the previously indexed version")
                continue
            plan.to_remove.append(aid)
    return plan


def _write_generation(generation: Path, old: NewsIndex | None, plan: _Plan, roots: list[str],
                      settings: Settings, embedder: Embedder, report: BuildReport, progress: bool,
                      on_progress: Progress | None) -> bool:
    """Write the new generation; ``False`` (nothing written) when it would equal ``old``.

    The stages, in order: remove what left the inputs, classify each article to index
    (refresh, duplicate or new text), embed the new chunks, write the dense and BM25
    indexes, and last of all the manifest.
    """
    if old:
        shutil.copyfile(old.generation / "chunks.sqlite", generation / "chunks.sqlite")
    store = ChunkStore(generation / "chunks.sqlite")
    try:  # closed even on failure: SQLite misreads a new file that reuses a dead one's inode
        work = _Generation.start(generation, old, store, settings, embedder, report)
        _remove(work, plan)
        _classify(work, plan.to_index)
        if old is not None and not report.changed and not report.refreshed:
            report.articles, report.chunks = store.counts()
            return False
        if settings.index_backend == "milvus":
            from .milvus_index import MilvusParts

            parts = MilvusParts.start(work)
        else:
            parts = _LocalParts(work)
        parts.remove(work.removed_chunks)
        _embed_chunks(work, parts, progress, on_progress)
        kind, extra = parts.finish()
        work.store.commit()
        report.articles, report.chunks = work.store.counts()
        manifest = _manifest(work, roots, kind, extra)
    finally:
        store.close()
    # Sizes and hashes are taken once every other file is final and closed, and the manifest
    # is written last of all: a generation with a manifest is a finished one.
    manifest.with_files(generation).write(generation / "manifest.json")
    fsync_dir(generation, recursive=True)
    return True


@dataclass
class _Generation:
    """A build's work on its new generation: what the stages of ``_write_generation`` share."""

    directory: Path
    old: NewsIndex | None
    store: ChunkStore  # a copy of the old generation's, changed in place
    settings: Settings
    embedder: Embedder
    report: BuildReport
    now: str  # the build's time: every article it writes, and the manifest, carry it
    states: dict[str, ArticleState]  # the articles as the build found them
    finder: NearDuplicateFinder  # over the articles kept so far
    hashes: dict[str, str]  # content hash -> id of the article kept with that text
    next_id: int  # the next chunk id to hand out
    removed_chunks: list[int] = field(default_factory=list)  # their vectors go from the dense index
    removed_texts: list[str] = field(default_factory=list)  # their BM25 texts (Milvus backend only)
    to_embed: list[tuple[Article, list[Chunk]]] = field(default_factory=list)

    @classmethod
    def start(cls, directory: Path, old: NewsIndex | None, store: ChunkStore, settings: Settings,
              embedder: Embedder, report: BuildReport) -> "_Generation":
        states = store.article_states()
        finder = NearDuplicateFinder(settings.near_duplicate_jaccard)
        for aid, sig in store.minhashes():
            finder.add(aid, sig)
        return cls(directory, old, store, settings, embedder, report,
                   now=datetime.now(timezone.utc).isoformat(timespec="seconds"), states=states, finder=finder,
                   hashes={state.content_hash: aid for aid, state in states.items()},
                   next_id=old.manifest.next_chunk_id if old else 1)

    def keep(self, article: Article, sig: np.ndarray) -> None:
        """Store ``article``; later ones that repeat its text are its duplicates."""
        self.store.put_article(article, sig)
        self.finder.add(article.id, sig)
        self.hashes[article.content_hash] = article.id

    def forget(self, aid: str) -> None:
        """An article that is removed or about to be replaced is nothing to be a duplicate of."""
        self.finder.remove(aid)
        if aid in self.states and self.hashes.get(self.states[aid].content_hash) == aid:
            del self.hashes[self.states[aid].content_hash]

    def delete(self, aid: str) -> None:
        if self.settings.index_backend == "milvus":  # its term counts (for idf) lose these chunks' terms
            self.removed_texts += [f"{c.title}\n{c.text}" for c in self.store.chunks_of_article(aid)]
        self.removed_chunks += self.store.delete_article(aid)


def _remove(work: _Generation, plan: _Plan) -> None:
    """Delete the articles gone from the inputs; forget, as originals, those about to be indexed again."""
    for aid in plan.to_remove:
        article = work.store.article(aid)
        work.delete(aid)
        work.forget(aid)
        work.report.removed.append(article.path if article else aid)
    for doc, _ in plan.to_index:
        work.forget(doc.article_id)


def _classify(work: _Generation, to_index: list[tuple[Document, str]]) -> None:
    """Per article to index: skip it (empty, or a duplicate of one kept), refresh its record
    (same text), or store it and queue its chunks for embedding (new or changed text)."""
    report = work.report
    for doc, root in to_index:
        aid = doc.article_id
        existed = aid in work.states
        text = clean_text(doc.text)
        if not text:
            report.skipped.append(Skip(doc.path, "no text left after cleaning"))
            continue
        content_hash = hashlib.sha256(f"{doc.title}\n{text}".encode()).hexdigest()
        sig = signature(text)
        article = Article(aid, doc.key, root, doc.path, doc.url, doc.title, doc.byline, doc.publish_date,
                          content_hash, doc.raw_hash, text, work.now)
        if existed and work.states[aid].content_hash == content_hash:
            # Only the raw record changed (metadata, formatting): keep the chunks and vectors.
            work.keep(article, sig)
            report.unchanged += 1
            report.refreshed += 1
            continue
        exact = work.hashes.get(content_hash)
        duplicate = exact or work.finder.find(sig)
        if duplicate:
            other = work.store.article(duplicate)
            # Titles name the two articles: in a JSONL corpus both share one file path.
            report.skipped.append(Skip(doc.path, f"“{doc.title[:80]}” duplicates "
                                                 f"{_label(other) if other else duplicate} "
                                                 f"({'same' if exact else 'nearly the same'} text)"))
            if existed:  # edited into a copy of another article: its old text must not linger
                work.delete(aid)
                report.removed.append(doc.path)
            continue
        if existed:
            work.delete(aid)
        chunks = chunk_text(text, work.embedder.count_tokens, work.settings.chunk_tokens,
                            work.settings.chunk_overlap_tokens)
        work.keep(article, sig)
        work.to_embed.append((article, chunks))
        (report.updated if existed else report.added).append(doc.path)


class _LocalParts:
    """The local backend's part of a generation: the dense index (the old one less the removed
    chunks' vectors, plus the new chunks', converted to IVF once it is big enough) and a BM25
    index built over every chunk."""

    def __init__(self, work: _Generation) -> None:
        self._work = work
        self._dense: FaissIndex | None = work.old.dense if work.old else None

    def remove(self, chunk_ids: list[int]) -> None:
        if self._dense is not None:
            self._dense.remove(chunk_ids)

    def add(self, vectors: np.ndarray, rows: list[ChunkRow], articles: dict[str, Article]) -> None:
        if self._dense is None:
            self._dense = FaissIndex.create(self._work.embedder.dim)
        self._dense.add(vectors, np.array([r.id for r in rows], dtype=np.int64))

    def finish(self) -> tuple[str, dict]:
        """Write the parts; returns the manifest's ``dense_kind`` and any other fields it gets."""
        work = self._work
        dense = (self._dense or FaissIndex.create(work.embedder.dim)).resized(work.settings.exact_search_max_chunks)
        dense.save(work.directory / "dense.faiss")
        ids, texts = work.store.all_chunk_texts()
        Bm25Index.build(texts, ids).save(work.directory / "bm25")
        return dense.kind, {}


def _manifest(work: _Generation, roots: list[str], dense_kind: str, extra: dict) -> Manifest:
    """The new generation's manifest, without its files' sizes and hashes yet."""
    before = work.old.manifest if work.old else None
    report, settings, embedder = work.report, work.settings, work.embedder
    held = {state.input_root for state in work.store.article_states().values()}
    # An input stays recorded while it holds articles, or exists (an empty folder) when named.
    inputs = [r for r in sorted(set(roots) | set(before.inputs if before else []))
               if r in held or (r in roots and Path(r).exists())]
    return Manifest(
        format_version=FORMAT_VERSION, embedder=embedder.model_id, dim=embedder.dim,
        chunk_tokens=settings.chunk_tokens, chunk_overlap_tokens=settings.chunk_overlap_tokens,
        dense_kind=dense_kind, articles=report.articles, chunks=report.chunks, built_at=work.now,
        next_chunk_id=work.next_id, inputs=inputs,
        embed_precision=_precision(before.embed_precision if before else "",
                                   getattr(embedder, "precision", ""), report.chunks_embedded, report.chunks),
        **extra,
    )


def _precision(before: str, now: str, embedded: int, total: int) -> str:
    """The manifest's record of the stored vectors' precision after this build."""
    if not embedded or not now:
        return before if total else ""
    if embedded == total:
        return now
    if not before:  # added to vectors of unrecorded precision: the mix is unknown
        return ""
    return "+".join(sorted(set(before.split("+")) | {now}))


def _label(article: Article) -> str:
    return f"“{article.title[:80]}” in {article.path}" if article.title else article.path


def _embed_chunks(work: _Generation, parts, progress: bool, on_progress: Progress | None) -> None:
    """Give the queued chunks ids, embed them into the index ``parts`` and store them, batch by batch."""
    rows, texts, spans = [], [], []
    articles = {article.id: article for article, _ in work.to_embed}
    for article, chunks in work.to_embed:
        for chunk in chunks:
            rows.append(ChunkRow(work.next_id, article.id, chunk.ordinal, chunk.start, chunk.end, chunk.text,
                                 chunk.tokens))
            # The title gives a chunk the context its sentences often leave implicit.
            prefix = f"{article.title}. " if article.title else ""
            texts.append(prefix + chunk.text)
            spans.append([(len(prefix) + a, len(prefix) + b) for a, b in split_sentences(chunk.text)])
            work.next_id += 1
    total = len(rows)
    if not total:
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr, disable=not progress)
    started = time.perf_counter()
    # A bulk embedder (RayEmbedder) takes many batches per call: each call is a pipeline start-up.
    step = getattr(work.embedder, "bulk_chunks", EMBED_BATCH)
    with_sentences = getattr(work.embedder, "embed_with_sentences", None)  # SentenceVectorEmbedder
    for start in range(0, total, step):
        batch = rows[start:start + step]
        if with_sentences:
            vectors, sentences = with_sentences(texts[start:start + step], spans[start:start + step])
            work.store.put_sentence_vectors(zip((r.id for r in batch), sentences))
        else:
            vectors = work.embedder.embed(texts[start:start + step])
        parts.add(vectors, batch, articles)
        work.store.put_chunks(batch)
        bar.update(len(batch))
        if on_progress:
            on_progress(min(start + step, total), total)
    bar.close()
    work.report.embed_seconds = time.perf_counter() - started
    work.report.chunks_embedded = total
    work.report.tokens_embedded = sum(r.tokens for r in rows)


def _new_generation_dir(index_dir: Path) -> Path:
    numbers = [int(p.name.split("-")[1]) for p in index_dir.glob("gen-*") if p.name.split("-")[1].isdigit()]
    generation = index_dir / f"gen-{max(numbers, default=0) + 1:06d}"
    generation.mkdir()
    return generation


def _remove_abandoned_generations(index_dir: Path) -> None:
    """Generations newer than CURRENT are leftovers of a killed build."""
    live = current_generation(index_dir)
    for path in index_dir.glob("gen-*"):
        if live is None or path.name > live.name:
            shutil.rmtree(path, ignore_errors=True)


def _remove_old_generations(index_dir: Path, keep: set[str]) -> None:
    # The previous generation stays one build longer: a running app may still be reading it.
    for path in index_dir.glob("gen-*"):
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)

