import pytest

from embeddings import InvalidInputError
from qa.question import validate_question


@pytest.mark.parametrize("question, fragment", [
    ("", "empty"),
    ("   \n\t ", "empty"),
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
