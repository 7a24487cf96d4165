from benchmarks.eval_qa import _charged_for_the_question_vector
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
