"""Stories: the articles that report one event, grouped (several outlets, several days).

An article joins the story whose centroid (the mean of its members' title-and-lead
embeddings) is closest, if that cosine reaches ``STORY_THRESHOLD`` and the story has an
article within ``STORY_WINDOW_DAYS`` of it, or if its MinHash signature says it is a
rewrite of a member (Jaccard >= ``REWRITE_JACCARD``: the near-duplicate signal the build
computes, at a lower bar than the build's own "same article" one). Otherwise it starts a
story of its own. Articles are placed oldest first, ties by id, so the grouping is
deterministic; after a build or poll only the new articles are placed (``assign`` keeps the
previous assignment), so a story keeps its id and members as news arrives. Articles with no
publish date are in no story: without a date no window holds them.

The pure part (``assign``) takes vectors and signatures; ``update_stories`` reads them from
the live index, keeps the title-and-lead vectors in ``data_dir/stories/`` and writes the
assignment there.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Mapping, Sequence
from urllib.parse import urlsplit

import numpy as np

from embeddings import NewsIndex, Settings, atomic_write

from .collection import INDEXES

#: Chosen on the tuning split (2025 weeks from April on): see benchmarks/RESULTS.md,
#: "Stories", and ``python -m benchmarks.stories_eval``.
STORY_THRESHOLD = 0.5
STORY_WINDOW_DAYS = 7
REWRITE_JACCARD = 0.5
LEAD_CHARS = 400  # the title and this much of the text make the vector that groups an article
FORMAT_VERSION = 1

_LOCK = threading.Lock()  # one update at a time in this process: the files are rewritten whole


@dataclass(frozen=True)
class StoryItem:
    """An article as the grouping sees it."""

    id: str
    date: str  # ISO publish date; "" leaves the article out of every story
    title: str = ""
    source: str = ""
    url: str = ""


@dataclass(frozen=True)
class Story:
    """A story: its articles oldest first, and what a briefing shows of it."""

    id: str
    version: str  # changes whenever its members do: the key its summary is cached under
    headline: str
    articles: tuple[StoryItem, ...]

    @property
    def size(self) -> int:
        return len(self.articles)

    @property
    def first(self) -> str:
        return self.articles[0].date

    @property
    def latest(self) -> str:
        return self.articles[-1].date

    @property
    def sources(self) -> tuple[str, ...]:
        """The outlets, most articles first, then by name."""
        counts: dict[str, int] = {}
        for item in self.articles:
            if item.source:
                counts[item.source] = counts.get(item.source, 0) + 1
        return tuple(sorted(counts, key=lambda s: (-counts[s], s.lower())))

    def to_dict(self) -> dict:
        return {"id": self.id, "version": self.version, "headline": self.headline, "size": self.size,
                "first": self.first, "latest": self.latest, "sources": list(self.sources),
                "articles": [vars(item) for item in self.articles]}


def _day(iso: str) -> int:
    return date.fromisoformat(iso[:10]).toordinal()


def assign(items: Sequence[StoryItem], vectors: np.ndarray, signatures: Sequence[np.ndarray | None] | None = None,
           previous: Mapping[str, str] | None = None, *, threshold: float = STORY_THRESHOLD,
           window_days: int = STORY_WINDOW_DAYS, rewrite_jaccard: float = REWRITE_JACCARD) -> dict[str, str]:
    """Place articles in stories.

    Args:
        items: the articles; ``vectors[i]`` (unit length) and ``signatures[i]`` (MinHash, or
            None) belong to ``items[i]``.
        previous: an earlier result: those of its articles still in ``items`` keep their story.
        threshold: the cosine with a story's centroid at which an article joins it.
        window_days: how far from a story's nearest article in time an article may be.
        rewrite_jaccard: MinHash similarity with a member at which an article joins anyway.

    Returns:
        article id -> story id, for every dated article (a story's id is that of the article
        that started it, so it never changes).
    """
    previous = previous or {}
    dated = [i for i, item in enumerate(items) if _valid(item.date)]
    days = {i: _day(items[i].date) for i in dated}
    result: dict[str, str] = {}
    members: dict[str, list[int]] = {}
    for i in dated:
        story = previous.get(items[i].id)
        if story is not None:
            result[items[i].id] = story
            members.setdefault(story, []).append(i)
    order = list(members)
    dim = vectors.shape[1] if len(vectors) else 0
    sums = np.zeros((max(16, len(order) + len(dated)), dim), dtype=np.float64)
    first = np.zeros(len(sums), dtype=np.int64)
    last = np.zeros(len(sums), dtype=np.int64)
    for s, story in enumerate(order):
        rows = members[story]
        sums[s] = vectors[rows].sum(axis=0)
        first[s] = min(days[i] for i in rows)
        last[s] = max(days[i] for i in rows)
    new = sorted((i for i in dated if items[i].id not in result), key=lambda i: (items[i].date, items[i].id))
    for i in new:
        n = len(order)
        day = days[i]
        near = np.flatnonzero((first[:n] - window_days <= day) & (last[:n] + window_days >= day))
        choice = -1
        if len(near):
            centroids = sums[near]
            cosines = centroids @ vectors[i] / np.maximum(np.linalg.norm(centroids, axis=1), 1e-9)
            best = int(np.argmax(cosines))  # argmax takes the first of equals: the oldest story
            if cosines[best] >= threshold:
                choice = int(near[best])
            elif signatures is not None and signatures[i] is not None:
                choice = _rewrite_of(i, near, order, members, signatures, rewrite_jaccard)
        if choice < 0:
            story = items[i].id
            order.append(story)
            members[story] = []
            choice = n
            first[choice] = last[choice] = day
        story = order[choice]
        members[story].append(i)
        sums[choice] += vectors[i]
        first[choice] = min(first[choice], day)
        last[choice] = max(last[choice], day)
        result[items[i].id] = story
    return result


def _rewrite_of(i: int, near: np.ndarray, order: list[str], members: dict[str, list[int]],
                signatures: Sequence[np.ndarray | None], bar: float) -> int:
    sig = signatures[i]
    for s in near:
        for j in members[order[int(s)]]:
            other = signatures[j]
            if other is not None and float(np.mean(sig == other)) >= bar:
                return int(s)
    return -1


def _valid(iso: str) -> bool:
    try:
        _day(iso)
    except (ValueError, TypeError):
        return False
    return True


def unplaced(settings: Settings | None = None, index: NewsIndex | None = None) -> int:
    """How many dated articles of the index no saved story holds yet (what the next
    ``update_stories`` embeds and places); cheap: no vectors, no texts are read."""
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    assignment = _read_assignment(stories_dir(settings) / "stories.json")
    return sum(1 for row in index.article_dates() if row.id not in assignment and _valid(row.publish_date or ""))


def load_stories(settings: Settings | None = None, index: NewsIndex | None = None) -> list[Story]:
    """The stories as last saved by ``update_stories`` (an article placed since is left out;
    ``update_stories`` places it). Reads no vectors when nothing is new."""
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    folder = stories_dir(settings)
    assignment = _read_assignment(folder / "stories.json")
    items = index_items(index)
    if any(item.id not in assignment and _valid(item.date) for item in items):
        return update_stories(settings, index)
    vectors = _read_vectors(folder / "vectors.npz", index.manifest.embedder)
    if any(item.id not in vectors for item in items if item.id in assignment):
        return update_stories(settings, index)
    matrix = (np.stack([vectors.get(item.id, np.zeros(index.manifest.dim, np.float32)) for item in items])
              if items else np.zeros((0, index.manifest.dim), np.float32))
    return build_stories(items, matrix, assignment)


def build_stories(items: Sequence[StoryItem], vectors: np.ndarray, assignment: Mapping[str, str]) -> list[Story]:
    """The stories of an assignment, biggest first, then latest first, then by id.

    A story's headline is the title of the member nearest its centroid (the most typical
    report, rather than the first, which is often a brief)."""
    rows: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        story = assignment.get(item.id)
        if story is not None:
            rows.setdefault(story, []).append(i)
    stories = []
    for story, members in rows.items():
        members.sort(key=lambda i: (items[i].date, items[i].id))
        centroid = vectors[members].mean(axis=0)
        scores = vectors[members] @ centroid
        titled = [k for k, i in enumerate(members) if items[i].title] or list(range(len(members)))
        head = max(titled, key=lambda k: (round(float(scores[k]), 6), items[members[k]].date))
        ids = "\n".join(sorted(items[i].id for i in members))
        version = hashlib.sha256(ids.encode()).hexdigest()[:12]
        stories.append(Story(story, version, items[members[head]].title,
                             tuple(items[i] for i in members)))
    stories.sort(key=lambda s: (-s.size, _neg(s.latest), s.id))
    return stories


def _neg(iso: str) -> int:
    return -_day(iso)


# --- kept on disk, beside the index -----------------------------------------------------

def stories_dir(settings: Settings) -> Path:
    return Path(settings.data_dir) / "stories"


def update_stories(settings: Settings | None = None, index: NewsIndex | None = None, *,
                   threshold: float = STORY_THRESHOLD, window_days: int = STORY_WINDOW_DAYS) -> list[Story]:
    """Place the live index's new articles in stories and save the result.

    Only articles not placed before are embedded (their title and lead) and assigned; the
    rest keep their stories. Cheap to call after every build or poll.

    Args:
        settings: where the index and ``data_dir/stories/`` are.
        index: a loaded index (default: the live one).
        threshold, window_days: as for ``assign``.

    Returns:
        Every story, biggest first (``build_stories``).

    Raises:
        The errors of ``embeddings.load_index`` (no usable index).
    """
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    with _LOCK:
        folder = stories_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        items = index_items(index)
        ids = [item.id for item in items]
        cached = _read_vectors(folder / "vectors.npz", index.manifest.embedder)
        missing = [i for i, aid in enumerate(ids) if aid not in cached]
        if missing:
            leads = _leads(index, [ids[i] for i in missing], len(ids))
            texts = [_lead_text(items[i].title, leads.get(ids[i], "")) for i in missing]
            for i, vector in zip(missing, index.embedder.embed(texts)):
                cached[ids[i]] = np.asarray(vector, dtype=np.float32)
        dim = index.manifest.dim
        vectors = np.stack([cached[aid] for aid in ids]) if ids else np.zeros((0, dim), dtype=np.float32)
        previous = _read_assignment(folder / "stories.json")
        wanted = set(ids)
        # Every signature is needed when any article is new: it may be a rewrite of an old one.
        signatures = dict(index.store.minhashes()) if any(aid not in previous for aid in ids) else None
        sigs = [signatures.get(aid) for aid in ids] if signatures is not None else None
        assignment = assign(items, vectors, sigs, previous, threshold=threshold, window_days=window_days)
        if missing:
            _write_vectors(folder / "vectors.npz", index.manifest.embedder, {a: cached[a] for a in ids if a in wanted})
        _write_assignment(folder / "stories.json", assignment)
        return build_stories(items, vectors, assignment)


def index_items(index: NewsIndex) -> list[StoryItem]:
    """Every article of the index as a ``StoryItem``, by id."""
    titles = {lead.id: lead.title for lead in index.newest_leads(10**9, 0)}
    return sorted((StoryItem(row.id, row.publish_date or "", titles.get(row.id, ""), outlet(row.byline, row.url),
                             row.url) for row in index.article_dates()), key=lambda item: item.id)


def outlet(byline: str, url: str) -> str:
    """Who published an article: its byline, else its web address's site (``usatoday.com``)."""
    if byline.strip():
        return byline.strip()
    host = (urlsplit(url).hostname or "") if url.startswith(("http://", "https://")) else ""
    return host.removeprefix("www.")


def _leads(index: NewsIndex, wanted: list[str], total: int) -> dict[str, str]:
    """The first ``LEAD_CHARS`` of each wanted article's text."""
    if len(wanted) > 200:  # a first grouping: one query for every lead
        return {lead.id: lead.lead for lead in index.newest_leads(total + 1, LEAD_CHARS)}
    leads = {}
    for aid in wanted:  # after a poll: a few articles, each read by its key
        article = index.article(aid)
        leads[aid] = article.text[:LEAD_CHARS] if article else ""
    return leads


def _lead_text(title: str, lead: str) -> str:
    return f"{title}. {lead}" if title else lead


def _read_vectors(path: Path, embedder: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["embedder"]) != embedder:
                return {}  # another embedder's vectors: all are made again
            return dict(zip(data["ids"].tolist(), data["vectors"]))
    except (OSError, KeyError, ValueError):
        return {}


def _write_vectors(path: Path, embedder: str, vectors: dict[str, np.ndarray]) -> None:
    ids = sorted(vectors)
    matrix = np.stack([vectors[a] for a in ids]) if ids else np.zeros((0, 0), dtype=np.float32)
    with atomic_write(path, "wb") as fh:
        np.savez(fh, ids=np.array(ids, dtype=str), vectors=matrix, embedder=np.array(embedder))


def _read_assignment(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return {}
    stories = data.get("stories")
    if not isinstance(stories, dict):
        return {}
    return {str(a): str(s) for a, s in stories.items()}


def _write_assignment(path: Path, assignment: Mapping[str, str]) -> None:
    with atomic_write(path, "w") as fh:
        json.dump({"format": FORMAT_VERSION, "threshold": STORY_THRESHOLD, "window_days": STORY_WINDOW_DAYS,
                   "stories": dict(sorted(assignment.items()))}, fh, indent=0)
