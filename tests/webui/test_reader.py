"""webui.reader: links that open an article, the article's HTML, search results' HTML."""

from __future__ import annotations

import pytest

import qa
from qa import ArticleText, SearchHit, SearchResults
from webui import FormError, reader, render

from .test_render import Tags, assert_inert

TEXT = ("Washington and Caracas signalled cooperation.\n\nHis vice president, Delcy Rodriguez, took over as "
        "interim leader. Earlier on Friday, Trump spoke.")
QUOTE = "His vice president, Delcy Rodriguez, took over as interim leader."
ARTICLE = ArticleText("a1", "Venezuela looks to rebuild ties", "Reuters", "2026-01-10",
                      "https://example.com/venezuela", "/srv/data/uploads/venezuela.txt", TEXT)
PAYLOADS = ["<script>window.__x=1</script>", '<img src=x onerror="alert(1)">', '"><b>x</b>']


def test_an_open_link_round_trips_through_the_page():
    link = render.open_link("a1", 10, 20, quote="A “quote” & <more>", query="interim leader", n=2)
    assert link.startswith(reader.LINK_PREFIX) and " " not in link and "<" not in link
    assert reader.parse_open_link(link) == reader.OpenRequest("a1", 10, 20, "A “quote” & <more>", "interim leader", 2)
    assert reader.parse_open_link(render.open_link("a1")) == reader.OpenRequest("a1")


@pytest.mark.parametrize("link", [None, 42, ["#nd-open?a=1"], "", "https://example.com", "javascript:alert(1)",
                                  "#nd-open?", "#nd-open?s=1&e=2", "#nd-open?a=", "#nd-open?a=x&%%%",
                                  "#nd-open?a=" + "x" * 9000])
def test_anything_but_an_open_link_is_refused_with_a_message(link):
    with pytest.raises(FormError, match="article"):
        reader.parse_open_link(link)


@pytest.mark.parametrize("extra", ["&s=-5&e=10", "&s=10&e=5", "&s=x&e=10", "&s=1e9&e=2e9", "&s=5"])
def test_a_bad_span_is_dropped_not_an_error(extra):
    request = reader.parse_open_link("#nd-open?a=a1" + extra)
    assert (request.article_id, request.start, request.end) == ("a1", -1, -1)


def test_marked_escapes_text_and_wraps_the_spans():
    assert reader.marked("a <b> c", [(0, 1), (6, 7)]) == '<mark class="nd-term">a</mark> &lt;b&gt; <mark class="nd-term">c</mark>'
    assert reader.marked("abc", [(1, 2), (1, 3)]) == 'a<mark class="nd-term">b</mark>c'  # overlaps skipped


def test_the_article_view_highlights_the_span_and_marks_the_terms():
    start = TEXT.index(QUOTE)
    terms = qa.highlight_spans(TEXT, "interim Washington")
    html = reader.article_view(ARTICLE, (start, start + len(QUOTE)), terms, "Cited as [1]")
    tags = Tags(html)
    hit = [a for t, a in tags.tags if t == "mark" and a.get("id") == reader.HIT_ID]
    assert len(hit) == 1
    inner = html.split(f'id="{reader.HIT_ID}"', 1)[1].split("</mark></div>")[0]
    assert "Delcy Rodriguez" in inner and '<mark class="nd-term">interim</mark>' in inner
    assert '<mark class="nd-term">Washington</mark>' in html.split(reader.HIT_ID)[0]
    text = tags.all_text()
    assert TEXT.replace("\n", "") in text.replace("\n", "")  # every word, in order
    assert "Reuters · Jan 10, 2026" in text and "Cited as [1]" in text
    assert [a["href"] for t, a in tags.tags if t == "a"] == ["https://example.com/venezuela"]
    assert "/srv/data" not in html  # no server path


def test_a_file_article_shows_its_file_name_only():
    html = reader.article_view(ArticleText("a1", "T", "", "", "", "/srv/data/uploads/x.txt", "Body."))
    assert "x.txt" in html and "/srv" not in html and Tags(html).count("a") == 0


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_article_view_is_inert(payload):
    article = ArticleText("a1", payload, payload, "2026-01-10", "javascript:alert(1)", payload,
                          f"Before {payload} the quote {payload} after.")
    span = qa.locate_quote(article.text, f"the quote {payload}")
    assert_inert(reader.article_view(article, span, qa.highlight_spans(article.text, "quote"), payload), payload)


def _results(*hits, query="interim leader") -> SearchResults:
    return SearchResults(query, tuple(hits), ("interim", "leader"), 0.05)


def _hit(title="Venezuela interim leader named", url="https://example.com/v", passage="…took over as interim leader.",
         article_id="a1") -> SearchHit:
    spans = tuple(qa.highlight_spans(passage, "interim leader"))
    return SearchHit(article_id, title, "Reuters", "2026-01-10", url, "/srv/x.txt", 0.9, passage, spans,
                     "took over as interim leader.", 40, 68, 3, 2)


def test_results_list_each_article_with_marked_terms_and_a_link_that_opens_it():
    html = reader.results_view(_results(_hit(), _hit(title="Second", url="", article_id="a2")), "Articles from Reuters")
    tags = Tags(html)
    assert tags.count("li", "nd-result") == 2
    assert tags.count("mark", "nd-term") == 4 + 2  # passages, and the first title
    text = tags.all_text()
    assert "2 articles for “interim leader” · Articles from Reuters" in text and "Reuters · Jan 10, 2026" in text
    opens = [reader.parse_open_link(a["href"]) for t, a in tags.tags if t == "a" and "nd-open" in a.get("class", "")]
    assert opens == [reader.OpenRequest("a1", 40, 68, "took over as interim leader.", "interim leader"),
                     reader.OpenRequest("a2", 40, 68, "took over as interim leader.", "interim leader")]
    assert [a["href"] for t, a in tags.tags if t == "a" and "nd-open" not in a.get("class", "")] == \
        ["https://example.com/v"]
    assert "/srv" not in html


def test_no_results_say_so_with_the_filters():
    html = reader.results_view(_results(query="<b>x</b>"), "Articles from Reuters")
    assert "No article matches “&lt;b&gt;x&lt;/b&gt;” (Articles from Reuters)" in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_results_are_inert(payload):
    hit = _hit(title=payload, url="javascript:alert(1)", passage=f"interim {payload} leader")
    assert_inert(reader.results_view(_results(hit, query=payload)), payload)


# --- the handlers app.py calls ------------------------------------------------------------

SETTINGS = qa.Settings()


def test_search_page_passes_the_filters_and_shows_the_results(monkeypatch):
    calls = []

    def fake_search(query, **kwargs):
        calls.append((query, kwargs))
        return _results(_hit())

    monkeypatch.setattr(reader, "search", fake_search)
    html = reader.search_page("interim leader", "2026-01-01", "", ["Reuters"], SETTINGS)
    assert "1 article for “interim leader” · Articles published on or after 2026-01-01 from Reuters" in html
    (query, kwargs), = calls
    assert query == "interim leader" and kwargs["filters"] == qa.SearchFilters("2026-01-01", "", ("Reuters",))
    assert kwargs["k"] == reader.SEARCH_RESULTS and kwargs["settings"] is SETTINGS
    reader.search_page("x", "", "", [], SETTINGS)
    assert calls[-1][1]["filters"] is None


def test_search_page_shows_problems_as_messages(monkeypatch, caplog):
    assert "is not a date; use YYYY-MM-DD" in reader.search_page("leader", "01/02/2026", "", [], SETTINGS)
    assert "the search is empty" in reader.search_page("   ", "", "", [], SETTINGS.replace(index_dir="/nonexistent"))

    def broken(query, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(reader, "search", broken)
    html = reader.search_page("leader", "", "", [], SETTINGS)
    assert "nd-error" in html and "server log" in html and "secret" not in html
    assert "secret detail" in caplog.text


def test_open_article_highlights_the_cited_span_even_after_the_text_moved(monkeypatch):
    monkeypatch.setattr(reader, "article", lambda article_id, settings: ARTICLE)
    start = TEXT.index(QUOTE)
    fresh = reader.open_article(render.open_link("a1", start, start + len(QUOTE), QUOTE, n=2), SETTINGS)
    stale = reader.open_article(render.open_link("a1", 0, 10, QUOTE, n=2), SETTINGS)
    for html in (fresh, stale):
        hit = html.split(f'id="{reader.HIT_ID}" class="nd-quote nd-article-hit">')[1].split("</mark>")[0]
        assert hit == QUOTE and "Cited as [2]" in html
    paraphrase = reader.open_article(render.open_link("a1", quote="Trump spoke on Friday"), SETTINGS)
    assert 'nd-article-hit">Earlier on Friday, Trump spoke.</mark>' in paraphrase
    missing = reader.open_article(render.open_link("a1", quote="Apples and pears"), SETTINGS)
    assert reader.HIT_ID not in missing and "not found in the article" in missing
    searched = reader.open_article(render.open_link("a1", query="interim"), SETTINGS)
    assert 'Found by searching “interim”' in searched and '<mark class="nd-term">interim</mark>' in searched


def test_open_article_problems_are_messages(monkeypatch):
    assert "does not open an article" in reader.open_article("javascript:alert(1)", SETTINGS)

    def gone(article_id, settings):
        raise qa.InvalidInputError(f"no article {article_id!r} in the index")

    monkeypatch.setattr(reader, "article", gone)
    assert "no article &#x27;zz&#x27; in the index" in reader.open_article(render.open_link("zz"), SETTINGS)


def test_search_page_can_list_newest_first(monkeypatch):
    calls = []
    monkeypatch.setattr(reader, "search", lambda query, **kwargs: calls.append(kwargs) or _results(_hit()))
    reader.search_page("x", "", "", [], SETTINGS, newest_first=True)
    reader.search_page("x", "", "", [], SETTINGS, newest_first="yes")  # only a real True counts
    assert [c["newest_first"] for c in calls] == [True, False]


def test_each_footnote_under_an_answer_opens_its_article_at_the_quote():
    from tests.webui import factories as f

    tags = Tags(render.answer_message(f.answer()))
    opens = [reader.parse_open_link(a["href"]) for t, a in tags.tags if t == "a" and "nd-fn-open" in a.get("class", "")]
    assert [(o.article_id, o.quote, o.n) for o in opens] == [("a1", f.SEED_QUOTE, 1)]
