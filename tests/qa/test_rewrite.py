from qa.rewrite import accept_rewrite, needs_rewrite, rewrite_question
from tests.fakes import CannedGenerator

HISTORY = [("Who became Venezuela's interim leader?", "Delcy Rodriguez took over as interim leader [1].")]


def test_standalone_question_is_left_alone_without_calling_the_model():
    generator = CannedGenerator(["should not be used"])
    question = "What did Donald Trump say about Venezuela's prisoners?"
    assert rewrite_question(question, HISTORY, generator) == question
    assert generator.calls == []


def test_no_history_means_no_rewrite():
    assert not needs_rewrite("What did he say after that?", [])


def test_follow_up_is_rewritten_by_the_model():
    generator = CannedGenerator(["What did Delcy Rodriguez say after becoming interim leader?"])
    out = rewrite_question("What did she say after that?", HISTORY, generator)
    assert out == "What did Delcy Rodriguez say after becoming interim leader?"
    prompt = generator.calls[0][-1]["content"]
    assert "Delcy Rodriguez took over" in prompt and "[1]" not in prompt


def test_unusable_rewrite_falls_back_to_carrying_the_previous_question():
    assert accept_rewrite("And him?", "", HISTORY) == f"And him? ({HISTORY[0][0]})"
