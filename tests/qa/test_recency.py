from datetime import date

import pytest

from embeddings import SearchFilters, Settings, build_index, load_index
from qa.recency import asks_about_now, recent_filters
from qa.retrieve import candidate_pool
from tests.fakes import FakeEmbedder

AS_OF = date(2025, 3, 20)


@pytest.mark.parametrize("question, now", [
    ("Who won the election this week?", True),
    ("Which company announced layoffs?", True),
    ("What did the 2025 budget cut?", True),
    ("Who won the 2019 election?", False),
    ("What happened in the 1990s in Rwanda?", False),
    ("When was the company founded?", False),
    ("What is the history of the treaty?", False),
])
def test_a_question_asks_about_now_unless_it_names_the_past(question, now):
    assert asks_about_now(question, AS_OF) is now


def test_the_recent_window_narrows_the_users_filters():
    assert recent_filters(None, AS_OF, 30) == SearchFilters("2025-02-18", "2025-03-21")
    narrowed = recent_filters(SearchFilters("2025-03-01", "", ("Reuters",)), AS_OF, 30)
    assert narrowed == SearchFilters("2025-03-01", "2025-03-21", ("Reuters",))
    assert recent_filters(SearchFilters("", "2024-12-31"), AS_OF, 30) is None  # the user's range is older


def article(title: str, day: str, body: str) -> str:
    return f"{title}\n\nBy Reuters\n{day}\n\n{body}\n"


@pytest.fixture
def crowded(tmp_path):
    """Twelve old stories about a port strike, and one from this week about a new one."""
    yield from _crowded(tmp_path)


@pytest.fixture
def crowded_twice(tmp_path):
    """The same, with a second article from this week."""
    yield from _crowded(tmp_path, ("Harbour cafes close", "2025-03-19", "Cafes near the harbour closed early."))


def _crowded(tmp_path, *more: tuple[str, str, str]):
    settings = Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "data" / "index",
                        chunk_tokens=60, chunk_overlap_tokens=10)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(12):
        (corpus / f"old{i}.txt").write_text(article(
            f"Port strike day {i}", f"2024-0{1 + i % 9}-1{i % 9}",
            f"Dock workers strike at the port, union leader Mara Quist said on day {i} of the port strike."))
    (corpus / "new.txt").write_text(article("Harbour walkout begins", "2025-03-18",
                                            "Crane operators walked out, led by Ivo Brandt."))
    for i, (title, day, body) in enumerate(more):
        (corpus / f"more{i}.txt").write_text(article(title, day, body))
    build_index([corpus], settings, embedder=FakeEmbedder(), progress=False)
    index = load_index(settings, embedder=FakeEmbedder())
    yield index
    index.close()


def titles(pool):
    return {c.chunk.title for c in pool.candidates}


def test_a_question_about_now_also_searches_the_recent_window(crowded):
    question = "Who leads the port strike this week?"
    whole = candidate_pool(crowded, question, 3, as_of=AS_OF)
    assert "Harbour walkout begins" not in titles(whole)  # crowded out of the top 3 by older stories
    recent = candidate_pool(crowded, question, 3, as_of=AS_OF, recent_days=30, recent_depth=3)
    assert "Harbour walkout begins" in titles(recent)
    assert titles(whole) <= titles(recent)  # the whole collection's candidates stay
    past = "Who led the 2024 port strike?"
    widened = candidate_pool(crowded, past, 3, as_of=AS_OF, recent_days=30, recent_depth=3)
    assert titles(widened) == titles(candidate_pool(crowded, past, 3, as_of=AS_OF))  # the past is not widened


def test_recent_first_puts_this_weeks_stories_ahead_but_keeps_the_best_passage(crowded_twice):
    from qa.ranker import load_ranker
    from qa.retrieve import rank

    question = "Who leads the port strike this week?"
    pool = candidate_pool(crowded_twice, question, 3, as_of=AS_OF, recent_days=30, recent_depth=3)
    plain = rank(pool, 2, load_ranker(), None)
    first = rank(pool, 2, load_ranker(), recent_share=0.0)
    assert plain[0].chunk.title.startswith("Port strike")
    assert first[0].chunk.title in {"Harbour walkout begins", "Harbour cafes close"}
    assert first[1] == plain[0]  # two recent passages could fill k=2: the most probable one stays


def test_the_model_is_shown_this_weeks_story_without_the_older_ones(crowded):
    from qa import answer
    from tests.fakes import CannedGenerator

    question = "Who led the crane operators' walkout at the port this week?"
    settings = Settings(min_relevance=0.0, passages=3)
    model = CannedGenerator(["Ivo Brandt led it [1]."])
    result = answer(question, settings=settings, index=crowded, as_of=AS_OF, generator=model)
    assert [p.title for p in result.passages] == ["Harbour walkout begins"]
    assert "Mara Quist" not in model.calls[0][-1]["content"]
    older = CannedGenerator(["Ivo Brandt led it [1]."])
    answer(question, settings=settings.replace(recent_prompt_depth=0), index=crowded, as_of=AS_OF, generator=older)
    assert "Mara Quist" in older.calls[0][-1]["content"]  # without it, older strikes fill the prompt


def test_looking_deeper_for_the_prompt_leaves_the_k_passages_retrieve_gives(crowded_twice):
    from qa.retrieve import retrieve, retrieve_deeper

    question = "Who leads the port strike this week?"
    args = dict(as_of=AS_OF, recent_days=30, recent_candidates=3)
    hits, ranked = retrieve_deeper(crowded_twice, question, 2, 8, 20, **args)
    assert hits == retrieve(crowded_twice, question, 2, 20, **args)
    assert ranked[:len(hits)] == hits  # here the two agree; test_recent_first shows where they need not
