"""The Index panel's coverage summary and chart columns, and the timeline strip under answers."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

import qa
from qa._coverage import summarize_coverage
from embeddings import ArticleDate
from tests.webui import factories as f
from tests.webui.test_render import PAYLOADS, Tags, assert_inert
from webui import coverage, render

TODAY = date(2026, 1, 20)


def text_of(fragment: str) -> str:
    return " ".join(" ".join(Tags(fragment).text).split())


def cov_of(*rows):
    return summarize_coverage([ArticleDate(f"a{i}", d, s, "") for i, (d, s) in enumerate(rows)])


def test_chart_columns_hold_one_row_per_bar():
    cov = cov_of(("2026-01-10", "Reuters"), ("2026-01-10", "AP"), ("2026-01-12", "Reuters"))
    assert coverage.chart_columns(cov) == {"period": ["2026-01-10", "2026-01-10", "2026-01-12"],
                                           "source": ["Reuters", "AP", "Reuters"], "articles": [1, 1, 1]}
    assert coverage.chart_title(cov) == "Articles per day, by source"


@pytest.mark.parametrize("rows, lim", [
    ([("2026-01-10", "AP")], ["2026-01-09", "2026-01-11"]),
    ([("2026-01-10", "AP"), ("2026-02-14", "AP")], ["2026-01-09", "2026-02-15"]),
    ([("2025-01-01", "AP"), ("2026-06-30", "AP")], ["2024-12-23", "2026-07-06"]),  # weeks from Monday, ± 7 days
])
def test_the_time_axis_leaves_a_period_free_at_each_end(rows, lim):
    seconds = coverage.chart_x_lim(cov_of(*rows))
    assert [datetime.fromtimestamp(s, timezone.utc).date().isoformat() for s in seconds] == lim
    assert coverage.chart_x_lim(cov_of(("", "AP"))) is None


def test_summary_states_newest_oldest_with_counts_and_the_undated():
    cov = cov_of(("2026-01-10", "Reuters"), ("2026-01-10", "AP"), ("2025-12-01", "AP"), ("", "AP"), ("", "AP"))
    text = text_of(coverage.coverage_summary(cov))
    assert "Newest Jan 10, 2026 (2 articles that day)" in text
    assert "Oldest Dec 1, 2025 (1 article that day)" in text
    assert "2 articles have no publish date and are not in the chart" in text
    assert "One bar per day" in text


def test_summary_of_an_undated_or_empty_index():
    text = text_of(coverage.coverage_summary(cov_of(("", "AP"))))
    assert "1 article has no publish date and is not in the chart (no article is dated)" in text
    assert "no articles yet" in coverage.coverage_summary(cov_of())


def test_timeline_strip_places_cited_and_related_articles_on_the_line():
    answer = f.answer(passages=[f.passage(1), f.passage(2, article_id="a2", date="2025-01-10", title="Year-old")])
    html = render.timeline_strip(qa.answer_timeline(answer), today=TODAY)
    tags = Tags(html)
    dots = [a for t, a in tags.tags if "nd-tl-dot" in a.get("class", "")]
    assert len(dots) == 2
    related, cited = dots  # oldest first
    assert "nd-tl-related" in related["class"] and "nd-tl-x0" in related["class"]
    assert "nd-tl-cited" in cited["class"] and "nd-tl-x100" in cited["class"]
    assert cited["title"].startswith("[1] Venezuela looks to rebuild") and "Jan 10, 2026" in cited["title"]
    text = text_of(html)
    assert "Cited Jan 10, 2026 (10 days ago)" in text and "related Jan 10, 2025" in text
    assert "Articles by date (2)" in text


def test_timeline_of_one_day_centres_it_and_lists_undated_ones():
    answer = f.answer(passages=[f.passage(1), f.passage(2, article_id="a2", date="", title="No date")])
    html = render.timeline_strip(qa.answer_timeline(answer), today=TODAY)
    tags = Tags(html)
    assert [a["class"] for t, a in tags.tags if "nd-tl-dot" in a.get("class", "")] == [
        "nd-tl-dot nd-tl-cited nd-tl-x50"]
    assert "undated" in " ".join(tags.text)
    assert render.timeline_strip((), today=TODAY) == ""


@pytest.mark.parametrize("day, expected", [
    (date(2026, 1, 20), "today"), (date(2026, 1, 19), "1 day ago"), (date(2026, 1, 1), "2 weeks ago"),
    (date(2025, 10, 1), "3 months ago"), (date(2023, 1, 20), "3 years ago"), (date(2026, 1, 27), "7 days ahead"),
])
def test_age_in_words(day, expected):
    assert render.age(day, TODAY) == expected


def test_answers_and_abstentions_carry_their_timeline():
    assert 'class="nd-tl"' in render.answer_message(f.answer())
    assert 'class="nd-tl"' in render.answer_message(f.abstention())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_timeline_renders_article_fields_as_inert_text(payload):
    answer = f.answer(citations=[f.citation(title=payload, source=payload)],
                      passages=[f.passage(1), f.passage(2, article_id="a2", title=payload, source=payload,
                                                        url=f"javascript:{payload}")])
    assert_inert(render.timeline_strip(qa.answer_timeline(answer), today=TODAY), payload)
