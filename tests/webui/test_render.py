from __future__ import annotations

from html.parser import HTMLParser

import pytest

import qa
from qa.collection import IndexInfo
from qa.types import RelatedArticle
from tests.webui import factories as f
from webui import reader, render

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    '"><svg onload=alert(1)>',
    "</span></div><iframe src=javascript:alert(1)>",
]


class Tags(HTMLParser):
    """Every element and attribute in a fragment, plus its visible text."""

    def __init__(self, fragment: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(fragment)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    @property
    def names(self) -> set[str]:
        return {t for t, _ in self.tags}

    def count(self, tag: str, cls: str = "") -> int:
        return sum(1 for t, a in self.tags if t == tag and (not cls or cls in (a.get("class") or "").split()))

    def all_text(self) -> str:
        return "".join(self.text)


def assert_inert(fragment: str, payload: str) -> None:
    tags = Tags(fragment)
    assert not tags.names & {"script", "img", "svg", "iframe"}, tags.names
    for tag, attrs in tags.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").lower().startswith(("javascript:", "data:")), attrs
    assert payload in tags.all_text()  # shown, as text


# --- escaping and small helpers ---------------------------------------------------------

def test_esc_escapes_markup_and_quotes():
    assert render.esc('<a href="x">&\'') == "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
    assert render.esc(None) == ""


@pytest.mark.parametrize("url, ok", [
    ("https://example.com/a?b=1", True),
    ("http://example.com", True),
    ("HTTPS://EXAMPLE.COM", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>", False),
    ("//example.com", False),
    ('https://x.com/"onmouseover="alert(1)', False),
    ("", False),
])
def test_safe_url_only_allows_plain_http(url, ok):
    assert render.safe_url(url) == (url if ok else "")


@pytest.mark.parametrize("iso, shown", [
    ("2026-01-10", "Jan 10, 2026"),
    ("2026-01-10T08:00:00", "Jan 10, 2026"),
    ("", ""),
    ("sometime", "sometime"),
])
def test_format_date(iso, shown):
    assert render.format_date(iso) == shown


def test_byline_leaves_out_missing_parts():
    assert render.byline("Reuters", "2026-01-10") == "Reuters · Jan 10, 2026"
    assert render.byline("", "2026-01-10") == "Jan 10, 2026"
    assert render.byline("<b>AP</b>", "") == "&lt;b&gt;AP&lt;/b&gt;"


# --- quote highlighting -----------------------------------------------------------------

def test_excerpt_marks_the_quote_inside_the_passage():
    out = render.excerpt(f.SEED_PASSAGE, f.SEED_QUOTE)
    tags = Tags(out)
    assert tags.count("mark", "nd-quote") == 1
    assert f'<mark class="nd-quote">{render.esc(f.SEED_QUOTE)}</mark>' in out
    assert tags.all_text() == f.SEED_PASSAGE


def test_excerpt_matches_quote_ignoring_case_and_spacing():
    out = render.excerpt("Alpha beta.\nGamma   Delta said so. End.", "gamma delta said so.")
    assert '<mark class="nd-quote">Gamma   Delta said so.</mark>' in out


def test_excerpt_shows_an_unmatched_quote_on_its_own():
    out = render.excerpt("Something else entirely.", "A quote from elsewhere.")
    assert out.startswith('<mark class="nd-quote">A quote from elsewhere.</mark>')
    assert "Something else entirely." in out


def test_excerpt_trims_long_passages_around_the_quote():
    before = "word " * 400
    after = " more" * 400
    out = render.excerpt(before + "THE QUOTE." + after, "THE QUOTE.", context=100)
    assert out.startswith("…") and out.endswith("…")
    assert '<mark class="nd-quote">THE QUOTE.</mark>' in out
    assert len(out) < 400


@pytest.mark.parametrize("payload", PAYLOADS)
def test_excerpt_escapes_passage_and_quote(payload):
    out = render.excerpt(f"Before {payload} after.", payload)
    assert_inert(out, payload)
    assert Tags(out).count("mark") == 1


# --- markers ----------------------------------------------------------------------------

def test_text_with_markers_links_known_markers_only():
    chips = {1: "<C1>", 2: "<C2>"}
    assert render.text_with_markers("A [1]. B [1, 2]. C [1][2]. D [9].", chips) == \
        "A <C1>. B <C1><C2>. C <C1><C2>. D [9]."


def test_text_with_markers_reads_semicolons_and_long_numbers_as_qa_does():
    # qa's citation check accepts "[1; 2]" and any number of digits; the chat once did not.
    chips = {1: "<C1>", 2: "<C2>", 1000: "<C1000>"}
    assert render.text_with_markers("A [1; 2]. B [1000].", chips) == "A <C1><C2>. B <C1000>."


def test_text_with_markers_escapes_the_text_around_them():
    out = render.text_with_markers("x < y & [1] <b>", {1: "<C1>"})
    assert out == "x &lt; y &amp; <C1> &lt;b&gt;"


def test_citation_chip_is_focusable_and_holds_passage_title_and_link():
    chip = render.citation_chip(f.citation(2))
    tags = Tags(chip)
    attrs = tags.tags[0][1]
    assert tags.tags[0][0] == "span" and attrs["tabindex"] == "0" and attrs["class"] == "nd-cite"
    assert tags.count("span", "nd-pop") == 1
    assert tags.count("mark", "nd-quote") == 1
    text = tags.all_text()
    assert text.startswith("[2]")
    assert f.SEED_TITLE in text and "Reuters · Jan 10, 2026" in text
    links = [a for t, a in tags.tags if t == "a"]
    external = [a for a in links if "nd-open" not in a["class"]]
    assert external == [{"class": "nd-pop-link", "href": "https://example.com/venezuela",
                         "rel": "noopener noreferrer", "target": "_blank"}]
    # The title opens the whole article in the page, at the quote (webui.reader).
    (opener,) = [a for a in links if "nd-open" in a["class"]]
    assert opener["href"].startswith(render.LINK_PREFIX) and "target" not in opener
    assert reader.parse_open_link(opener["href"]) == reader.OpenRequest("a1", 0, len(f.SEED_QUOTE), f.SEED_QUOTE, "", 2)


def test_chip_without_a_safe_url_has_no_external_link():
    chip = render.citation_chip(f.citation(url="javascript:alert(1)"))
    assert "javascript" not in chip
    assert [a["href"][:len(render.LINK_PREFIX)] for t, a in Tags(chip).tags if t == "a"] == [render.LINK_PREFIX]


# --- whole messages ---------------------------------------------------------------------

def test_answer_message_has_one_chip_per_marker_and_a_footnote_per_citation():
    ans = f.answer("Rodriguez took over [1]. Talks resumed [2]. Both [1, 2].",
                   [f.citation(1), f.citation(2, article_id="a2", title="Embassy reopens", quote="talks resumed")])
    tags = Tags(render.answer_message(ans))
    assert tags.count("span", "nd-cite") == 4
    assert tags.count("details", "nd-fn") == 2
    assert "Embassy reopens" in tags.all_text()
    assert "fake-model" in tags.all_text()  # timing line


def test_answer_message_warns_about_unsupported_sentences():
    out = render.answer_message(f.answer(unsupported=("An invented claim.",)))
    assert "not backed by a cited passage" in out


def test_abstention_shows_headline_reason_and_related_reading():
    out = render.answer_message(f.abstention())
    tags = Tags(out)
    text = tags.all_text()
    headline, _, reason = qa.ABSTENTION.partition(": ")
    assert text.startswith(f"{headline}.") and headline == "The articles don't say"
    assert reason[0].upper() + reason[1:] in text  # "None of the indexed passages answers ..."
    assert "Related reading" in text and f.SEED_TITLE in text
    assert tags.count("span", "nd-cite") == 0


def test_abstention_without_detail_or_related():
    ans = f.answer(f"{render.ABSTAIN_HEADLINE}.", (), abstained=True, related=())
    out = render.answer_message(ans)
    assert Tags(out).all_text().startswith("The articles don't say.")
    assert "Related reading" not in out


FIELDS = ["title", "source", "passage_text", "quote", "url"]


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", FIELDS)
def test_answer_message_renders_article_fields_as_inert_text(field, payload):
    values = {"passage_text": f"Body {payload} with the quote. Rest.", "quote": "the quote."}
    if field == "quote":
        values = {"passage_text": f"Start. {payload} End.", "quote": payload}
    elif field != "passage_text":
        values[field] = payload
    ans = f.answer(f"Answer text {payload} [1].", [f.citation(**values)])
    out = render.answer_message(ans)
    tags = Tags(out)
    assert not tags.names & {"script", "img", "svg", "iframe"}
    assert all(not any(k.startswith("on") for k in a) for _, a in tags.tags)
    if field != "url":  # an unsafe URL is dropped, not shown
        assert payload in tags.all_text()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_question_and_errors_are_inert(payload):
    assert_inert(render.user_message(payload), payload)
    assert_inert(render.error_message(payload), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_related_reading_and_panels_are_inert(payload):
    related = (RelatedArticle("a1", payload, payload, "2026-01-10", "javascript:alert(1)"),)
    assert_inert(render.answer_message(f.abstention(related)), payload)
    assert_inert(render.sources_panel(f.abstention(related)), payload)
    assert_inert(render.sources_reading([f.passage(title=payload)]), payload)
    assert_inert(render.streaming_message(f"so far {payload} [1]", [f.passage(text=payload)]), payload)


def test_streaming_message_links_markers_to_retrieved_passages_and_shows_a_caret():
    out = render.streaming_message("Rodriguez [1] and [3]", [f.passage(1), f.passage(2)])
    tags = Tags(out)
    assert tags.count("span", "nd-cite") == 1
    assert "[3]" in tags.all_text()
    assert tags.count("span", "nd-caret") == 1
    assert render.is_pending(out)


@pytest.mark.parametrize("count, articles, expected", [
    (1, 1, "Reading 1 passage from 1 article…"),
    (4, 2, "Reading 4 passages from 2 articles…"),
])
def test_reading_message_counts_passages_and_articles(count, articles, expected):
    passages = [f.passage(i + 1, article_id=f"a{i % articles}") for i in range(count)]
    out = render.reading_message(passages)
    assert Tags(out).all_text() == expected
    assert render.is_pending(out)


def test_pending_and_stopped():
    assert render.is_pending(render.searching_message())
    assert not render.is_pending(render.answer_message(f.answer()))
    # text that merely mentions the class is not pending
    assert not render.is_pending(render.answer_message(f.answer("nd-pending [1]")))
    assert Tags(render.stopped(render.searching_message())).all_text() == "Stopped before the answer began."
    stopped = render.stopped(render.streaming_message("Half an ans", []))
    assert "Half an ans" in stopped and "Stopped." in stopped
    assert not render.is_pending(stopped) and "nd-caret" not in stopped
    assert Tags(stopped)  # still well-formed enough to parse


def test_sources_panel_lists_each_cited_article_once_with_its_markers_and_quotes():
    ans = f.answer("A [1]. B [2]. C [3].", [
        f.citation(1), f.citation(2, quote="Second quote."),
        f.citation(3, article_id="a2", title="Other article", url="", quote="Third."),
    ])
    tags = Tags(render.sources_panel(ans))
    assert tags.count("li") == 2
    text = tags.all_text()
    assert "Cited: 2 articles" in text
    assert text.count(f.SEED_TITLE) == 1
    assert "[1][2]" in text and "Second quote." in text
    hrefs = [a["href"] for t, a in tags.tags if t == "a"]
    assert [h for h in hrefs if not h.startswith(render.LINK_PREFIX)] == ["https://example.com/venezuela"]
    # Each title opens its article in the page at the first citation's quote, each quote at itself.
    def opened(css):
        return [(o.article_id, o.quote, o.n) for o in (reader.parse_open_link(a["href"]) for t, a in tags.tags
                                                       if t == "a" and css in a.get("class", "").split())]

    assert opened("nd-src-title") == [("a1", f.SEED_QUOTE, 1), ("a2", "Third.", 3)]
    assert opened("nd-quote-link") == [("a1", f.SEED_QUOTE, 1), ("a1", "Second quote.", 2), ("a2", "Third.", 3)]


def test_sources_panel_lists_only_cited_articles_not_all_passages():
    ans = f.answer("A [1].", [f.citation(1)], passages=[f.passage(1), f.passage(2, article_id="zz", title="Uncited")])
    assert "Uncited" not in render.sources_panel(ans)


def test_sources_panel_for_abstentions_and_uncited_answers():
    assert "related reading" in render.sources_panel(f.abstention())
    assert "No article answers" in render.sources_panel(f.abstention(related=()))
    assert "cites no article" in render.sources_panel(f.answer("No markers.", ()))


def test_sources_reading_lists_each_article_once():
    out = render.sources_reading([f.passage(1), f.passage(2), f.passage(3, article_id="b", title="Second")])
    tags = Tags(out)
    assert tags.count("li") == 2 and "Reading 3 passages…" in tags.all_text()


def test_index_panel_shows_counts_date_and_embedder():
    info = IndexInfo(articles=1234, chunks=5678, built_at="2026-11-28T03:15:50+00:00",
                     embedder="sentence-transformers/all-MiniLM-L6-v2", dense_kind="flat",
                     sources=("Reuters", "<script>x</script>"), directory="data/index")
    out = render.index_panel(info)
    text = Tags(out).all_text()
    for expected in ("1,234", "5,678", "2026-11-28 03:15 UTC", "all-MiniLM-L6-v2 (flat)", "Reuters"):
        assert expected in text
    assert_inert(out, "<script>x</script>")


def test_abstention_names_the_filters_that_limited_the_search():
    out = render.answer_message(f.abstention(related=()), scope="Articles from <b>Reuters</b>")
    assert "Searched only: Articles from &lt;b&gt;Reuters&lt;/b&gt;." in out
    assert "Searched only" not in render.answer_message(f.abstention())
    assert "Searched only" not in render.answer_message(f.answer(), scope="Articles from Reuters")


def test_an_answer_shows_the_news_window_it_was_judged_in():
    import dataclasses

    out = render.answer_message(dataclasses.replace(f.answer(), as_of="2027-06-01", recent_days=30))
    assert "news as of Jun 1, 2027, recent = the last 30 days" in Tags(out).all_text()
    assert "news as of" not in render.answer_message(f.answer())  # an answer from before the window was kept


@pytest.mark.parametrize("iso, shown", [
    ("2026-11-28T03:15:12Z", "2026-11-28 03:15 UTC"),
    ("2026-11-28T03:15:12+00:00", "2026-11-28 03:15 UTC"),
    ("2026-11-28T03:15:12.5-0000", "2026-11-28 03:15 UTC"),
    ("2026-11-28T03:15:12+02:00", "2026-11-28 03:15 +02:00"),  # not UTC: its offset is kept
    ("2026-11-28 03:15", "2026-11-28 03:15"),
    ("yesterday", "yesterday"),
])
def test_one_when_formatter_labels_only_utc_as_utc(iso, shown):
    assert render.when(iso) == shown


def test_the_feeds_table_says_utc_only_of_utc_times():
    # The Feeds tab had its own formatter, which called any offset "UTC" (a hand-edited feeds.json).
    from feeds import Feed
    from webui import feeds

    html = feeds._row(Feed(url="https://example.com/feed.xml", last_poll="2026-11-28T03:15:12+02:00"))
    assert "03:15 +02:00" in html and "03:15 UTC" not in html
