"""webui.briefing: the Briefing panel's HTML (escaped), its states, and "Ask about this story"."""

from __future__ import annotations

import importlib
import re

import pytest

from qa import Briefing, BriefStory, Story, StoryItem, Summary
from webui import FormError, briefing

from .factories import citation

XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
STORY = Story("s1", "v1", f"Flood {XSS}", (
    StoryItem("a1", "2026-03-02", f"River floods {XSS}", f"Reuters {XSS}", "javascript:alert(3)"),
    StoryItem("a2", "2026-03-03", "Flood peaks", "AP", "https://news.example/2"),
))


def _html(summary=None, new=2) -> str:
    return briefing.briefing_html(Briefing("2026-03-02", "2026-03-03", (BriefStory(STORY, new, summary),)))


def test_everything_from_articles_is_escaped_and_only_http_links_kept():
    html = _html()
    assert "<img" not in html and "<script" not in html and "javascript:" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'href="https://news.example/2"' in html


def test_a_story_shows_its_size_outlets_dates_and_a_timeline_newest_first_opening_articles():
    html = _html(new=1)
    assert "2 articles (1 new)" in html and "Mar 2, 2026 – Mar 3, 2026" in html
    timeline = html.split('class="nd-story-timeline"')[1]
    assert timeline.index("Flood peaks") < timeline.index("River floods")
    assert len(re.findall(r'class="nd-open nd-timeline-title" href="#nd-open\?a=a[12]"', html)) == 2
    assert 'href="#nd-story?s=s1"' in html


def test_summary_states():
    assert "Summary pending" in _html(None)
    assert "No summary" in _html(Summary("s1", "v1", "m", "", ()))
    ready = _html(Summary("s1", "v1", "m", "The river flooded [1].", (citation(1, article_id="a1"),)))
    assert 'class="nd-cite"' in ready and "#nd-open?a=a1&amp;s=" in ready  # the cited span opens
    assert 'data-status="ready"' in ready


def test_no_stories_says_what_to_do():
    html = briefing.briefing_html(Briefing("2026-03-02", "2026-01-01", ()))
    assert "No stories with articles since Mar 2, 2026" in html


def test_the_view_shows_a_problem_as_the_panel(settings):
    view = briefing.briefing_view(settings)  # no index here
    assert "nd-error" in view.html and view.pending == 0


@pytest.mark.parametrize("link", [None, 3, "#nd-open?a=x", "#nd-story?" + "x" * 400, "#nd-story?s=&&"])
def test_ask_about_refuses_what_is_not_a_story_link(settings, link):
    with pytest.raises(FormError, match="story"):
        briefing.ask_about(link, settings)


def test_ask_about_a_story_asks_about_its_headline_within_its_dates(settings, monkeypatch):
    module = importlib.import_module("webui.briefing")
    monkeypatch.setattr(module, "load_stories", lambda settings: [STORY])
    asked = briefing.ask_about(briefing.story_link("s1"), settings)
    assert asked.question == f"What happened in this story: Flood {XSS}?"  # text in a textbox, not HTML
    assert (asked.date_from, asked.date_to) == ("2026-03-02", "2026-03-03")
    assert asked.sources == ("AP", f"Reuters {XSS}")
    with pytest.raises(FormError, match="no longer"):
        briefing.ask_about(briefing.story_link("gone"), settings)


def test_a_large_first_grouping_is_left_to_the_background(settings, monkeypatch):
    module = importlib.import_module("webui.briefing")
    woken = []
    monkeypatch.setattr(module, "unplaced", lambda settings: 5334)
    monkeypatch.setattr(module.SUMMARIES, "wake", lambda settings, since=None: woken.append(since))
    view = briefing.briefing_view(settings, "2026-03-01")
    assert "Grouping 5,334 new articles" in view.html and view.pending == 1 and woken == ["2026-03-01"]
