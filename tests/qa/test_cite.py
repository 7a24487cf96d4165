from qa.cite import check_citations, is_abstention, parse_claims
from qa.types import Passage


def _passage(n: int, text: str, start: int = 100) -> Passage:
    return Passage(n=n, chunk_id=n, article_id=f"a{n}", title=f"Title {n}", source="Reuters", date="2026-01-10",
                   url=f"https://example.com/{n}", path=f"p{n}.txt", text=text, start=start,
                   end=start + len(text), shown=text, score=1.0)


PASSAGES = [
    _passage(1, "Orchards picked more apples than ever. Prices fell by a tenth."),
    _passage(2, "Maduro was captured. His vice president, Delcy Rodriguez, took over as interim leader."),
    _passage(3, "Trump said he had cancelled a planned second wave of attacks."),
]


def test_valid_marker_is_kept_and_renumbered_to_first_use():
    checked = check_citations("Delcy Rodriguez took over as interim leader [2].", PASSAGES)
    assert checked.text == "Delcy Rodriguez took over as interim leader [1]."
    assert [c.article_id for c in checked.citations] == ["a2"]


def test_marker_pointing_at_no_passage_is_replaced_by_supporting_passage():
    checked = check_citations("Delcy Rodriguez took over as interim leader [7].", PASSAGES)
    assert "[7]" not in checked.text
    assert [c.article_id for c in checked.citations] == ["a2"]


def test_wrong_citation_is_repaired():
    checked = check_citations("Trump cancelled a second wave of attacks [1].", PASSAGES)
    assert [c.article_id for c in checked.citations] == ["a3"]


def test_uncited_sentence_gets_best_passage():
    checked = check_citations("Prices fell by a tenth.", PASSAGES)
    assert checked.text == "Prices fell by a tenth [1]."
    assert checked.citations[0].article_id == "a1"


def test_unsupported_sentence_is_flagged_and_cites_nothing():
    checked = check_citations("The moon landing happened in 1969 [2].", PASSAGES)
    assert checked.citations == ()
    assert checked.unsupported == ("The moon landing happened in 1969.",)
    assert "[" not in checked.text


def test_only_cited_passages_become_citations():
    checked = check_citations("Delcy Rodriguez became interim leader [2]. Trump cancelled the attacks [3].", PASSAGES)
    assert [c.n for c in checked.citations] == [1, 2]
    assert [c.article_id for c in checked.citations] == ["a2", "a3"]


def test_quote_is_the_supporting_sentence_with_its_article_span():
    checked = check_citations("Delcy Rodriguez took over as interim leader [2].", PASSAGES)
    c = checked.citations[0]
    assert c.quote == "His vice president, Delcy Rodriguez, took over as interim leader."
    offset = PASSAGES[1].text.index(c.quote)
    assert (c.start, c.end) == (100 + offset, 100 + offset + len(c.quote))


def test_pointer_sentence_merges_into_the_claim_before_it():
    claims = parse_claims("Trump cancelled the second wave of attacks. This is stated in [3].")
    assert claims == [("Trump cancelled the second wave of attacks.", [3])]


def test_markers_after_the_full_stop_belong_to_that_sentence():
    claims = parse_claims("Rodriguez leads. [2] Trump cancelled attacks. [3]")
    assert claims == [("Rodriguez leads.", [2]), ("Trump cancelled attacks.", [3])]


def test_abstention_phrases():
    assert is_abstention("The articles do not say.")
    assert is_abstention("The passages don't mention the winner.")
    assert is_abstention("")
    assert not is_abstention("Delcy Rodriguez took over as interim leader [2].")


def test_quote_prefers_a_sentence_the_model_was_shown():
    text = "Delcy Rodriguez spoke on Monday. Delcy Rodriguez took over as interim leader."
    passage = Passage(n=1, chunk_id=1, article_id="a", title="T", source="", date="", url="", path="p",
                      text=text, start=0, end=len(text), shown="Delcy Rodriguez spoke on Monday.", score=1.0)
    checked = check_citations("Delcy Rodriguez took over.", [passage])
    assert checked.citations[0].quote == "Delcy Rodriguez spoke on Monday."


SUMMIT = [
    _passage(1, "Leaders met for the summit this week. The talks ran late into the night."),
    _passage(2, "France hosted the summit in Nice. Leaders met for three days."),
]


def test_a_name_the_cited_passage_lacks_moves_the_citation_to_the_passage_that_has_it():
    # Passage 1 shares most words with the answer because the answer restates the question.
    checked = check_citations("The country that hosted the summit this week was France [1].", SUMMIT,
                              "Which country hosted the summit this week?")
    assert [c.article_id for c in checked.citations] == ["a2"]
    assert checked.citations[0].quote == "France hosted the summit in Nice."


def test_a_name_no_passage_holds_is_flagged_not_cited():
    checked = check_citations("The country that hosted the summit this week was Italy [1].", SUMMIT,
                              "Which country hosted the summit this week?")
    assert checked.citations == ()
    assert checked.unsupported == ("The country that hosted the summit this week was Italy.",)


def test_a_number_no_passage_holds_is_flagged():
    checked = check_citations("Leaders met for five days [2].", SUMMIT, "How long did leaders meet?")
    assert checked.citations == ()
    checked = check_citations("Leaders met for 3 days [2].", SUMMIT, "How long did leaders meet?")
    assert [c.article_id for c in checked.citations] == ["a2"]


def test_the_quote_is_the_sentence_holding_the_answers_name():
    passage = _passage(1, "Leaders met for the summit in Nice this week. France hosted the summit.")
    checked = check_citations("The summit this week was hosted by France [1].", [passage],
                              "Who hosted the summit this week?")
    assert checked.citations[0].quote == "France hosted the summit."
