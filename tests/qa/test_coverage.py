"""qa.coverage: articles per period and source; qa.answer_timeline: an answer's articles by date."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

import qa
from embeddings import ArticleDate
from qa._coverage import (MAX_BARS, NO_SOURCE, OTHER_SOURCES, choose_bucket, period_start, source_of,
                         summarize_coverage)
from tests.webui import factories as f


_ids = itertools.count()


def row(day: str, byline: str = "Reuters", url: str = "") -> ArticleDate:
    return ArticleDate(f"a{next(_ids)}", day, byline, url)


def days(start: str, n: int, **kw) -> list[ArticleDate]:
    first = date.fromisoformat(start)
    return [row((first + timedelta(days=d)).isoformat(), **kw) for d in range(n)]


# --- the period rule ----------------------------------------------------------------------

@pytest.mark.parametrize("span_days, bucket", [
    (0, "day"), (MAX_BARS - 1, "day"),  # 100 days: 100 bars
    (MAX_BARS, "week"), (7 * 98, "week"),
    (7 * 120, "month"), (30 * 99, "month"),
    (365 * 9, "year"), (365 * 18, "year"),  # realtimeqa-2025 spans 2007-2025
])
def test_the_finest_period_that_fits_in_max_bars(span_days, bucket):
    oldest = date(2020, 1, 1)
    assert choose_bucket(oldest, oldest + timedelta(days=span_days)) == bucket


def test_periods_start_on_the_day_monday_first_of_month_and_of_year():
    day = date(2026, 1, 10)  # a Saturday
    assert period_start(day, "day") == day
    assert period_start(day, "week") == date(2026, 1, 5)
    assert period_start(day, "month") == date(2026, 1, 1)
    assert period_start(date(2025, 7, 9), "year") == date(2025, 1, 1)
    with pytest.raises(ValueError, match="day, week, month, year"):
        period_start(day, "fortnight")


def test_per_day_counts_each_source_and_names_newest_and_oldest():
    rows = [row("2026-01-10"), row("2026-01-10"), row("2026-01-10", "AP"), row("2026-01-08", "AP"),
            row("2026-01-09T17:30:00", "Reuters")]
    cov = summarize_coverage(rows)
    assert cov.bucket == "day"
    assert [(b.period, b.source, b.articles) for b in cov.bars] == [
        ("2026-01-08", "AP", 1), ("2026-01-09", "Reuters", 1), ("2026-01-10", "Reuters", 2), ("2026-01-10", "AP", 1)]
    assert cov.sources == ("Reuters", "AP")  # most articles first
    assert (cov.newest, cov.newest_count, cov.oldest, cov.oldest_count) == ("2026-01-10", 3, "2026-01-08", 1)
    assert (cov.articles, cov.undated, cov.dated) == (5, 0, 5)


def test_a_long_span_is_counted_per_week_from_monday():
    rows = days("2025-01-01", 200)  # Wednesday 1 Jan 2025 .. 19 July
    cov = summarize_coverage(rows)
    assert cov.bucket == "week"
    assert cov.bars[0].period == "2024-12-30" and cov.bars[0].articles == 5  # Wed..Sun of the first week
    assert all(date.fromisoformat(b.period).weekday() == 0 for b in cov.bars)
    assert sum(b.articles for b in cov.bars) == 200


def test_undated_articles_are_counted_not_drawn():
    rows = [row("2026-01-10"), row(""), row("not a date"), row("2026-13-45")]
    cov = summarize_coverage(rows)
    assert (cov.articles, cov.undated, cov.dated) == (4, 3, 1)
    assert sum(b.articles for b in cov.bars) == 1


def test_nothing_dated_or_nothing_at_all():
    cov = summarize_coverage([row(""), row("")])
    assert cov.bars == () and cov.undated == 2 and cov.newest == "" and cov.oldest == ""
    empty = summarize_coverage([])
    assert empty.articles == 0 and empty.bars == ()


def test_many_sources_fold_into_other_beyond_the_biggest():
    rows = []
    for i in range(10):  # source s0 has 10 articles, s1 9, ..., s9 1
        rows += [row("2026-01-10", f"s{i}") for _ in range(10 - i)]
    rows += [row("2026-01-11", "") for _ in range(2)]
    cov = summarize_coverage(rows, max_sources=3)
    assert cov.sources == ("s0", "s1", "s2", OTHER_SOURCES, NO_SOURCE)
    assert cov.folded_sources == 7
    by_source = {b.source: b.articles for b in cov.bars if b.period == "2026-01-10"}
    assert by_source == {"s0": 10, "s1": 9, "s2": 8, OTHER_SOURCES: 7 + 6 + 5 + 4 + 3 + 2 + 1}
    assert {b.source: b.articles for b in cov.bars if b.period == "2026-01-11"} == {NO_SOURCE: 2}


def test_one_source_past_the_limit_keeps_its_name():
    rows = [row("2026-01-10", s) for s in ("a", "a", "b", "b", "c")]
    cov = summarize_coverage(rows, max_sources=2)
    assert cov.sources == ("a", "b", "c") and cov.folded_sources == 0


@pytest.mark.parametrize("byline, url, expected", [
    ("Jackie Wattles", "https://www.cnn.com/2025/01/03/x.html", "cnn.com"),  # the outlet, not the author
    ("Reuters", "", "Reuters"),
    ("  Baltic   Courier ", "file:///tmp/a.txt", "Baltic Courier"),  # not a web address
    ("", "", NO_SOURCE),
    ("AP", "http://[bad", "AP"),  # a malformed URL is ignored
])
def test_source_is_the_web_site_else_the_byline(byline, url, expected):
    assert source_of(byline, url) == expected


def test_coverage_reads_the_live_index(news_index, qa_settings):
    cov = qa.coverage(qa_settings.replace(embedder="fake-embedder"))
    assert cov.articles == 2 and cov.undated == 0
    assert (cov.oldest, cov.newest) == ("2025-10-03", "2026-01-10")
    assert cov.bucket == "day"  # 3 Oct .. 10 Jan: 100 days, so 100 bars
    assert set(cov.sources) == {"Reuters", "Associated Press"}
    assert summarize_coverage(news_index.article_dates()) == cov


def test_coverage_without_an_index_says_so(qa_settings):
    with pytest.raises(qa.IndexNotFoundError):
        qa.coverage(qa_settings)


# --- an answer's timeline -----------------------------------------------------------------

def test_timeline_marks_cited_articles_and_lists_the_related_ones_by_date():
    answer = f.answer("A [1]. B [2]. C [3].", citations=[
        f.citation(1, article_id="a1", date="2026-01-10"),
        f.citation(2, article_id="a2", date="2025-03-01", title="Old piece"),
        f.citation(3, article_id="a1", date="2026-01-10"),  # the same article again
    ], passages=[f.passage(1, article_id="a1"), f.passage(2, article_id="a2", date="2025-03-01"),
                 f.passage(3, article_id="a3", date="2026-01-09", title="Read, not cited"),
                 f.passage(4, article_id="a3", date="2026-01-09"),
                 f.passage(5, article_id="a4", date="", title="Undated")])
    entries = qa.answer_timeline(answer)
    assert [(e.article_id, e.cited, e.markers) for e in entries] == [
        ("a2", True, (2,)), ("a3", False, ()), ("a1", True, (1, 3)), ("a4", False, ())]
    assert entries[1].title == "Read, not cited" and entries[-1].date == ""


def test_an_abstention_times_its_related_reading():
    answer = f.abstention(related=[qa.RelatedArticle("r1", "Related one", "AP", "2024-05-01", "https://x.org/r1")])
    (entry,) = qa.answer_timeline(answer)
    assert entry.article_id == "r1" and not entry.cited and entry.date == "2024-05-01"
    assert qa.answer_timeline(f.abstention(related=())) == ()


def test_index_info_names_the_live_generation(news_index, qa_settings):
    info = qa.index_info(qa_settings.replace(embedder="fake-embedder"))
    assert info.generation == news_index.generation.name and info.generation.startswith("gen-")


def test_article_dates_read_no_texts(news_index):
    rows = news_index.article_dates()
    assert len(rows) == 2 and {r.byline for r in rows} == {"Reuters", "Associated Press"}
    assert all(set(r._fields) == {"id", "publish_date", "byline", "url"} for r in rows)
