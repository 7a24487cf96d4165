"""qa.search (ranked articles, no model), qa.article and locate_quote, and `python -m qa search`."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import qa
from embeddings import ChunkRecord, InvalidInputError, SearchFilters
from qa.cli import main
from qa.retrieve import Hit
from qa._search import best_per_article, best_sentence, snippet
from qa.text import content_terms, term_spans

from .conftest import VENEZUELA

REPO = Path(__file__).resolve().parents[2]
search_module = importlib.import_module("qa._search")
article_module = importlib.import_module("qa._article")


def _hit(cid: int, article: str, score: float, dense: float = 0.1, coverage: float = 1.0) -> Hit:
    chunk = ChunkRecord(cid, article, 0, 0, 4, "text", 1, f"title {article}", "", "", "", "")
    return Hit(chunk, score, dense, coverage)


def test_hits_are_grouped_per_article_each_by_its_best_chunk():
    hits = [_hit(1, "a", 0.9), _hit(2, "b", 0.8), _hit(3, "a", 0.7), _hit(4, "c", 0.6), _hit(5, "b", 0.1)]
    grouped = best_per_article(hits)
    assert [(best.chunk.id, [h.chunk.id for h in group]) for best, group in grouped] == \
        [(1, [1, 3]), (2, [2, 5]), (4, [4])]


@pytest.mark.parametrize("text, query, found", [
    ("Leaders met the interim leader.", "leader", ["Leaders", "leader"]),
    ("Venezuela's interim government", "venezuela", ["Venezuela's"]),
    ("The apples and an apple.", "apples", ["apples", "apple"]),
    ("the of and", "the", []),  # stopwords are never search terms
    ("", "leader", []),
])
def test_term_spans_find_every_form_of_a_search_word(text, query, found):
    spans = term_spans(text, frozenset(content_terms(query)))
    assert [text[a:b] for a, b in spans] == found


def test_best_sentence_holds_the_most_search_terms():
    text = "Apples were picked. The interim leader spoke. Delcy Rodriguez became interim leader on Friday."
    start, end = best_sentence(text, frozenset(content_terms("Rodriguez interim leader")))
    assert text[start:end] == "Delcy Rodriguez became interim leader on Friday."
    assert best_sentence(text, frozenset()) == (0, len("Apples were picked."))


def test_snippet_widens_the_sentence_and_marks_the_terms_at_their_places():
    text = " ".join(f"Filler sentence number {i} about nothing much." for i in range(30))
    text += " Delcy Rodriguez took over as interim leader. " + text
    i = text.index("Delcy")
    end = text.index(".", i) + 1
    passage, spans = snippet(text, i, end, frozenset(content_terms("interim leader")), size=160)
    assert passage.startswith("…") and passage.endswith("…") and len(passage) <= 200
    assert "Delcy Rodriguez took over as interim leader." in passage
    assert [passage[a:b] for a, b in spans] == ["interim", "leader"]


def test_a_sentence_longer_than_the_snippet_is_cut_around_its_first_term():
    text = "Words " * 200 + "the harvest record " + "more words " * 200
    passage, spans = snippet(text, 0, len(text), frozenset(content_terms("harvest")), size=120)
    assert len(passage) <= 125 and [passage[a:b] for a, b in spans] == ["harvest"]


def test_search_ranks_articles_with_the_best_passage_and_its_place_in_the_article(news_index, qa_settings):
    results = qa.search("interim leader of Venezuela", index=news_index, settings=qa_settings)
    assert results.hits and results.hits[0].title == "Venezuela looks to rebuild diplomatic ties with US"
    assert len({h.article_id for h in results.hits}) == len(results.hits)  # articles, not chunks
    top = results.hits[0]
    assert "Delcy Rodriguez, took over as interim leader" in top.passage
    marked = {top.passage[a:b].lower() for a, b in top.highlights}
    assert {"interim", "leader"} <= marked
    text = qa.article(top.article_id, index=news_index).text
    assert text[top.start:top.end] == top.quote and "interim leader" in top.quote
    assert results.hits == tuple(sorted(results.hits, key=lambda h: -h.score))
    data = json.loads(results.to_json())
    assert data["hits"][0]["highlights"][0] == list(top.highlights[0])


def test_search_applies_the_date_and_source_filters(news_index, qa_settings):
    only_ap = qa.search("harvest Venezuela leader", index=news_index, settings=qa_settings,
                        filters=SearchFilters(sources=("Associated Press",)))
    assert [h.source for h in only_ap.hits] == ["Associated Press"]
    from_2026 = qa.search("harvest Venezuela leader", index=news_index, settings=qa_settings,
                          filters=SearchFilters(date_from="2026-01-01"))
    assert [h.date[:4] for h in from_2026.hits] == ["2026"]


def test_a_word_no_article_holds_finds_nothing(news_index, qa_settings):
    assert qa.search("xylophone quasar", index=news_index, settings=qa_settings).hits == ()


def test_k_limits_the_articles(news_index, qa_settings):
    assert len(qa.search("harvest Venezuela", k=1, index=news_index, settings=qa_settings).hits) == 1


@pytest.mark.parametrize("query, message", [
    ("", "the search is empty"), ("   \n", "the search is empty"), ("?!…", "no letters or digits"),
    ("x" * 3000, "under 2,000 characters"), ("¿Quién es el presidente de la república?", "English"),
    (None, "must be text"),
])
def test_bad_queries_are_refused_with_one_message(news_index, qa_settings, query, message):
    with pytest.raises(InvalidInputError, match=message):
        qa.search(query, index=news_index, settings=qa_settings)


def test_search_loads_no_generation_model(news_index, qa_settings, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("search loaded a generation model")

    monkeypatch.setattr(importlib.import_module("qa.generators"), "get_generator", refuse)
    monkeypatch.setattr(importlib.import_module("qa._answer"), "get_generator", refuse)
    assert qa.search("interim leader", index=news_index, settings=qa_settings).hits


# --- the whole article ---------------------------------------------------------------------

QUOTE = "His vice president, Delcy Rodriguez, took over as interim leader."


def test_article_returns_the_cleaned_text_and_its_metadata(news_index):
    hit = qa.search("interim leader", index=news_index, settings=None).hits[0]
    found = qa.article(hit.article_id, index=news_index)
    assert found.title == "Venezuela looks to rebuild diplomatic ties with US" and found.source == "Reuters"
    assert found.date.startswith("2026-01-10") and QUOTE in found.text and found.path.endswith("venezuela.txt")


@pytest.mark.parametrize("article_id, message", [("nope", "no article 'nope'"), ("", "not an article id"),
                                                 ("x" * 500, "not an article id"), (None, "not an article id")])
def test_an_unknown_article_is_a_clear_message(news_index, article_id, message):
    with pytest.raises(InvalidInputError, match=message):
        qa.article(article_id, index=news_index)


TEXT = ("Washington and Caracas signalled cooperation. His vice president, Delcy Rodriguez, took over as\n"
        "interim leader. Earlier on Friday, Trump spoke.")


@pytest.mark.parametrize("quote, start, end, expected", [
    (QUOTE, -1, -1, None),  # not verbatim (a line break): found ignoring whitespace, below
    ("Earlier on Friday, Trump spoke.", 0, 5, "Earlier on Friday, Trump spoke."),  # stale span: found verbatim
    ("", TEXT.index("Earlier"), len(TEXT), "Earlier on Friday, Trump spoke."),  # a span alone is trusted
    ("WASHINGTON AND CARACAS SIGNALLED COOPERATION.", -1, -1, "Washington and Caracas signalled cooperation."),
    ("Rodriguez became the interim leader, Caracas said", -1, -1, None),  # paraphrase: best sentence, below
    ("Apple harvest prices fell", -1, -1, "nothing"),
    ("", -1, -1, "nothing"),
])
def test_locate_quote_checks_the_span_then_searches_then_falls_back_to_the_best_sentence(quote, start, end, expected):
    span = qa.locate_quote(TEXT, quote, start, end)
    if expected == "nothing":
        assert span is None
    elif expected is None:
        assert TEXT[span[0]:span[1]] == "His vice president, Delcy Rodriguez, took over as\ninterim leader."
    else:
        assert TEXT[span[0]:span[1]] == expected


def test_locate_quote_trusts_a_span_that_holds_the_quote():
    i = TEXT.index("Earlier")
    assert qa.locate_quote(TEXT, "Earlier on Friday, Trump spoke.", i, len(TEXT)) == (i, len(TEXT))


# --- the command line ------------------------------------------------------------------------

class FixedIndex:
    def __init__(self, index):
        self.index = index

    def get(self, settings):
        return self.index


@pytest.fixture
def cli_index(news_index, monkeypatch):
    """`python -m qa search` in this process, over the fake-embedder index."""
    monkeypatch.setattr(search_module, "INDEXES", FixedIndex(news_index))
    monkeypatch.setattr(article_module, "INDEXES", FixedIndex(news_index))
    return news_index


def test_cli_search_json_has_the_articles_passages_and_term_spans(cli_index, capsys):
    assert main(["search", "interim leader", "--json", "-k", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "interim leader" and data["terms"] == ["interim", "leader"]
    first = data["hits"][0]
    assert set(first) >= {"article_id", "title", "source", "date", "url", "path", "score", "passage", "highlights",
                          "quote", "start", "end"}
    assert [first["passage"][a:b] for a, b in first["highlights"]] == ["interim", "leader"]


def test_cli_search_text_marks_the_terms_and_gives_the_id_to_open(cli_index, capsys):
    assert main(["search", "interim leader"]) == 0
    out = capsys.readouterr().out
    assert "1. Venezuela looks to rebuild diplomatic ties with US" in out
    assert "**interim** **leader**" in out and "\033[" not in out  # not a terminal: Markdown bold
    article_id = out.split("id: ")[1].split()[0]
    assert main(["article", article_id]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Venezuela looks to rebuild diplomatic ties with US\nReuters · 2026-01-10")
    assert QUOTE in shown


def test_cli_search_filters(cli_index, capsys):
    assert main(["search", "harvest leader", "--json", "--source", "Associated Press"]) == 0
    assert [h["source"] for h in json.loads(capsys.readouterr().out)["hits"]] == ["Associated Press"]
    assert main(["search", "harvest leader", "--json", "--to", "2025-12-31"]) == 0
    assert [h["date"][:4] for h in json.loads(capsys.readouterr().out)["hits"]] == ["2025"]
    assert main(["search", "xylophone"]) == 0
    assert "No article matches “xylophone”." in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["search", ""], "the search is empty"),
    (["search", "leader", "--from", "01/02/2026"], "is not a date; use YYYY-MM-DD"),
    (["search", "leader", "--from", "2026-02-01", "--to", "2026-01-01"], "The date range is empty"),
    (["search", "leader", "-k", "0"], "-k 0 is out of range"),
    (["article", "nope"], "no article 'nope'"),
])
def test_cli_bad_input_is_one_line_and_exit_2(cli_index, capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def _run(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "qa", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_cli_without_an_index_says_how_to_build_one(tmp_path):
    for args in (["search", "interim leader"], ["article", "abc"]):
        run = _run(*args, "--index", str(tmp_path / "none"))
        assert run.returncode == 2, run.stderr
        assert "python -m embeddings build" in run.stderr and "Traceback" not in run.stderr


def test_cli_bad_query_needs_no_index(tmp_path):
    run = _run("search", "   ", "--index", str(tmp_path / "none"))
    assert run.returncode == 2 and run.stderr.strip() == \
        "error: the search is empty: type words to look for in the articles"


@pytest.mark.slow
def test_cli_search_on_a_real_index_loads_no_generation_model(tmp_path, real_embedder):
    """The packaged embedder, a real index of seeds/, `python -m qa search --json` in a new process."""
    from embeddings import Settings, build_index

    settings = Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "index")
    build_index([REPO / "seeds"], settings, embedder=real_embedder, progress=False)
    code = ("import json, sys\nfrom qa.cli import main\n"
            f"rc = main(['search', 'interim leader Venezuela', '--json', '--index', {str(settings.index_dir)!r}])\n"
            "import qa.generators\n"
            "print(json.dumps({'rc': rc, 'llama': 'llama_cpp' in sys.modules, 'models': len(qa.generators._cache)}),"
            " file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO)
    status = json.loads(run.stderr.strip().splitlines()[-1])
    assert status == {"rc": 0, "llama": False, "models": 0}, run.stderr
    data = json.loads(run.stdout)
    top = data["hits"][0]
    assert top["title"] == "Venezuela looks to rebuild diplomatic ties with US"
    assert "Rodr" in top["passage"] and top["highlights"]  # (speed: benchmarks/search_latency.py)


def test_newest_first_orders_the_matching_articles_by_date(news_index, qa_settings, capsys, cli_index):
    words = "harvest Venezuela leader apples"
    by_match = qa.search(words, index=news_index, settings=qa_settings)
    newest = qa.search(words, index=news_index, settings=qa_settings, newest_first=True)
    assert sorted(h.article_id for h in by_match.hits) == sorted(h.article_id for h in newest.hits)
    assert [h.date for h in newest.hits] == sorted((h.date for h in newest.hits), reverse=True)
    assert main(["search", words, "--json", "--newest"]) == 0
    assert [h["date"] for h in json.loads(capsys.readouterr().out)["hits"]] == [h.date for h in newest.hits]


def test_find_quote_is_verbatim_first_then_ignores_case_and_spacing():
    from qa import find_quote, locate_quote

    text = "The Mayor  said\nno. The mayor said no."
    assert find_quote(text, "The mayor said no.") == (20, 38)
    assert find_quote(text, "the MAYOR said no.") == (0, 19)
    assert find_quote(text, "absent words") is None
    assert locate_quote(text, "the MAYOR said no.") == find_quote(text, "the MAYOR said no.")


def test_first_per_article_keeps_order_and_skips():
    from types import SimpleNamespace as S

    from qa import first_per_article

    items = [S(article_id=a, n=i) for i, a in enumerate("abacb")]
    assert [x.n for x in first_per_article(items)] == [0, 1, 3]
    assert [x.n for x in first_per_article(items, skip={"a"})] == [1, 3]


@pytest.mark.parametrize("name", ["answer", "search", "article", "coverage"])
def test_no_function_shadows_its_module(name):
    module = importlib.import_module(f"qa._{name}")
    assert getattr(qa, name) is getattr(module, name) and callable(getattr(qa, name))
    assert f"qa.{name}" not in sys.modules
