"""Thumbs up / down stored in an append-only JSONL file (webui.feedback)."""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from datetime import datetime, timezone

import pytest

import qa
from tests.webui import factories as f
from webui import FeedbackError, feedback, forms, turns

MARKED = datetime(2026, 11, 29, 14, 5, tzinfo=timezone.utc)


def a_turn(question="Who leads?") -> dict:
    choice = forms.SearchChoice(qa.Settings(model="qwen2.5-0.5b"), 6, None, "")
    return turns.turn_record(f.answer(question=question), choice, 1)


def test_an_entry_holds_question_answer_citations_settings_and_time():
    turn = a_turn()
    entry = feedback.feedback_entry(turn, True, now=MARKED)
    assert entry["format"] == feedback.FORMAT and entry["rating"] == "up"
    assert entry["marked_at"] == "2026-11-29T14:05:00+00:00" and entry["answer_id"] == turn["id"]
    assert entry["question"] == "Who leads?" and entry["answer"]["citations"][0]["quote"] == f.SEED_QUOTE
    assert entry["settings"]["k"] == 6 and entry["settings"]["model"] == "qwen2.5-0.5b"
    assert "message_index" not in entry and entry["asked_at"] == turn["asked_at"]


@pytest.mark.parametrize("liked, rating", [(True, "up"), (False, "down"), ("", "cleared"), (None, "cleared"),
                                           ("Wrong source", "wrong source")])
def test_gradio_like_values_become_ratings(liked, rating):
    assert feedback.rating(liked) == rating


def test_marks_append_one_line_each_and_read_back(tmp_path):
    path = tmp_path / "data" / feedback.FEEDBACK_FILE  # the folder does not exist yet
    first, second = a_turn("One?"), a_turn("Two?")
    feedback.append_feedback(path, feedback.feedback_entry(first, True))
    feedback.append_feedback(path, feedback.feedback_entry(second, False))
    feedback.append_feedback(path, feedback.feedback_entry(first, ""))  # taken back
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["format"] == feedback.FORMAT for line in lines)
    entries = feedback.read_feedback(path)
    assert [e["rating"] for e in entries] == ["up", "down", "cleared"]
    latest = feedback.latest_marks(entries)
    assert [(e["question"], e["rating"]) for e in latest] == [("Two?", "down")]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_changed_mind_keeps_only_the_last_mark(tmp_path):
    path = tmp_path / "feedback.jsonl"
    turn = a_turn()
    for liked in (True, False, True):
        feedback.append_feedback(path, feedback.feedback_entry(turn, liked))
    (only,) = feedback.latest_marks(feedback.read_feedback(path))
    assert only["rating"] == "up"


def test_damaged_lines_are_skipped_with_a_warning_and_the_next_mark_starts_clean(tmp_path, caplog):
    path = tmp_path / "feedback.jsonl"
    feedback.append_feedback(path, feedback.feedback_entry(a_turn("Before?"), True))
    with open(path, "ab") as fh:
        fh.write(b'["not", "a mark"]\n\xff\xfe not utf-8\n{"format": "newsdesk-feedback/1", "rating": "up", "ques')
    feedback.append_feedback(path, feedback.feedback_entry(a_turn("After?"), False))  # after a torn write
    with caplog.at_level(logging.WARNING, logger="newsdesk.feedback"):
        entries = feedback.read_feedback(path)
    assert [e["question"] for e in entries] == ["Before?", "After?"]
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "line 2" in warned and "line 3" in warned and "line 4" in warned
    assert feedback.read_feedback(tmp_path / "none.jsonl") == []


def test_concurrent_marks_from_threads_never_interleave(tmp_path):
    path = tmp_path / "feedback.jsonl"
    big = a_turn("x" * 20_000)  # lines far over a pipe buffer: a torn write would show

    def mark(i):
        for j in range(10):
            feedback.append_feedback(path, {**feedback.feedback_entry(big, True), "answer_id": f"t{i}-{j}"})

    threads = [threading.Thread(target=mark, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = feedback.read_feedback(path)
    assert sorted(e["answer_id"] for e in entries) == sorted(f"t{i}-{j}" for i in range(8) for j in range(10))


def _mark_from_process(path: str, i: int) -> None:
    entry = feedback.feedback_entry(a_turn("y" * 50_000), False)
    for j in range(5):
        feedback.append_feedback(path, {**entry, "answer_id": f"p{i}-{j}"})


def test_concurrent_marks_from_processes_never_interleave(tmp_path):
    path = tmp_path / "feedback.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_mark_from_process, args=(str(path), i)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == 21
    assert sorted(json.loads(line)["answer_id"] for line in lines[:-1]) == sorted(
        f"p{i}-{j}" for i in range(4) for j in range(5))


def test_an_unwritable_place_is_a_readable_error(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(FeedbackError, match=r"Could not save the mark to .*feedback.jsonl.*writable"):
        feedback.append_feedback(blocker / feedback.FEEDBACK_FILE, feedback.feedback_entry(a_turn(), True))
