"""qa.briefing: the stories of a period with cited summaries; `python -m qa briefing`; who
goes first at the model (qa.foreground)."""

from __future__ import annotations

import importlib
import json
import re
import threading
from datetime import date

import pytest

from embeddings import InvalidInputError, Settings, build_index, load_index
from qa.briefing import (PENDING, READY, UNSUPPORTED, SummaryCache, briefing, briefing_markdown, default_since,
                         normalise_summary,
                         story_passages, summarise, summarise_pending, summary_messages)
from qa.cli import main
from qa.foreground import Foreground
from qa.prompt import SYSTEM_PROMPT
from qa.stories import update_stories
from tests.fakes import CannedGenerator, FakeEmbedder
from tests.story_news import story_of, write_corpus

briefing_module = importlib.import_module("qa.briefing")
stories_module = importlib.import_module("qa.stories")

FLOOD = "The Elbe flood in Dresden receded and residents of the old town returned [3]."


class FixedIndex:
    def __init__(self, index) -> None:
        self.index = index

    def get(self, settings):
        return self.index


@pytest.fixture
def desk(tmp_path, monkeypatch):
    """A fake-embedder index of tests.story_news, grouped into its stories."""
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(data_dir=tmp_path / "data", chunk_tokens=60, chunk_overlap_tokens=10)
    embedder = FakeEmbedder(dim=64)
    write_corpus(tmp_path / "corpus")
    build_index([tmp_path / "corpus"], settings, embedder=embedder, progress=False)
    index = load_index(settings, embedder=embedder)
    update_stories(settings, index, threshold=0.4)
    monkeypatch.setattr(briefing_module, "INDEXES", FixedIndex(index))
    monkeypatch.setattr(stories_module, "INDEXES", FixedIndex(index))
    yield settings, index
    index.close()


@pytest.mark.parametrize("newest, today, since", [
    ("2026-03-05", date(2026, 3, 5), "2026-03-04"),  # fresh news: the last 24 hours
    ("2026-03-04", date(2026, 3, 5), "2026-03-04"),
    ("2025-11-20", date(2026, 3, 5), "2025-11-20"),  # an older collection: its newest day
    ("", date(2026, 3, 5), "2026-03-04"),
])
def test_the_default_period(newest, today, since):
    assert default_since(newest, today) == since


def test_the_briefing_lists_the_stories_of_the_period_biggest_first_all_pending(desk):
    settings, index = desk
    b = briefing(settings=settings, index=index, today=date(2026, 3, 6))
    assert b.since == "2026-03-05" and b.newest == "2026-03-05"
    assert [story_of(s.story.headline) for s in b.stories] == ["strike", "other"]
    assert [s.new for s in b.stories] == [1, 1] and {s.status for s in b.stories} == {PENDING}
    everything = briefing("2026-03-01", settings=settings, index=index)
    assert [s.story.size for s in everything.stories] == [3, 2, 2, 1]
    assert story_of(everything.stories[0].story.headline) == "flood"
    assert everything.stories[0].story.sources == ("AP", "BBC", "Reuters")
    assert "2026-02-10" not in [s.story.first for s in everything.stories]  # the chess story is older


@pytest.mark.parametrize("since, message", [("yesterday", "YYYY-MM-DD"), ("2026-02-30", "not a real date"),
                                            ("<b>", "YYYY-MM-DD")])
def test_a_bad_since_says_what_is_wrong(desk, since, message):
    settings, index = desk
    with pytest.raises(InvalidInputError, match=message):
        briefing(since, settings=settings, index=index)


def test_a_summary_is_made_from_the_leads_checked_and_cached_per_story_version(desk):
    settings, index = desk
    flood = briefing("2026-03-01", settings=settings, index=index).stories[0]
    passages = story_passages(flood.story, index)
    assert [p.n for p in passages] == [1, 2, 3] and passages[2].title.startswith("Elbe flood in Dresden recedes")
    messages = summary_messages(passages)
    assert messages[0]["content"] == SYSTEM_PROMPT  # the answers' own, so llama.cpp's cache serves both
    generator = CannedGenerator([FLOOD + " Aliens landed in Dresden [1]."])
    summary = summarise(flood.story, settings=settings, generator=generator, index=index)
    assert summary.supported and summary.text == FLOOD.replace("[3]", "[1]")  # renumbered, unsupported dropped
    cited = summary.citations[0]
    assert cited.article_id == flood.story.articles[2].id
    assert index.article(cited.article_id).text[cited.start:cited.end] == cited.quote
    again = briefing("2026-03-01", settings=settings, index=index).stories[0]
    assert again.status == READY and again.summary.text == summary.text  # from the cache: no model
    assert len(generator.calls) == 1


def test_an_unverifiable_summary_is_kept_as_unsupported_and_not_shown(desk):
    settings, index = desk
    story = briefing("2026-03-01", settings=settings, index=index).stories[0].story
    summary = summarise(story, settings=settings, generator=CannedGenerator(["Aliens landed on Mars [1]."]),
                        index=index)
    assert not summary.supported and summary.text == ""
    assert briefing("2026-03-01", settings=settings, index=index).stories[0].status == UNSUPPORTED


def test_a_cancelled_summary_is_not_cached(desk):
    settings, index = desk
    story = briefing("2026-03-01", settings=settings, index=index).stories[0].story
    cancel = threading.Event()
    cancel.set()
    assert summarise(story, settings=settings, generator=CannedGenerator([FLOOD]), index=index,
                     cancel=cancel) is None
    assert SummaryCache(settings).get(story, settings.model) is None


def test_summarise_pending_runs_one_story_at_a_time_and_skips_cached_ones(desk):
    settings, index = desk
    b = briefing("2026-03-01", settings=settings, index=index)
    made = []
    generator = CannedGenerator([FLOOD])
    assert summarise_pending(b, settings=settings, generator_factory=lambda: generator, on_summary=made.append) == 4
    assert len(made) == len(generator.calls) == 4
    assert summarise_pending(briefing("2026-03-01", settings=settings, index=index), settings=settings,
                             generator_factory=lambda: generator) == 0


def test_markdown_has_the_stories_renumbered_citations_and_references(desk):
    settings, index = desk
    b = briefing("2026-03-01", settings=settings, index=index)
    summarise(b.stories[0].story, settings=settings, generator=CannedGenerator([FLOOD]), index=index)
    mission = next(s.story for s in b.stories if story_of(s.story.headline) == "mission")
    summarise(mission, settings=settings, index=index, generator=CannedGenerator(
        ["The Kestrel lunar lander drill found ice near the moon's south pole [2]."]))
    md = briefing_markdown(briefing("2026-03-01", settings=settings, index=index))
    assert md.startswith("# Briefing: stories since 2026-03-01")
    assert "returned [1]." in md and "south pole [2]." in md
    assert "## References" in md and "\n2. Kestrel lander drill finds ice at lunar south pole, AP" in md
    assert "Summary pending." in md  # the stories not summarised


def test_markdown_escapes_what_came_from_articles(desk):
    from qa.briefing import Briefing, BriefStory
    from qa.stories import Story, StoryItem

    story = Story("x", "v", "*Breaking* <script>alert(1)</script> # [1]",
                  (StoryItem("x", "2026-03-01", "<img src=x onerror=alert(1)>", "A|B", "javascript:alert(1)"),))
    md = briefing_markdown(Briefing("2026-03-01", "2026-03-01", (BriefStory(story, 1, None),)))
    assert not re.search(r"(?<!\\)<(script|img)", md) and "javascript:" not in md  # escaped: shown as text
    assert r"\*Breaking\*" in md and r"A\|B" in md


def test_cli_briefing_json_without_the_model(desk, capsys):
    settings, index = desk
    assert main(["briefing", "--since", "2026-03-04", "--json", "--no-summaries"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["since"] == "2026-03-04"
    assert [s["size"] for s in data["stories"]] == [3, 2, 2, 1]
    assert data["stories"][0]["status"] == "pending" and data["stories"][0]["articles"][0]["date"] == "2026-03-02"


def test_cli_briefing_summarises_what_is_pending(desk, capsys, monkeypatch):
    generator = CannedGenerator([FLOOD])
    monkeypatch.setattr(briefing_module, "get_generator", lambda name, settings: generator)
    assert main(["briefing", "--since", "2026-03-04", "--md", "--limit", "1"]) == 0
    captured = capsys.readouterr()
    assert "summarising 1 story" in captured.err and "returned [1]." in captured.out
    assert len(generator.calls) == 1


@pytest.mark.parametrize("argv, message", [
    (["--since", "3 March"], "YYYY-MM-DD"),
    (["--limit", "0"], "--limit 0 is out of range"),
])
def test_cli_briefing_refuses_bad_input_in_one_line(desk, capsys, argv, message):
    assert main(["briefing", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_question_stops_background_work_and_it_waits_until_the_question_ends():
    fg = Foreground()
    with fg.background() as cancel:
        assert not cancel.is_set() and fg.wait_idle(0)
        with fg.question():
            assert cancel.is_set() and fg.busy and not fg.wait_idle(0.01)
            with fg.background() as late:
                assert late.is_set()  # a run started during a question is stopped at once
    assert fg.wait_idle(0) and not fg.busy


def test_stream_answer_runs_in_the_foreground(monkeypatch):
    answer_module = importlib.import_module("qa._answer")
    seen = []

    def fake(question, **kwargs):
        seen.append(answer_module.FOREGROUND.busy)
        yield "x"

    monkeypatch.setattr(answer_module, "_stream_answer", fake)
    assert list(answer_module.stream_answer("q")) == ["x"]
    assert seen == [True] and not answer_module.FOREGROUND.busy


class GatedGenerator(CannedGenerator):
    """Records each call and lets the test see when one starts."""

    def __init__(self, replies) -> None:
        super().__init__(replies)
        self.started = threading.Event()

    def stream(self, messages, max_tokens, stop=(), cancel=None):
        self.started.set()
        yield from super().stream(messages, max_tokens, stop, cancel)


def test_background_summaries_wait_for_a_running_question_then_make_each_pending_story(desk):
    from qa.summaries import BackgroundSummaries

    settings, index = desk
    fg = Foreground()
    generator = GatedGenerator(["Rail workers strike halted trains across Portugal [1]."])
    worker = BackgroundSummaries(fg, generator_factory=lambda s: generator)
    with fg.question():
        worker.wake(settings)
        assert not generator.started.wait(0.5)  # a question is running: no model run starts
    assert generator.started.wait(10)
    deadline = threading.Event()
    for _ in range(200):
        b = briefing(settings=settings, index=index)
        if all(item.summary is not None for item in b.stories):
            break
        deadline.wait(0.05)
    assert [item.status for item in b.stories] == [READY, UNSUPPORTED]  # the strike, then the bakery
    assert len(generator.calls) == 2


def test_stopped_background_summaries_end_their_thread_and_a_wake_starts_it_again(desk):
    from qa.summaries import BackgroundSummaries

    settings, _ = desk
    generator = GatedGenerator(["Rail workers strike halted trains across Portugal [1]."])
    worker = BackgroundSummaries(Foreground(), generator_factory=lambda s: generator)
    assert worker.stop(timeout_s=1)  # never started: nothing to stop
    worker.wake(settings)
    assert generator.started.wait(10)
    thread = worker._thread
    assert worker.stop(timeout_s=30)
    assert not thread.is_alive() and worker._thread is None
    generator.started.clear()
    worker.wake(settings)  # the stories it had not reached yet
    assert worker._thread is not None and worker._thread.is_alive()
    assert worker.stop(timeout_s=30)


def test_a_summary_that_lists_the_passages_back_is_read_as_cited_sentences(desk):
    settings, index = desk
    flood = briefing("2026-03-01", settings=settings, index=index).stories[0]
    passages = story_passages(flood.story, index)
    listed = ("[1] The river Elbe burst its banks in Dresden on Monday, flooding the old town.\n"
              f"{passages[1].title}; {passages[1].source}; {passages[1].date}\n"
              "- [3] Residents of the old town returned to count the damage")
    assert normalise_summary(listed, passages) == (
        "The river Elbe burst its banks in Dresden on Monday, flooding the old town [1]. "
        "Residents of the old town returned to count the damage [3].")
    summary = summarise(flood.story, settings=settings, generator=CannedGenerator([listed]), index=index)
    assert summary.supported and summary.text.count("[") == 2
    assert passages[0].title not in summary_messages(passages)[1]["content"]  # leads only: no header to copy
