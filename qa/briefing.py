"""The briefing: the stories with new articles in a period, biggest first, each with a short
summary the model writes from its articles' leads, its ``[n]`` markers checked by the same
``cite.check_citations`` as answers.

Summaries are cached in ``data_dir/stories/summaries.json`` per story *version* (its
members) and model: a story that gains an article gets a new summary, one that does not is
never summarised twice. ``briefing()`` itself never runs the model: a story without a
cached summary is "pending" until ``summarise_pending`` (the app's background thread,
``qa.summaries``, or the CLI) has made it.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Sequence

from embeddings import NewsIndex, Settings, atomic_write, split_sentences

from .cite import CITATION_MARKER, check_citations
from .collection import INDEXES
from .dates import parse_date
from .generators import Generator, get_generator
from .prompt import _CONTROL_TOKENS, SYSTEM_PROMPT
from .stories import Story, load_stories, stories_dir
from .types import Citation, Passage
from .text import plural

# Asked as a question under the answers' own system prompt, so llama.cpp's cached system
# prompt serves both (a second system prompt would evict it before every answer).
SUMMARY_QUESTION = ("What happened in this news story? Tell it in one to three sentences of your own; end each "
                    "sentence with the number of the passage that supports it, like [2].")
# The prompt's length sets the summary's time: 6 leads of 500 characters (~750 tokens) took
# 82-227 s per story with the 0.5B model on 2 loaded cores (RESULTS.md, issue 23); 4 of 400
# is about half the prompt, still enough for one to three sentences.
MAX_PASSAGES = 4  # the newest articles of a story whose leads the model reads
PASSAGE_CHARS = 400  # of each lead, cut at a sentence end
SUMMARY_TOKENS = 110
READY, PENDING, UNSUPPORTED = "ready", "pending", "unsupported"
_CACHE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Summary:
    """A story's summary as the model wrote it, its markers checked (``text`` is "" when no
    sentence could be verified against the articles)."""

    story_id: str
    version: str
    model: str
    text: str
    citations: tuple[Citation, ...]

    @property
    def supported(self) -> bool:
        return bool(self.text and self.citations)


@dataclass(frozen=True)
class BriefStory:
    story: Story
    new: int  # its articles published in the briefing's period
    summary: Summary | None

    @property
    def status(self) -> str:
        if self.summary is None:
            return PENDING
        return READY if self.summary.supported else UNSUPPORTED

    def to_dict(self) -> dict:
        summary = None if self.summary is None else {"text": self.summary.text, "model": self.summary.model,
                                                     "citations": [asdict(c) for c in self.summary.citations]}
        return {**self.story.to_dict(), "new": self.new, "status": self.status, "summary": summary}


@dataclass(frozen=True)
class Briefing:
    since: str  # ISO date: stories with an article published on or after it
    newest: str  # the newest article's date in the collection
    stories: tuple[BriefStory, ...]

    def to_dict(self) -> dict:
        return {"since": self.since, "newest": self.newest, "stories": [s.to_dict() for s in self.stories]}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def default_since(newest: str, today: date | None = None) -> str:
    """The start of the default period: the last 24 hours (yesterday and today, as articles
    carry days), or the newest day of a collection whose news is older than that."""
    today = today or date.today()
    yesterday = today - timedelta(days=1)
    if not newest:
        return yesterday.isoformat()
    return min(yesterday, date.fromisoformat(newest[:10])).isoformat()


def briefing(since: str | None = None, *, settings: Settings | None = None, index: NewsIndex | None = None,
             limit: int | None = None, today: date | None = None) -> Briefing:
    """The stories with articles published on or after ``since``, biggest first.

    Args:
        since: an ISO date (default ``default_since``).
        limit: at most this many stories.
        today: the day the briefing is for (default: today).

    Returns:
        The ``Briefing``; each story's summary is the cached one for its current version, or
        None (pending). No model runs.

    Raises:
        InvalidInputError: ``since`` is not an ISO date.
        The errors of ``embeddings.load_index``.
    """
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    newest = index.newest_date
    since = parse_date(since, "since") or default_since(newest, today)
    cache = SummaryCache(settings)
    model = model_key(settings)
    chosen = []
    for story in load_stories(settings, index):
        new = sum(1 for item in story.articles if item.date >= since)
        if new:
            chosen.append(BriefStory(story, new, cache.get(story, model)))
    # Biggest first; among equals, the one with more new reports, then the latest.
    chosen.sort(key=lambda b: (-b.story.size, -b.new, _minus_day(b.story.latest), b.story.id))
    return Briefing(since, newest, tuple(chosen[:limit] if limit else chosen))


def model_key(settings: Settings) -> str:
    """The model a summary is cached for: the one asked for (a server's by its URL and name)."""
    return f"{settings.llm_url} {settings.llm_model}".strip() if settings.llm_url else settings.model


def _minus_day(iso: str) -> int:
    return -date.fromisoformat(iso).toordinal()


# --- summaries -----------------------------------------------------------------------------

def story_passages(story: Story, index: NewsIndex) -> list[Passage]:
    """The leads of the story's newest articles (``MAX_PASSAGES``), oldest first, numbered."""
    chosen = list(story.articles[-MAX_PASSAGES:])
    passages = []
    for item in chosen:
        chunks = index.store.chunks_of_article(item.id)
        if not chunks:
            continue
        chunk = chunks[0]
        text = _cut(chunk.text, PASSAGE_CHARS)
        passages.append(Passage(n=len(passages) + 1, chunk_id=chunk.id, article_id=item.id, title=chunk.title,
                                source=chunk.byline, date=chunk.publish_date, url=chunk.url, path=chunk.path,
                                text=text, start=chunk.start, end=chunk.start + len(text), shown=text, score=0.0))
    return passages


def _cut(text: str, limit: int) -> str:
    """``text`` up to the last sentence end before ``limit`` (at least one sentence)."""
    if len(text) <= limit:
        return text
    ends = [end for _, end in split_sentences(text) if end <= limit]
    return text[:ends[-1]] if ends else text[:limit]


def summary_messages(passages: Sequence[Passage]) -> list[dict[str, str]]:
    """The answers' system prompt, then the leads (text only: the 0.5B model copied title
    lines back as its summary, which no lead supports) and the summary question."""
    blocks = [_CONTROL_TOKENS.sub(" ", f"[{p.n}] {' '.join(p.text.split())}") for p in passages]
    user = "Passages:\n" + "\n".join(blocks) + f"\n\nQuestion: {SUMMARY_QUESTION}\nAnswer:"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def summarise(story: Story, *, settings: Settings | None = None, generator: Generator | None = None,
              index: NewsIndex | None = None, cancel: threading.Event | None = None) -> Summary | None:
    """Have the model summarise one story and check its citations; cache the result.

    Returns:
        The ``Summary`` (possibly unsupported: ``text`` "" when no sentence was verified), or
        None when ``cancel`` was set before it finished (nothing is cached then).

    Raises:
        ModelUnavailableError: the model cannot be loaded; the message names the fix.
    """
    settings = settings or Settings.from_env()
    index = index or INDEXES.get(settings)
    generator = generator or get_generator(settings.model, settings)
    cancel = cancel or threading.Event()
    passages = story_passages(story, index)
    if not passages:
        return None
    pieces = []
    for piece in generator.stream(summary_messages(passages), SUMMARY_TOKENS, cancel=cancel):
        pieces.append(piece)
    if cancel.is_set():
        return None
    checked = check_citations(_first_sentences(normalise_summary("".join(pieces), passages), 3), passages)
    # Unverified sentences are dropped rather than shown: a briefing states only what the
    # articles support.
    kept = " ".join(s for s in _sentences(checked.text) if CITATION_MARKER.search(s))
    summary = Summary(story.id, story.version, model_key(settings), kept if checked.citations else "",
                      _used(checked.citations, kept))
    SummaryCache(settings).put(summary)
    return summary




def normalise_summary(text: str, passages: Sequence[Passage]) -> str:
    """Small models often list the passages back (``[1] sentence`` per line, or a passage's
    header line): a leading marker is moved to its sentence's end and echoed headers are
    dropped, so the citation check sees ordinary cited sentences."""
    headers = {f"{p.title}; {p.source}; {p.date}".strip("; ").lower() for p in passages}
    lines = []
    for line in text.strip().splitlines():
        line = line.strip()
        listed = line.lstrip("-*• ")
        m = CITATION_MARKER.match(listed)
        body = listed[m.end():].lstrip(":.)- ").strip() if m else ""
        if body:
            end = body[-1] if body[-1] in ".!?" else "."
            line = f"{body.rstrip('.!? ')} {m.group(0)}{end}"
        bare = CITATION_MARKER.sub("", line).strip(" .").lower()
        if bare and not any(bare == h or bare.startswith(h) for h in headers):
            lines.append(line if line[-1] in ".!?" else line + ".")
    return " ".join(lines)


def _sentences(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in split_sentences(text)] or ([text] if text.strip() else [])


def _first_sentences(text: str, n: int) -> str:
    return " ".join(_sentences(text)[:n])


def _used(citations: Sequence[Citation], text: str) -> tuple[Citation, ...]:
    numbers = {int(n) for m in CITATION_MARKER.finditer(text) for n in re.findall(r"\d+", m.group(1))}
    return tuple(c for c in citations if c.n in numbers)


def summarise_pending(briefing_: Briefing, *, settings: Settings | None = None,
                      generator_factory: Callable[[], Generator] | None = None,
                      cancel: threading.Event | None = None,
                      on_summary: Callable[[Summary], None] | None = None) -> int:
    """Summarise the briefing's pending stories in order, one model run at a time.

    Returns:
        How many were summarised before ``cancel`` (if any) was set.
    """
    settings = settings or Settings.from_env()
    done = 0
    for item in briefing_.stories:
        if cancel is not None and cancel.is_set():
            break
        if item.summary is not None:
            continue
        generator = generator_factory() if generator_factory else None
        summary = summarise(item.story, settings=settings, generator=generator, cancel=cancel)
        if summary is not None:
            done += 1
            if on_summary:
                on_summary(summary)
    return done


class SummaryCache:
    """``data_dir/stories/summaries.json``: story id -> its latest summary (version, model)."""

    def __init__(self, settings: Settings) -> None:
        self.path = stories_dir(settings) / "summaries.json"

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("format") == 1 else {}

    def get(self, story: Story, model: str) -> Summary | None:
        entry = self._read().get("summaries", {}).get(story.id)
        if not isinstance(entry, dict) or entry.get("version") != story.version or entry.get("model") != model:
            return None
        try:
            citations = tuple(Citation(**c) for c in entry.get("citations", []))
            return Summary(story.id, story.version, model, str(entry.get("text", "")), citations)
        except TypeError:  # written by another version: made again
            return None

    def put(self, summary: Summary) -> None:
        with _CACHE_LOCK:
            data = self._read() or {"format": 1, "summaries": {}}
            data["summaries"][summary.story_id] = {
                "version": summary.version, "model": summary.model, "text": summary.text,
                "citations": [asdict(c) for c in summary.citations],
                "made_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path, "w") as fh:
                json.dump(data, fh, ensure_ascii=False)


# --- Markdown -------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~#])")


def _md(text: str) -> str:
    return _MD_INLINE.sub(r"\\\1", " ".join(str(text or "").split()))


def briefing_markdown(b: Briefing) -> str:
    """The briefing as Markdown: each story's headline, outlets, dates and summary, its
    markers renumbered across the briefing, and the numbered references at the end."""
    lines = [f"# Briefing: stories since {b.since}", ""]
    references: list[Citation] = []
    for item in b.stories:
        story = item.story
        lines += [f"## {_md(story.headline) or 'Untitled story'}", "",
                  f"*{story.size} {plural(story.size, 'article')} ({item.new} new) from "
                  f"{_md(', '.join(story.sources)) or 'unknown outlets'}; first {story.first}, latest "
                  f"{story.latest}*", ""]
        if item.summary is None:
            lines += ["Summary pending.", ""]
        elif not item.summary.supported:
            lines += ["No summary: none of the model's sentences could be verified against the articles.", ""]
        else:
            offset = len(references)
            references += item.summary.citations
            lines += [_renumbered(item.summary.text, offset), ""]
        lines += [f"- {item_.date} {_md(item_.title) or 'Untitled'} ({_md(item_.source)})"
                  + (f" <{item_.url}>" if item_.url.startswith(("http://", "https://")) else "")
                  for item_ in story.articles] + [""]
    if references:
        lines += ["## References", ""]
        for n, c in enumerate(references, 1):
            where = f" <{c.url}>" if c.url.startswith(("http://", "https://")) else ""
            lines.append(f"{n}. {_md(c.title)}, {_md(c.source)}, {c.date}{where}: “{_md(c.quote)}”")
    return "\n".join(lines).rstrip() + "\n"


def _renumbered(text: str, offset: int) -> str:
    out, pos = [], 0
    for m in CITATION_MARKER.finditer(text):
        out.append(_MD_INLINE.sub(r"\\\1", text[pos:m.start()]))
        out.append("".join(f"[{int(n) + offset}]" for n in re.findall(r"\d+", m.group(1))))
        pos = m.end()
    out.append(_MD_INLINE.sub(r"\\\1", text[pos:]))
    return " ".join("".join(out).split())
