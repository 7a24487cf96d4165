"""The conversation as Markdown (webui.export) from the turn records the page keeps (webui.turns)."""

from __future__ import annotations

import dataclasses
import os
import re
from datetime import datetime, timezone

import pytest

import qa
from tests.webui import factories as f
from webui import export, forms, turns

ASKED = datetime(2026, 11, 29, 14, 3, tzinfo=timezone.utc)


def record(answer, message_index=1, filters=None, info=None):
    choice = forms.SearchChoice(qa.Settings(model="qwen2.5-0.5b"), 4, filters, "")
    return turns.turn_record(answer, choice, message_index, info, now=ASKED)


def test_turn_record_keeps_question_answer_citations_and_settings():
    info = qa.IndexInfo(1, 2, "2026-11-28T03:15:12+00:00", "mini", "flat", (), "/srv/idx", "gen-000007")
    rec = record(f.answer(), 3, qa.SearchFilters("2026-01-01", "", ("Reuters",)), info)
    assert rec["message_index"] == 3 and rec["asked_at"] == "2026-11-29T14:03:00+00:00" and len(rec["id"]) == 32
    assert rec["question"] == "Who leads?" and rec["answer"]["text"].startswith("Delcy Rodriguez")
    (cite,) = rec["answer"]["citations"]
    assert cite["quote"] == f.SEED_QUOTE and cite["file"] == "a.txt"  # the file's name, not its server path
    assert "seeds/" not in str(rec)
    assert rec["settings"] == {"model": "qwen2.5-0.5b", "k": 4, "date_from": "2026-01-01", "date_to": "",
                               "sources": ["Reuters"], "index_generation": "gen-000007",
                               "index_built_at": "2026-11-28T03:15:12+00:00"}
    assert turns.turn_at([rec], 3) is rec and turns.turn_at([rec], [3, 0]) is rec
    assert turns.turn_at([rec], 2) is None and turns.turn_at(None, 3) is None


def test_markdown_holds_each_question_answer_and_numbered_references():
    answer = f.answer("Delcy Rodriguez became interim leader [1]. Ties resume [2].", citations=[
        f.citation(1), f.citation(2, article_id="a2", title="Embassy reopens", source="AP", date="2026-01-12", url="",
                                   quote="The embassy reopened on Monday.")],
        passages=[f.passage(1), f.passage(2, article_id="a2")])
    md = export.conversation_markdown([record(answer)], exported_at=ASKED)
    assert md.startswith("# Newsdesk conversation\n\nExported 2026-11-29 14:03 UTC.")
    assert "## 1. Who leads?" in md
    assert "Delcy Rodriguez became interim leader [1]. Ties resume [2]." in md  # markers kept as they are
    assert ("- [1] **Venezuela looks to rebuild diplomatic ties with US**. Reuters, Jan 10, 2026. "
            "<https://example.com/venezuela>\n"
            "  > His vice president, Delcy Rodriguez, took over as interim leader.") in md
    assert "- [2] **Embassy reopens**. AP, Jan 12, 2026. File: `a.txt`\n  > The embassy reopened on Monday." in md
    assert "*fake-model · asked 2026-11-29 14:03 UTC*" in md  # the model that answered


def test_several_turns_are_numbered_in_order_and_an_empty_conversation_is_empty():
    md = export.conversation_markdown([record(f.answer(question="First?"), 1),
                                       record(f.answer(question="Second?"), 3)], exported_at=ASKED)
    assert md.index("## 1. First?") < md.index("## 2. Second?")
    assert export.conversation_markdown([]) == ""


def test_an_abstention_says_so_and_lists_related_reading():
    related = [qa.RelatedArticle("r1", "Harbour *plans*", "AP", "2025-06-01", "https://example.org/h")]
    md = export.conversation_markdown([record(f.abstention(related))], exported_at=ASKED)
    assert "**No answer from the indexed articles.**" in md
    assert "Related reading:\n\n- **Harbour \\*plans\\***. AP, Jun 1, 2025. <https://example.org/h>" in md
    assert "References:" not in md


def test_filters_are_noted_under_the_answer():
    md = export.conversation_markdown([record(f.answer(), filters=qa.SearchFilters("2026-01-01", "", ("AP",)))])
    assert "searched articles published 2026-01-01 to … from AP" in md


@pytest.mark.parametrize("text, escaped", [
    ("*Breaking* _news_", "\\*Breaking\\* \\_news\\_"),
    ("[link](javascript:alert(1))", "\\[link\\](javascript:alert(1))"),
    ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
    ("# Not a heading", "\\# Not a heading"),
    ("1. Not a list", "1\\. Not a list"),
    ("- not a bullet", "\\- not a bullet"),
    ("> not a quote", "\\> not a quote"),
    ("a | b ~~c~~ `code`", "a \\| b \\~\\~c\\~\\~ \\`code\\`"),
    ("AT&T &amp; co", "AT&T \\&amp; co"),
    ("back\\slash", "back\\\\slash"),
    ("two\nlines", "two lines"),
])
def test_markdown_special_characters_stay_text(text, escaped):
    assert export.md_escape(text) == escaped


def test_titles_quotes_and_answers_from_articles_cannot_add_markup():
    evil = "**Bold** [x](http://evil.example) <img src=x onerror=alert(1)>\n# Heading"
    answer = f.answer(f"{evil} [1]", citations=[f.citation(title=evil, quote=evil, source=evil)],
                      question=evil)
    md = export.conversation_markdown([record(answer)], exported_at=ASKED)
    assert "**Bold**" not in md and not re.search(r"(?<!\\)\]\(http", md) and not re.search(r"(?<!\\)<img", md)
    assert not re.search(r"^# Heading", md, re.MULTILINE)
    assert "\\*\\*Bold\\*\\*" in md and " [1]" in md  # the marker after the escaped text survives


@pytest.mark.parametrize("name, shown", [("20260110_bridge_final.txt", "File: `20260110_bridge_final.txt`"),
                                         ("a`b*.txt", "File: a\\`b\\*.txt")])
def test_a_file_name_stands_for_a_missing_url(name, shown):
    answer = f.answer(citations=[f.citation(url="")], passages=[dataclasses.replace(f.passage(), path=name)])
    assert shown in export.conversation_markdown([record(answer)])
