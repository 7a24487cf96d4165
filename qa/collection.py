"""What the chat needs to know about, and add to, the article collection."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from embeddings import BuildReport, NewsIndex, Settings, build_index, load_index


@dataclass(frozen=True)
class IndexInfo:
    articles: int
    chunks: int
    built_at: str
    embedder: str
    dense_kind: str
    sources: tuple[str, ...]  # bylines / outlets, most articles first
    directory: str


class IndexCache:
    """The live index, loaded once and reloaded when a build publishes a new generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: NewsIndex | None = None
        self._key: tuple | None = None

    def get(self, settings: Settings) -> NewsIndex:
        """Raises the errors of ``embeddings.load_index``."""
        key = (str(settings.index_dir), settings.embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)
        with self._lock:
            if self._index is None or self._key != key or self._index.is_stale():
                self._index = load_index(settings)
                self._key = key
            return self._index


INDEXES = IndexCache()


def index_info(settings: Settings | None = None) -> IndexInfo:
    """Counts and provenance of the live index.

    Raises:
        IndexNotFoundError: nothing built yet.
        IndexMismatchError: built by another version.
    """
    settings = settings or Settings.from_env()
    index = INDEXES.get(settings)
    m = index.manifest
    return IndexInfo(m.articles, m.chunks, m.built_at, m.embedder, m.dense_kind,
                     tuple(name for name, _ in index.store.sources()), str(index.index_dir))


def add_articles(paths: Sequence[str | Path], settings: Settings | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Index files or folders incrementally; they can be asked about as soon as this returns.

    Raises:
        SourceNotFoundError, IndexMismatchError, IndexBusyError: see ``embeddings.build_index``.
    """
    settings = settings or Settings.from_env()
    return build_index(list(paths), settings, progress=False, on_progress=on_progress)


def example_questions(settings: Settings | None = None, n: int = 4) -> list[str]:
    """Questions a first-time visitor can click, drawn from the newest indexed articles."""
    settings = settings or Settings.from_env()
    index = INDEXES.get(settings)
    questions = []
    for article in index.articles()[: n * 3]:
        question = question_from_title(article.title)
        if question and question not in questions:
            questions.append(question)
        if len(questions) == n:
            break
    return questions


def question_from_title(title: str) -> str:
    title = title.strip().rstrip(".?!")
    if len(title.split()) < 3:
        return ""
    return f"What do the articles say about “{title}”?"
