import pytest

from embeddings import InvalidInputError
from qa.question import validate_question


@pytest.mark.parametrize("question, fragment", [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("\x01\x02\x03", "empty"),
    ("\x00\x00", "empty"),
    ("\u200b\ufeff \x1b\x7f", "empty"),
    ("?!  ...", "letters or digits"),
    ("x" * 100_000, "100,000 characters"),
    ("¿Quién es la presidenta interina de Venezuela?", "English"),
    ("Qui est le nouveau président de la France ?", "English"),
    ("委内瑞拉的临时领导人是谁？", "English"),
])
def test_bad_questions_get_one_clear_message(question, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        validate_question(question, max_chars=2_000)


@pytest.mark.parametrize("question", ["Who is Le Pen?", "What is Die Hard about?", "Who won in São Paulo?"])
def test_english_questions_with_foreign_names_pass(question):
    assert validate_question(f"  {question} ", 2_000) == question


def test_control_characters_inside_a_question_are_dropped():
    assert validate_question("Who\x00 leads\x1b Venezuela?\u200b", 2_000) == "Who leads Venezuela?"


def test_a_question_pasted_with_its_links_keeps_the_words_not_the_markup():
    pasted = ('<a data-analytics-id="inline-link" href="https://theweek.com/tag/canada">Canada</a>&#39;s '
              'ex-prime minister <a href="https://theweek.com/tag/justin-trudeau">Justin Trudeau</a> wore '
              'what trainers to <b>King Charles</b>&#39; speech?')
    cleaned = validate_question(pasted, 10_000)
    assert cleaned == "Canada's ex-prime minister Justin Trudeau wore what trainers to King Charles' speech?"
    assert "theweek" not in cleaned and "href" not in cleaned
    assert validate_question("<p>Who won in Canada<br>Mexico</p>?", 1_000) == "Who won in Canada Mexico ?"
    # entities are decoded before control and format characters are dropped
    assert validate_question('<a href="x">Trump</a> &#x202e;said what&#8203; now?', 1_000) == "Trump said what now?"


@pytest.mark.parametrize("question", [
    "What does the <blink> tag do?",  # a tag named in a question, not wrapped around words
    "What does the <b> tag do?",
    "Is 3 < 4 > 2 true, and did AT&amp;T say so?",  # no markup: entities stay as typed
])
def test_angle_brackets_that_are_not_markup_stay(question):
    assert validate_question(question, 10_000) == question
