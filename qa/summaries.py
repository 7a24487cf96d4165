"""The briefing's summaries, made in the background: one story at a time, on the model the
answers use, only while no question is running (``qa.foreground``), newest briefing first.

``SUMMARIES.wake(settings)`` (whenever the briefing is shown, and so after a build or poll in
an open page) starts the thread if needed and has it look at once; once started it also looks
every ``LOOK_AGAIN_S`` by itself, so a background poll (``app.py --watch``) gets its summaries
too. A summary cut short by a question is made again once the question has ended.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from embeddings import NewsdeskError, Settings

from .briefing import SummaryCache, briefing, model_key, summarise
from .foreground import FOREGROUND, Foreground
from .generators import Generator
from .stories import update_stories

log = logging.getLogger("newsdesk.summaries")
PER_PASS = 20  # stories of the default briefing summarised per pass, biggest first
LOOK_AGAIN_S = 60.0  # once started, it also looks by itself: a poll in the background wakes no page


class BackgroundSummaries:
    def __init__(self, foreground: Foreground = FOREGROUND,
                 generator_factory: Callable[[Settings], Generator] | None = None) -> None:
        self._foreground = foreground
        self._generator_factory = generator_factory
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._settings: Settings | None = None
        self._since: str | None = None  # the period last shown: its stories go first
        self.working_on = ""  # the story being summarised, "" when idle
        self.last_error = ""
        self._stopping = False

    def wake(self, settings: Settings, since: str | None = None) -> None:
        """Look for stories to summarise (starting the thread the first time): those of the
        briefing since ``since`` (default: the default period), then the default briefing's."""
        with self._lock:
            self._settings = settings
            self._since = since
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="summaries", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self, timeout_s: float = 120.0) -> bool:
        """End the thread once the summary it is making is done; whether it ended in time.

        A process that serves one app never needs this (the thread is a daemon). One that
        serves several in turn does: the thread keeps summarising the last app's stories,
        both cores busy, while the next one starts (the tests: a later module's server
        answered its first request after more than 5 s). The next ``wake`` starts it again.
        """
        with self._lock:
            thread, self._stopping = self._thread, True
        self._wake.set()
        if thread is not None:
            thread.join(timeout_s)
        with self._lock:
            ended = thread is None or not thread.is_alive()
            if ended:
                self._thread, self._stopping = None, False
        return ended

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(LOOK_AGAIN_S)
            self._wake.clear()
            if self._stopping:
                return
            try:
                self._pass(self._settings, self._since)
            except NewsdeskError as exc:  # no index yet, no model: said once, tried at the next wake
                self.last_error = str(exc)
                log.warning("briefing summaries: %s", exc)
            except Exception:  # a bug must not end the thread: the next wake tries again
                log.exception("briefing summaries failed")
            finally:
                self.working_on = ""

    def _pass(self, settings: Settings, since: str | None) -> None:
        update_stories(settings)
        wanted = [item.story for item in briefing(since, settings=settings, limit=PER_PASS).stories]
        if since:
            wanted += [item.story for item in briefing(settings=settings, limit=PER_PASS).stories]
        done: set[str] = set()
        for story in wanted:
            if self._stopping:
                return
            if story.id in done or SummaryCache(settings).get(story, model_key(settings)) is not None:
                continue
            done.add(story.id)
            while True:
                self._foreground.wait_idle()
                with self._foreground.background() as cancel:
                    self.working_on = story.id
                    generator = self._generator_factory(settings) if self._generator_factory else None
                    if summarise(story, settings=settings, generator=generator, cancel=cancel) is not None \
                            or not cancel.is_set() or self._stopping:
                        break
                # cut short by a question: wait for it to end, then make it again
            self.last_error = ""


SUMMARIES = BackgroundSummaries()
