"""What the chat needs to know about, and add to, the article collection."""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from embeddings import BuildReport, NewsIndex, Settings, atomic_write, build_index, load_index


@dataclass(frozen=True)
class IndexInfo:
    articles: int
    chunks: int
    built_at: str
    embedder: str
    dense_kind: str
    sources: tuple[str, ...]  # who published the articles (their bylines), most articles first
    directory: str
    generation: str = ""  # the live generation's folder name ("gen-000007"): which build answered


class IndexCache:
    """The live index, loaded once and reloaded when a build publishes a new generation.

    The index it replaces is closed once nothing uses it any more. An answer that began on
    it may still be reading it in another thread (``stream_answer`` holds its index until the
    last piece is sent, which on a slow CPU takes minutes), so closing it at the swap would
    break that answer; a grace period would have to guess how long answers take. Instead
    its chunk store is closed when the last reference to it goes: at once if no answer
    holds it, else as that answer finishes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: NewsIndex | None = None
        self._key: tuple | None = None

    def get(self, settings: Settings) -> NewsIndex:
        """Raises the errors of ``embeddings.load_index``."""
        key = (str(settings.index_dir), settings.embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)
        with self._lock:
            if self._index is None or self._key != key or self._index.is_stale():
                replaced, self._index = self._index, load_index(settings)
                self._key = key
                if replaced is not None:
                    # The callback must not hold the index itself (its own close() would), or
                    # it would keep alive what it waits to see go.
                    weakref.finalize(replaced, replaced.store.close)
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
                     tuple(name for name, _ in index.store.sources()), str(index.index_dir),
                     index.generation.name)


def add_articles(paths: Sequence[str | Path], settings: Settings | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Index files or folders incrementally; they can be asked about as soon as this returns.

    Raises:
        InputNotFoundError, IndexMismatchError, IndexBusyError: see ``embeddings.build_index``.
    """
    settings = settings or Settings.from_env()
    return build_index(list(paths), settings, progress=False, on_progress=on_progress)


EXAMPLE_PROMPT = """Write one short factual question that the news text below answers.
The question must name who or what it is about, so that it makes sense on its own.
Output only the question."""

_examples_lock = threading.Lock()
# The model writes a question from an article's first 120 words. Only the start of each text
# is read: 4,000 characters hold 120 words unless they average over 32 characters.
_LEAD_WORDS = 120
_LEAD_CHARS = 4000


def example_questions(settings: Settings | None = None, n: int = 4, generator=None) -> list[str]:
    """Questions a first-time visitor can click, drawn from the newest indexed articles.

    The model writes one question per article from its lead (once; cached in
    ``data_dir/example_questions.json``); without a model the article's title is used.

    Args:
        settings: where the index and the cache live.
        n: how many questions.
        generator: a ``qa.generators.Generator``; ``None`` uses title-based questions only.
    """
    settings = settings or Settings.from_env()
    index = INDEXES.get(settings)
    cache_path = Path(settings.data_dir) / "example_questions.json"
    with _examples_lock:
        cache = _read_cache(cache_path)
        questions, changed = [], False
        for article in index.newest_leads(n * 3, _LEAD_CHARS):
            question = cache.get(article.id)
            if question is None and generator is not None:
                question = _ask_model(generator, article.title, article.lead)
                cache[article.id], changed = question, True
            question = question or question_from_title(article.title)
            if question and question not in questions:
                questions.append(question)
            if len(questions) == n:
                break
        if changed:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(cache_path, "w") as fh:
                fh.write(json.dumps(cache, ensure_ascii=False, indent=1))
    return questions


def _read_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _ask_model(generator, title: str, text: str) -> str:
    lead = " ".join(text.split()[:_LEAD_WORDS])
    messages = [{"role": "system", "content": EXAMPLE_PROMPT},
                {"role": "user", "content": f"{title}\n\n{lead}"}]
    out = "".join(generator.stream(messages, max_tokens=40, stop=["\n"])).strip().strip('"')
    # A usable question is one line, ends with "?", and is short enough for a button.
    return out if out.endswith("?") and 15 <= len(out) <= 140 else ""


def question_from_title(title: str) -> str:
    title = title.strip().rstrip(".?!")
    if len(title.split()) < 3:
        return ""
    return f"What do the articles say about “{title}”?"
