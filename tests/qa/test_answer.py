import json

import pytest

from embeddings import IndexNotFoundError, InvalidInputError, Settings
from qa import Answer, Retrieved, answer, stream_answer
from qa.cli import main as qa_main
from tests.fakes import CannedGenerator


def test_answer_cites_the_passage_that_supports_it(news_index, qa_settings):
    generator = CannedGenerator(["Delcy Rodriguez took over as interim leader."])
    result = answer("Who became Venezuela's interim leader?", settings=qa_settings, generator=generator,
                    index=news_index)
    assert not result.abstained
    assert result.text == "Delcy Rodriguez took over as interim leader [1]."
    (citation,) = result.citations
    assert "Delcy Rodriguez" in citation.quote
    article = news_index.article(citation.article_id)
    assert article.text[citation.start:citation.end] == citation.quote
    json.loads(result.to_json())


def test_an_answer_embeds_only_its_question_when_the_build_stored_sentence_vectors(news_index, qa_settings):
    # The question's vector serves the search and the prompt's sentence choice; the shown
    # passages' sentences were embedded by the build (issue 20: ~70 ms an answer).
    before = news_index.embedder.embedded
    result = answer("Who became Venezuela's interim leader?", settings=qa_settings,
                    generator=CannedGenerator(["Delcy Rodriguez took over as interim leader."]), index=news_index)
    assert result.passages and news_index.embedder.embedded - before == 1


def test_stream_yields_passages_then_tokens_then_the_answer(news_index, qa_settings):
    generator = CannedGenerator(["Delcy Rodriguez took over as interim leader."])
    events = list(stream_answer("Who became Venezuela's interim leader?", settings=qa_settings,
                                generator=generator, index=news_index))
    assert isinstance(events[0], Retrieved) and events[0].passages
    tokens = [e for e in events if isinstance(e, str)]
    assert len(tokens) > 1 and "".join(tokens).strip() == "Delcy Rodriguez took over as interim leader."
    assert isinstance(events[-1], Answer)


def test_unrelated_question_abstains_before_the_model_runs(news_index, qa_settings):
    generator = CannedGenerator(["France won."])
    result = answer("Who won the 1998 World Cup?", settings=qa_settings, generator=generator, index=news_index)
    assert result.abstained and result.citations == ()
    assert "don't say" in result.text
    assert generator.calls == []


def test_model_abstention_cites_nothing_and_lists_related_articles(news_index, qa_settings):
    generator = CannedGenerator(["The articles do not say."])
    result = answer("What did Venezuela's interim leader eat for breakfast?", settings=qa_settings,
                    generator=generator, index=news_index)
    assert result.abstained and result.citations == ()
    assert result.related and result.related[0].title.startswith("Venezuela")


def test_follow_up_is_rewritten_before_retrieval(news_index, qa_settings):
    generator = CannedGenerator(["What did Donald Trump say about the second wave of attacks?",
                                 "Trump said he had cancelled a planned second wave of attacks."])
    history = [("Who captured Maduro?", "A US military operation captured President Nicolas Maduro [1].")]
    result = answer("What did he say about the attacks?", history=history, settings=qa_settings,
                    generator=generator, index=news_index)
    assert result.standalone_question == "What did Donald Trump say about the second wave of attacks?"
    assert any("second wave" in c.quote for c in result.citations)


@pytest.mark.parametrize("question", ["", "   ", "y" * 100_000])
def test_bad_question_raises_documented_error(news_index, qa_settings, question):
    with pytest.raises(InvalidInputError):
        answer(question, settings=qa_settings, generator=CannedGenerator(["x"]), index=news_index)


def test_no_index_yet_names_the_build_command(qa_settings):
    with pytest.raises(IndexNotFoundError, match="python -m embeddings build"):
        answer("Who leads Venezuela?", settings=qa_settings, generator=CannedGenerator(["x"]))


def test_cli_reports_errors_in_one_line(tmp_path, capsys):
    code = qa_main(["Who leads Venezuela?", "--index", str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no index in") and err.count("\n") == 1
    assert qa_main(["   ", "--index", str(tmp_path)]) == 2


def test_answer_that_no_passage_supports_becomes_an_abstention(news_index, qa_settings):
    generator = CannedGenerator(["Brazil won it on penalties."])
    result = answer("Who became Venezuela's interim leader?", settings=qa_settings, generator=generator,
                    index=news_index)
    assert result.abstained and result.citations == ()
    assert generator.calls  # the model ran; its unsupported answer was not passed on


def test_an_answer_from_old_news_says_when_it_was_reported(news_index, qa_settings):
    from datetime import date

    question = "Who became Venezuela's interim leader?"
    recent = answer(question, settings=qa_settings, index=news_index, as_of=date(2026, 1, 12),
                    generator=CannedGenerator(["Delcy Rodriguez took over as interim leader."]))
    old = answer(question, settings=qa_settings, index=news_index, as_of=date(2027, 6, 1),
                 generator=CannedGenerator(["Delcy Rodriguez took over as interim leader."]))
    assert recent.dated == "" and recent.text == "Delcy Rodriguez took over as interim leader [1]."
    date_of_source = recent.citations[0].date
    assert date_of_source.startswith("2026-01")
    assert old.dated == (f"No article from the last 30 days (since 2027-05-02) covers this. "
                         f"The latest coverage, from {date_of_source[:10]}, says:")
    assert old.text == old.dated + " Delcy Rodriguez took over as interim leader [1]."
    assert (old.as_of, old.recent_days) == ("2027-06-01", 30)


def test_a_question_about_the_past_is_not_flagged_as_old_news(news_index, qa_settings):
    from datetime import date

    result = answer("Who became Venezuela's interim leader in 2026?", settings=qa_settings, index=news_index,
                    as_of=date(2027, 6, 1), generator=CannedGenerator(["Delcy Rodriguez took over as interim leader."]))
    assert result.dated == "" and not result.abstained


def test_stale_answers_abstain_says_no_recent_article_covers_it(news_index, qa_settings):
    from datetime import date

    result = answer("Who became Venezuela's interim leader?", settings=qa_settings.replace(stale_answers="abstain"),
                    index=news_index, as_of=date(2027, 6, 1),
                    generator=CannedGenerator(["Delcy Rodriguez took over as interim leader."]))
    assert result.abstained and result.citations == ()
    assert result.text == "The articles don't say: no article from the last 30 days (since 2027-05-02) covers this."


def test_stale_answers_setting_is_checked():
    with pytest.raises(InvalidInputError, match="NEWSDESK_STALE_ANSWERS='sometimes' is not one of flag, abstain"):
        Settings.from_env(environ={"NEWSDESK_STALE_ANSWERS": "sometimes"})


def test_cli_as_of_must_be_a_date(tmp_path, capsys):
    assert qa_main(["Who leads Venezuela?", "--index", str(tmp_path), "--as-of", "someday"]) == 2
    assert "--as-of 'someday' is not a date" in capsys.readouterr().err


def test_timings_break_the_answer_into_its_stages(news_index, qa_settings):
    generator = CannedGenerator(["Delcy Rodriguez took over as interim leader."])
    timings = answer("Who became Venezuela's interim leader?", settings=qa_settings, generator=generator,
                     index=news_index).timings
    assert list(timings.stages) == ["embed_query", "dense", "bm25", "fetch", "rank", "prompt", "prefill",
                                    "decode", "cite"]
    assert all(s >= 0 for s in timings.stages.values())
    assert sum(timings.stages.values()) <= timings.total_s + 1e-3
    retrieval = sum(timings.stages[s] for s in ("embed_query", "dense", "bm25", "fetch", "rank"))
    assert retrieval <= timings.retrieval_s + 1e-3


def test_an_early_abstention_times_only_retrieval(news_index, qa_settings):
    stages = answer("Who won the 1998 World Cup?", settings=qa_settings, generator=CannedGenerator(["x"]),
                    index=news_index).timings.stages
    assert list(stages) == ["embed_query", "dense", "bm25", "fetch", "rank"]
