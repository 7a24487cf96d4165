"""`answer()` and `stream_answer()`: retrieve, prompt, generate, check citations."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Iterator, Sequence

from embeddings import NewsIndex, SearchFilters, Settings

from .cite import CheckedAnswer, check_citations, is_abstention
from .collection import INDEXES, example_questions
from .foreground import FOREGROUND
from .generators import Generator, get_generator
from .prompt import SYSTEM_PROMPT, build_messages, select_from_index
from .question import validate_question
from .recency import asks_about_now, older_than_window
from .retrieve import Hit, default_as_of, prompt_hits, relevance, retrieve_deeper
from .timing import StageClock
from .rewrite import rewrite_question
from .types import Answer, Passage, RelatedArticle, Retrieved, Timings, first_per_article

ABSTENTION = "The articles don't say: none of the indexed passages answers this question."

Event = Retrieved | str | Answer


def answer(question: str, *, history: Sequence[tuple[str, str]] | None = None, k: int | None = None,
           filters: SearchFilters | None = None, settings: Settings | None = None,
           generator: Generator | None = None, index: NewsIndex | None = None,
           as_of: date | None = None) -> Answer:
    """Answer a question from the indexed articles, citing the passages it rests on.

    Args:
        question: the question, in English.
        history: earlier (question, answer text) pairs of this conversation, oldest first;
            a follow-up that refers back to them is rewritten into a standalone question.
        k: passages to show the model (default ``settings.passages``).
        filters: publish-date range and sources to search within.
        settings: defaults from the environment (``Settings.from_env()``).
        generator: a ready generator (default: ``settings.model``, loaded once per process).
        index: a loaded index (default: the live index in ``settings.index_dir``).
        as_of: the date the question is asked on; articles published near it rank higher
            (default: today, or the newest article's date if the collection is older).

    Returns:
        The ``Answer``; ``abstained`` is true when the articles do not hold the answer.

    Raises:
        InvalidInputError: empty, over-long or non-English question; bad filters.
        IndexNotFoundError / IndexMismatchError: no usable index; the message says how to build one.
        ModelUnavailableError: a model package is missing or corrupt; the message names the fix.
    """
    final = None
    for event in stream_answer(question, history=history, k=k, filters=filters, settings=settings,
                               generator=generator, index=index, as_of=as_of):
        if isinstance(event, Answer):
            final = event
    return final


def stream_answer(question: str, *, history: Sequence[tuple[str, str]] | None = None, k: int | None = None,
                  filters: SearchFilters | None = None, settings: Settings | None = None,
                  generator: Generator | None = None, index: NewsIndex | None = None,
                  as_of: date | None = None, cancel: threading.Event | None = None) -> Iterator[Event]:
    """Like ``answer()``, as a stream: first a ``Retrieved`` event with the passages, then the
    answer's text pieces as they are generated, last the checked ``Answer`` (whose text may
    differ from the streamed pieces: markers are verified and renumbered).

    Setting ``cancel`` (the page's Stop, from any thread) ends the stream early, with no
    ``Answer``: the model stops at its next token and the next question gets it.

    While it runs, background model work (the briefing's summaries) stops and waits
    (``qa.foreground``): a question never queues behind it.
    """
    with FOREGROUND.question():
        yield from _stream_answer(question, history=history, k=k, filters=filters, settings=settings,
                                  generator=generator, index=index, as_of=as_of, cancel=cancel)


def _stream_answer(question: str, *, history, k, filters, settings, generator, index, as_of,
                   cancel) -> Iterator[Event]:
    started = time.perf_counter()
    clock = StageClock()
    cancel = cancel or threading.Event()  # never set when the caller gave none
    settings = settings or Settings.from_env()
    question = validate_question(question, settings.max_question_chars)
    k = k or settings.passages
    index = index or INDEXES.get(settings)
    # Loaded only when needed: an early abstention never waits for the model.
    model = (lambda: generator) if generator else (lambda: get_generator(settings.model, settings))
    standalone = question
    if history:
        with clock.stage("rewrite"):
            standalone = rewrite_question(question, history, model(), cancel)
        if cancel.is_set():
            return

    retrieval_started = time.perf_counter()
    as_of = as_of or default_as_of(index)
    hits, ranked = retrieve_deeper(index, standalone, k, settings.recent_prompt_depth, settings.candidates, filters,
                                   as_of, clock=clock, recent_days=settings.recent_days,
                                   recent_candidates=settings.recent_candidates)
    retrieval_s = time.perf_counter() - retrieval_started

    def timings(first_token_s: float = 0.0) -> Timings:
        return Timings(retrieval_s, first_token_s, time.perf_counter() - started, clock.stages())

    if relevance(hits) < settings.min_relevance:
        yield Retrieved((), standalone)
        yield _abstain(question, standalone, hits, settings.model if generator is None else generator.model_id,
                       timings(), window=(as_of, settings.recent_days))
        return
    if cancel.is_set():
        return  # stopped during retrieval: the model is never asked
    generator = model()

    with clock.stage("prompt"):
        shown = select_from_index(index, standalone, prompt_hits(hits, ranked, standalone, as_of, settings),
                                  settings.prompt_token_budget, generator.count_tokens)
        passages = tuple(_passage(n, item.hit, item.text) for n, item in enumerate(shown, 1))
        messages = build_messages(standalone, shown)
    yield Retrieved(passages, standalone)

    pieces: list[str] = []
    first_token_s = 0.0
    # Prefill is the wait for the first piece (the prompt's evaluation, then one token);
    # decoding is the rest. Time spent by the caller between pieces is counted in neither.
    waited = 0.0
    wait_started = time.perf_counter()
    for piece in generator.stream(messages, settings.max_answer_tokens, cancel=cancel):
        waited += time.perf_counter() - wait_started
        if not pieces:
            first_token_s = time.perf_counter() - started
            clock.add("prefill", waited)
            waited = 0.0
        pieces.append(piece)
        yield piece
        wait_started = time.perf_counter()
    waited += time.perf_counter() - wait_started
    clock.add("decode" if pieces else "prefill", waited)
    if cancel.is_set():
        return  # stopped: half an answer is never checked or shown as one
    with clock.stage("cite"):
        checked, lead = settle("".join(pieces), passages, standalone, as_of, settings)
    if checked is None:
        text = f"The articles don't say: {_no_recent(as_of, settings.recent_days)}" if lead else ABSTENTION
        yield _abstain(question, standalone, hits, generator.model_id, timings(first_token_s), passages, text,
                       window=(as_of, settings.recent_days))
        return
    yield Answer(question=question, text=f"{lead} {checked.text}".strip(), dated=lead,
                 as_of=as_of.isoformat(), recent_days=settings.recent_days,
                 citations=checked.citations, passages=passages,
                 abstained=False, model=generator.model_id, timings=timings(first_token_s),
                 standalone_question=standalone, unsupported=checked.unsupported)


def settle(text: str, passages: Sequence[Passage], standalone: str, as_of: date,
           settings: Settings) -> tuple[CheckedAnswer | None, str]:
    """The model's answer with checked citations, and the lead saying its news is old ("" if
    it is not); no answer (None) for an abstention: the model said so, no sentence of the
    answer has a supporting passage (it did not answer from the articles), or, with
    ``stale_answers="abstain"``, a question about now is answered only from old articles
    (then the lead says why). ``benchmarks/replay_answers.py`` reruns this on stored answers."""
    text = text.strip()
    checked = check_citations(text, passages, standalone)
    if is_abstention(text) or not checked.citations:
        return None, ""
    lead = stale_lead(checked.citations, as_of, settings.recent_days) if asks_about_now(standalone, as_of) else ""
    if lead and settings.stale_answers == "abstain":
        return None, lead
    return checked, lead


def stale_lead(citations, as_of: date, days: int) -> str:
    """'No article from the last 30 days (since 2026-01-02) covers this. The latest coverage,
    from 2025-11-10, says:' when every cited article is older than ``days`` before
    ``as_of``; "" when one of them is recent or undated. On the 2025 tuning questions such
    answers were right 11% of the time, fresh ones 69%."""
    if not citations or not all(older_than_window(c.date, as_of, days) for c in citations):
        return ""
    no_recent = _no_recent(as_of, days)
    latest = max(c.date[:10] for c in citations)
    return f"{no_recent[0].upper()}{no_recent[1:]} The latest coverage, from {latest}, says:"


def _no_recent(as_of: date, days: int) -> str:
    return f"no article from the last {days} days (since {(as_of - timedelta(days=days)).isoformat()}) covers this."


def warm_up(settings: Settings | None = None) -> None:
    """Load the index, embedder and model and evaluate the system prompt, so the first
    question pays none of it (the web app calls this at start).

    The model loads in a second thread while this one loads the index and the embedder:
    llama.cpp's load runs outside the GIL, the embedder's torch import mostly inside it, so
    the two overlap instead of adding up (benchmarks/cold_start.py).
    """
    settings = settings or Settings.from_env()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-model") as pool:
        loading = pool.submit(_warm_generator, settings)
        try:
            index = INDEXES.get(settings)
            index.embedder.embed(["warm up"])
        finally:
            generator = loading.result()  # its errors too, after the index's
    example_questions(settings, generator=generator)  # written once, then read from disk


def _warm_generator(settings: Settings) -> Generator:
    generator = get_generator(settings.model, settings)
    generator.warm_up(SYSTEM_PROMPT, state_dir=settings.model_cache_dir)
    return generator


def _passage(n: int, hit: Hit, shown: str) -> Passage:
    c = hit.chunk
    return Passage(n=n, chunk_id=c.id, article_id=c.article_id, title=c.title, source=c.byline,
                   date=c.publish_date, url=c.url, path=c.path, text=c.text, start=c.start, end=c.end,
                   shown=shown, score=round(hit.score, 5))


def _abstain(question: str, standalone: str, hits: list[Hit], model_id: str, timings: Timings,
             passages: tuple[Passage, ...] = (), text: str = ABSTENTION, *,
             window: tuple[date, int]) -> Answer:
    related = [RelatedArticle(c.article_id, c.title, c.byline, c.publish_date, c.url)
               for c in first_per_article(hit.chunk for hit in hits)]
    return Answer(question=question, text=text, citations=(), passages=passages, abstained=True,
                  as_of=window[0].isoformat(), recent_days=window[1],
                  model=model_id, timings=timings, standalone_question=standalone,
                  related=tuple(related[:3]))
