"""Who goes first at the model: a user's question always does.

Background work that runs the model (the briefing's summaries) asks ``FOREGROUND.wait_idle``
before each run and runs under ``FOREGROUND.background()``, whose event is set the moment a
question starts (``stream_answer`` runs inside ``FOREGROUND.question()``). The model worker
stops a job at its next token once its cancel event is set, so the question waits for at most
one token of background work, or the rest of one prompt batch when the summary is still
reading its prompt (llama.cpp cannot stop inside a batch: 1.6 s for the 1.5B model, RESULTS.md
"Stop"), never for a whole summary.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator


class Foreground:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._questions = 0
        self._background: set[threading.Event] = set()

    @contextmanager
    def question(self) -> Iterator[None]:
        """Around a user's question: background model runs stop and wait until it ends."""
        with self._changed:
            self._questions += 1
            for event in self._background:
                event.set()
        try:
            yield
        finally:
            with self._changed:
                self._questions -= 1
                self._changed.notify_all()

    @property
    def busy(self) -> bool:
        return self._questions > 0

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no question is running; False if ``timeout`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._questions == 0, timeout)

    @contextmanager
    def background(self) -> Iterator[threading.Event]:
        """A cancel event for one background run, set when a question starts (or already set
        if one is running)."""
        event = threading.Event()
        with self._changed:
            if self._questions:
                event.set()
            self._background.add(event)
        try:
            yield event
        finally:
            with self._changed:
                self._background.discard(event)


FOREGROUND = Foreground()
