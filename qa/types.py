"""The values `answer()` returns: frozen, JSON-serialisable."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Iterable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as shown to the model, numbered [n] in the prompt."""

    n: int
    chunk_id: int
    article_id: str
    title: str
    source: str  # who published it: the article's byline
    date: str  # ISO 8601 publish date or ""
    url: str
    path: str
    text: str  # the whole chunk
    start: int  # the chunk's character span in its cleaned article
    end: int
    shown: str  # what the prompt carried (the chunk's most relevant sentences)
    score: float  # fused retrieval score


@dataclass(frozen=True)
class Citation:
    """A passage the answer cites, with the sentence that supports the claim."""

    n: int
    article_id: str
    title: str
    source: str
    date: str
    url: str
    passage: str  # the cited passage's text
    quote: str  # the supporting sentence inside it
    start: int  # the quote's character span in the cleaned article
    end: int
    score: float  # how well the passage supports the answer sentence(s) citing it, 0..1


@dataclass(frozen=True)
class RelatedArticle:
    article_id: str
    title: str
    source: str
    date: str
    url: str


@dataclass(frozen=True)
class Timings:
    """Wall seconds: retrieval, the first token and the whole answer from the call, and
    ``stages``: seconds per stage in the order they ran (see ``qa.timing.STAGES``)."""

    retrieval_s: float = 0.0
    first_token_s: float = 0.0
    total_s: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A grounded answer. ``text`` carries [n] markers that match ``citations``."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    abstained: bool
    model: str
    timings: Timings = field(default_factory=Timings)
    standalone_question: str = ""  # the question after follow-up rewriting
    related: tuple[RelatedArticle, ...] = ()  # closest articles, offered when abstaining
    unsupported: tuple[str, ...] = ()  # answer sentences no passage supports
    dated: str = ""  # the note opening ``text`` when all it cites is old news ("" otherwise)
    # The news window the answer was judged in: the date asked about, and "recent" = the
    # ``recent_days`` before it (the chat shows both).
    as_of: str = ""
    recent_days: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


@dataclass(frozen=True)
class Retrieved:
    """Streamed before the first token: the passages the model is about to read."""

    passages: tuple[Passage, ...]
    standalone_question: str


def first_per_article(items: Iterable[T], skip: Iterable[str] = ()) -> list[T]:
    """Each article's first item (anything with an ``article_id``), in order, leaving out the
    articles in ``skip``."""
    seen, first = set(skip), []
    for item in items:
        if item.article_id not in seen:
            seen.add(item.article_id)
            first.append(item)
    return first
