import pytest

from benchmarks.eval_qa import _charged_for_the_question_vector, contains, loosely_contains
from qa import Answer, Timings


def _answer(first_token_s: float, embed_s: float) -> Answer:
    return Answer(question="q", text="t", citations=(), passages=(), abstained=False, model="m",
                  timings=Timings(0.05, first_token_s, 2.0, {"embed_query": embed_s, "dense": 0.01}))


def test_an_answer_whose_question_vector_was_cached_is_charged_for_it():
    charged = _charged_for_the_question_vector(_answer(1.0, 0.0), 0.015).timings
    assert charged.stages == {"embed_query": 0.015, "dense": 0.01}
    assert (charged.retrieval_s, charged.first_token_s, charged.total_s) == (0.065, 1.015, 2.015)


def test_an_answer_that_embedded_its_question_is_left_alone_and_no_model_means_no_first_token():
    answer = _answer(1.0, 0.02)
    assert _charged_for_the_question_vector(answer, 0.015) is answer
    assert _charged_for_the_question_vector(_answer(0.0, 0.0), 0.015).timings.first_token_s == 0.0


@pytest.mark.parametrize("answer, gold", [
    ("Luka Doncic was traded this week [1].", "Luka Dončić"),
    ("The Philadelphia Eagles and Kansas City Chiefs will meet [1].", "Philadelphia Eagles & Kansas City Chiefs"),
    ("The Central Intelligence Agency offered buyouts [1].", "Central Intelligence Agency (CIA)"),
    ("The CIA offered buyouts [1].", "Central Intelligence Agency (CIA)"),
    ("The gold card visa would cost $5 million [1].", "$5,000,000"),
    ("It cost 2.5 billion dollars.", "2,500,000,000"),
])
def test_lenient_match_forgives_spelling_that_the_strict_one_does_not(answer, gold):
    assert loosely_contains(answer, [gold])
    assert not contains(answer, [gold])


@pytest.mark.parametrize("answer, gold", [
    ("A Boeing 747-8 was offered [1].", "A luxury jet to replace Air Force One"),  # a paraphrase: not a spelling
    ("The gold card visa would cost $5 [1].", "$5,000,000"),
    ("Agency offered buyouts.", "Central Intelligence Agency (CIA)"),
    ("The articles don't say.", "The"),  # a gold that normalises to nothing matches nothing
    ("It would cost $50 million [1].", "$5,000,000"),  # amounts are whole numbers, not digit strings
    ("It would cost $500 million [1].", "$5 million"),
    ("It cost $25 billion.", "$2.5 billion"),
    ("Special agents offered buyouts [1].", "Central Intelligence Agency (CIA)"),  # "cia" inside a word
    ("The summit was in France.", "Paris (France)"),  # a parenthesis that is not an abbreviation
])
def test_lenient_match_accepts_no_other_answer(answer, gold):
    assert not loosely_contains(answer, [gold])
