"""Turn the answers marked in the web chat into an evaluation file for ``benchmarks.eval_qa``.

    python -m benchmarks.feedback [--feedback data/feedback.jsonl] --out bench-out/feedback.jsonl \
        [--review bench-out/feedback.review.jsonl]
    python -m benchmarks.eval_qa --questions bench-out/feedback.jsonl --index data/index \
        --corpus data/uploads --out bench-out/feedback-run.jsonl

Only each answer's last mark counts (a mark taken back drops the answer). Then:

- thumbs up, answered: a question whose gold answer is the answer that was given (its text
  without the [n] markers and the "not recent news" note), ``answerable: true``. ``contains``
  then asks for that whole answer again, a strict regression check; token F1 is the gentler
  one. Shorten ``answers`` to the key phrase to make it a fairer question.
- thumbs up on an abstention ("the articles don't say"): ``answerable: false``, so
  ``eval_qa`` counts a new abstention as right.
- thumbs down: no gold answer is known, so these go to ``--review`` (default: beside
  ``--out``, ``.review.jsonl``), same fields, ``answers: []``, ``needs_review: true`` and the
  rejected answer; once an editor writes the right answer into ``answers`` (and sets
  ``answerable``), the line can join the questions file.

Each question's ``date`` is the day it was asked, so ``eval_qa`` answers as of that day; a
follow-up is asked as its stand-alone rewrite. Filters the asker had set (dates, sources)
are kept under ``feedback`` but ``eval_qa`` does not apply them. ``--corpus`` is needed by
``eval_qa`` only to build a missing index; with the app's ``--index`` it is not read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from embeddings import Settings, atomic_write
from qa import strip_markers
from webui.feedback import DOWN, UP, feedback_path, latest_marks, read_feedback


def gold_answer(answer: dict) -> str:
    """The answer as a gold string: no [n] markers, no trailing "not recent news" note."""
    text = answer.get("text", "")
    dated = answer.get("dated", "")
    if dated and text.endswith(dated):
        text = text[: -len(dated)]
    return " ".join(strip_markers(text).split())


def question_row(mark: dict) -> dict:
    """One ``eval_qa`` question (its ``--questions`` JSONL format) from a feedback mark."""
    answer = mark.get("answer") or {}
    question = answer.get("standalone_question") or mark.get("question", "")
    up = mark.get("rating") == UP
    answered = not answer.get("abstained")
    row = {
        "id": f"feedback-{mark['answer_id'][:12]}",
        "date": (mark.get("asked_at") or mark.get("marked_at") or "")[:10],
        "source": "newsdesk-feedback",
        "question": question,
        "choices": [],
        "answers": [gold_answer(answer)] if up and answered else [],
        "answerable": answered if up else None,
        "feedback": {"rating": mark.get("rating"), "marked_at": mark.get("marked_at"),
                     "asked": mark.get("question", ""), "model": answer.get("model", ""),
                     "settings": mark.get("settings", {}),
                     "citations": [{k: c.get(k) for k in ("n", "title", "source", "date", "url", "file", "quote")}
                                   for c in answer.get("citations", [])]},
    }
    if not up:
        row.update(needs_review=True, rejected_answer=answer.get("text", ""))
    return row


def convert(marks: list[dict]) -> tuple[list[dict], list[dict]]:
    """(questions to run, questions to review) from the latest marks."""
    run, review = [], []
    for mark in marks:
        if not mark.get("question") or not (mark.get("asked_at") or mark.get("marked_at")):
            continue  # nothing to ask, or no date to ask it as of
        (run if mark.get("rating") == UP else review).append(question_row(mark))
    return run, review


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "w") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.feedback", description=__doc__.split("\n")[0])
    parser.add_argument("--feedback", type=Path,
                        help="the marks (default: feedback.jsonl in the data directory, NEWSDESK_DATA_DIR)")
    parser.add_argument("--out", type=Path, required=True, help="questions for eval_qa --questions (JSONL)")
    parser.add_argument("--review", type=Path, help="thumbs-down questions to review (default: beside --out)")
    args = parser.parse_args(argv)
    feedback = args.feedback or feedback_path(Settings.from_env().data_dir)
    if not feedback.is_file():
        print(f"error: no feedback file at {feedback}: mark answers with 👍/👎 in the web chat first, "
              f"or pass --feedback FILE", file=sys.stderr)
        return 2
    marks = latest_marks(read_feedback(feedback))
    run, review = convert(marks)
    review_path = args.review or args.out.with_name(args.out.name.removesuffix(".jsonl") + ".review.jsonl")
    _write(args.out, run)
    _write(review_path, review)
    downs = sum(m.get("rating") == DOWN for m in marks)
    print(f"{len(marks)} marked answers in {feedback}: {len(run)} questions to run -> {args.out}; "
          f"{len(review)} to review ({downs} thumbs down) -> {review_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
