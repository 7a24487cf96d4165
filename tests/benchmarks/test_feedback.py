"""python -m benchmarks.feedback: marked answers -> a questions file benchmarks.eval_qa runs."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

import qa
from benchmarks import eval_qa
from benchmarks import feedback as fb_script
from tests.webui import factories as f
from webui import feedback, forms, turns

REPO = Path(__file__).resolve().parents[2]
ASKED = datetime(2026, 1, 12, 9, 30, tzinfo=timezone.utc)


def mark(path: Path, answer: qa.Answer, liked) -> dict:
    choice = forms.SearchChoice(qa.Settings(model="qwen2.5-0.5b"), 4, None, "")
    turn = turns.turn_record(answer, choice, 1, now=ASKED)
    feedback.append_feedback(path, feedback.feedback_entry(turn, liked))
    return turn


@pytest.fixture
def marks(tmp_path) -> Path:
    path = tmp_path / "data" / "feedback.jsonl"
    dated = qa.Answer(**{**f.answer("Delcy Rodriguez took over [1]. (Reported 2026-01-10 [1]: not recent news.)",
                                    question="And who leads now?").__dict__,
                         "dated": "(Reported 2026-01-10 [1]: not recent news.)",
                         "standalone_question": "Who leads Venezuela now?"})
    mark(path, dated, True)
    mark(path, f.abstention(), True)  # "the articles don't say", and rightly
    wrong = mark(path, f.answer("Nicolas Maduro still leads [1].", question="Who is in charge?"), False)
    changed = mark(path, f.answer(question="Changed my mind?"), True)
    feedback.append_feedback(path, feedback.feedback_entry(changed, ""))  # taken back
    with open(path, "ab") as fh:
        fh.write(b"{torn line\n")
    return path


def test_thumbs_up_become_questions_eval_qa_loads(marks, tmp_path, capsys):
    out = tmp_path / "bench" / "fb.jsonl"
    assert fb_script.main(["--feedback", str(marks), "--out", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "3 marked answers" in summary and "2 questions to run" in summary
    assert "1 to review (1 thumbs down)" in summary

    questions = eval_qa.load_questions(str(out))  # the loader eval_qa --questions uses
    assert len(questions) == 2
    answered, abstained = questions
    assert answered["question"] == "Who leads Venezuela now?"  # the follow-up's stand-alone form
    assert answered["answers"] == ["Delcy Rodriguez took over."] and answered["answerable"] is True
    assert eval_qa.contains("Delcy Rodriguez took over.", answered["answers"])
    assert abstained["answerable"] is False and abstained["answers"] == []
    for q in questions:
        assert eval_qa.question_date(q) == date(2026, 1, 12)
        assert {"id", "date", "question", "answers", "answerable"} <= set(q) and q["id"].startswith("feedback-")
    assert eval_qa.load_questions(str(out), since="2026-01-13") == []

    review = [json.loads(line) for line in (tmp_path / "bench" / "fb.review.jsonl").read_text().splitlines()]
    (down,) = review
    assert down["needs_review"] is True and down["answers"] == [] and down["question"] == "Who is in charge?"
    assert down["rejected_answer"] == "Nicolas Maduro still leads [1]."
    assert down["feedback"]["citations"][0]["quote"] == f.SEED_QUOTE


def test_default_feedback_file_is_the_data_directorys(marks, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(marks.parent))
    out = tmp_path / "q.jsonl"
    assert fb_script.main(["--out", str(out), "--review", str(tmp_path / "r.jsonl")]) == 0
    assert len(out.read_text().splitlines()) == 2 and (tmp_path / "r.jsonl").exists()


def test_no_feedback_file_is_a_readable_error(tmp_path, capsys):
    assert fb_script.main(["--feedback", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "q.jsonl")]) == 2
    assert "no feedback file at" in capsys.readouterr().err and not (tmp_path / "q.jsonl").exists()


@pytest.mark.slow
def test_eval_qa_runs_the_file_on_the_seed_index(tmp_path, capsys):
    """A real eval_qa run (retrieval only: the real embedder, the 0.5B model loaded but not asked)."""
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    path = tmp_path / "feedback.jsonl"
    mark(path, f.answer(question="Who became Venezuela's interim leader?"), True)
    questions = tmp_path / "fb.jsonl"
    assert fb_script.main(["--feedback", str(path), "--out", str(questions)]) == 0
    out = tmp_path / "run.jsonl"
    rc = eval_qa.main(["--corpus", str(tmp_path / "seeds"), "--questions", str(questions), "--index",
                       str(tmp_path / "index"), "--out", str(out), "--model", "qwen2.5-0.5b", "--retrieval-only"])
    assert rc == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["id"].startswith("feedback-") and row["answerable"] is True
    assert any("Delcy Rodriguez" in p["text"] for p in row["top5"])
    assert "questions (answerable / not)" in capsys.readouterr().out
