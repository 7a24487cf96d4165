"""Thumbs up / down on answers, kept in ``<data_dir>/feedback.jsonl``: one JSON line per
mark, with the question, the answer, its citations and the settings it was asked with
(``webui.turns``), when it was marked and how.

The file is append-only. Each mark is written with one ``write`` on a descriptor opened
``O_APPEND``, under an exclusive ``flock`` (other processes: a second app, the benchmark
script), then flushed and ``fsync``-ed, so marks from many sessions never interleave and a
crash loses at most the mark being written. If a crash did leave a torn last line, the next
mark starts on a new line, so the damage stays in that one line; readers skip a line that
does not parse, with a warning naming it.

Taking a mark back (clicking the same thumb again) appends a ``"cleared"`` mark; the last
mark of an answer counts (``latest_marks``).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from qa import NewsdeskError

from .turns import turn_at

log = logging.getLogger("newsdesk.feedback")

FEEDBACK_FILE = "feedback.jsonl"
FORMAT = "newsdesk-feedback/1"  # each line's "format": what readers check
UP, DOWN, CLEARED = "up", "down", "cleared"
_lock = threading.Lock()  # flock is per open file description: threads of one process need this too


class FeedbackError(NewsdeskError):
    """A mark that could not be saved; the message says where and what to do."""


def feedback_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / FEEDBACK_FILE


def rating(liked) -> str:
    """Gradio's like value as a rating: ``True`` up, ``False`` down, ``""``/``None`` (the
    mark taken back) cleared; any other option as its own text."""
    if liked is True:
        return UP
    if liked is False:
        return DOWN
    return str(liked).strip().lower() if liked else CLEARED


def feedback_entry(turn: dict, liked, now: datetime | None = None) -> dict:
    """The line to store for a mark on an answer (a ``webui.turns`` record)."""
    entry = {"format": FORMAT, "rating": rating(liked),
             "marked_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
             "answer_id": turn.get("id", "")}
    entry.update({k: v for k, v in turn.items() if k not in ("id", "message_index")})
    return entry


def append_feedback(path: str | Path, entry: dict) -> None:
    """Append one mark as a JSON line, safely (see the module's docstring).

    Raises:
        FeedbackError: the file cannot be written (a read-only or full disk, a folder in
            the way), naming it.
    """
    path = Path(path)
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not _ends_with_newline(path):
                    line = b"\n" + line  # a torn last line stays alone; this mark starts clean
                view = memoryview(line)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)  # also releases the flock
    except OSError as exc:
        raise FeedbackError(f"Could not save the mark to {path}: {exc.strerror or exc}. Check that the data "
                            f"folder is writable and has free space.") from None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def read_feedback(path: str | Path) -> list[dict]:
    """Every mark in the file, in the order written; ``[]`` when there is no file.

    A line that is not a JSON object of this format (a torn write, an edit gone wrong) is
    skipped with a warning naming its line number.
    """
    path = Path(path)
    if not path.exists():
        return []
    entries = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                log.warning("%s line %d is damaged and was skipped: %s", path, number, exc)
                continue
            if not isinstance(entry, dict) or entry.get("format") != FORMAT or not entry.get("answer_id"):
                log.warning("%s line %d is not a Newsdesk feedback mark and was skipped", path, number)
                continue
            entries.append(entry)
    return entries


def latest_marks(entries: Iterable[dict]) -> list[dict]:
    """The last mark of each answer, in the order of those last marks; answers whose last
    mark was taken back are left out."""
    latest: dict[str, dict] = {}
    for entry in entries:
        latest.pop(entry["answer_id"], None)  # so the dict's order is that of the last marks
        latest[entry["answer_id"]] = entry
    return [e for e in latest.values() if e.get("rating") != CLEARED]


def save_feedback(records: list[dict], message_index, liked, settings) -> str:
    """Store a thumbs up / down (or its withdrawal) on the answer at ``message_index``;
    returns what to tell the user, ``""`` when all went well.

    Raises:
        FeedbackError: the mark could not be written (the message says why).
    """
    turn = turn_at(records, message_index)
    if turn is None:
        return "Only finished answers can be marked."
    append_feedback(feedback_path(settings.data_dir), feedback_entry(turn, liked))
    return ""
