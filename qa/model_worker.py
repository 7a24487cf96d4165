"""One thread per local model that owns it: answers are jobs in its queue, and a job ends
when its reader closes the stream, when a Stop flag is set, or when nobody reads it any more.

Before this, ``stream`` held the model's lock across ``yield``: the lock was freed only when
the caller closed the iterator. Gradio closes a cancelled iterator only when it is
registered and not executing; a Stop that landed in between left it suspended and
referenced, the lock held, and every later question waiting for good (issue 19). Now no
lock is held across a reader's ``yield``: the worker thread runs the model and hands pieces
over a queue, and between two tokens it checks

- the job's own flag, set when the reader's iterator is closed (or garbage-collected);
- the caller's ``cancel`` event (the page's Stop sets it directly, whatever Gradio does);
- whether the reader still reads: pieces waiting untaken for ``abandoned_after_s`` mean a
  reader that was dropped without ``close()``; the job stops and the next one starts.

A stop takes effect at the next token. llama.cpp evaluates the prompt in ``n_batch``
(512-token) batches and cannot stop inside one: a Stop during prefill waits for the rest of
the prompt's evaluation (one batch for this project's ~400-token prompts), then one token.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["ABANDONED_AFTER_S", "ModelWorker"]

log = logging.getLogger(__name__)

#: A reader that leaves pieces untaken this long is gone: a live one (the chat, ``answer()``)
#: takes each piece within milliseconds, and even a slow client repaints every 50 ms.
ABANDONED_AFTER_S = 10.0

_PIECE, _ERROR, _END = "piece", "error", "end"
_POLL_S = 0.05  # how often a waiting reader looks at the Stop flag


@dataclass(eq=False)
class _Job:
    produce: Callable[[], Iterator[str]]
    external: threading.Event | None
    closed: threading.Event = field(default_factory=threading.Event)  # the reader is done
    out: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    put_at: list[float] = field(default_factory=list)  # when each piece was handed over
    taken: int = 0  # pieces the reader has taken

    def stopped(self) -> bool:
        return self.closed.is_set() or (self.external is not None and self.external.is_set())

    def put(self, piece: str) -> None:
        self.put_at.append(time.monotonic())
        self.out.put((_PIECE, piece))

    def abandoned(self, after_s: float) -> bool:
        """The oldest piece not yet taken has waited ``after_s``: a long prefill, when the
        reader is waiting rather than gone, never counts."""
        taken = self.taken
        return len(self.put_at) > taken and time.monotonic() - self.put_at[taken] > after_s


class ModelWorker:
    """Runs one model's jobs one at a time on its own daemon thread, in arrival order."""

    def __init__(self, name: str, abandoned_after_s: float = ABANDONED_AFTER_S) -> None:
        self.name = name
        self.abandoned_after_s = abandoned_after_s
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=f"model-{name}", daemon=True)
        self._thread.start()

    def stream(self, produce: Callable[[], Iterator[str]],
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Queue a job and return its pieces as they come.

        Args:
            produce: called on the worker thread when the job's turn comes; its iterator runs
                the model there and is closed there (a ``finally`` in it runs on that thread).
            cancel: set it to stop the job at the next token, from any thread.

        Returns:
            An iterator of pieces: it ends early when the job is stopped, and re-raises what
            ``produce`` raised. Closing it stops the job.
        """
        job = _Job(produce, cancel)
        self._jobs.put(job)
        reader = self._read(job)
        # A reader dropped before its first piece never runs its ``finally``: its collection
        # stops the job all the same.
        weakref.finalize(reader, job.closed.set)
        return reader

    @staticmethod
    def _read(job: _Job) -> Iterator[str]:
        try:
            while True:
                try:
                    kind, value = job.out.get(timeout=_POLL_S)
                except queue.Empty:
                    if job.stopped():
                        # Stopped mid-prefill: end the reader now; the worker drops the job at
                        # its next token. The page's Stop then completes at once, and Gradio
                        # takes the page's next question (it ignores one until then).
                        return
                    continue
                if kind == _PIECE:
                    job.taken += 1
                    yield value
                elif kind == _ERROR:
                    raise value
                else:
                    return
        finally:
            job.closed.set()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                self._run(job)
            except BaseException:  # noqa: BLE001 - the worker must outlive any one job
                log.exception("model worker %s: a job failed outside its stream", self.name)
            finally:
                job.out.put((_END, None))
                del job  # an idle worker must not keep the last job's model alive

    def _run(self, job: _Job) -> None:
        if job.stopped():
            return  # stopped while it waited its turn: the model never starts on it
        pieces = None
        try:
            pieces = job.produce()
            for piece in pieces:
                job.put(piece)
                if job.stopped():
                    break
                if job.abandoned(self.abandoned_after_s):
                    log.warning("model worker %s: nobody read the answer for %.0f s; stopped it",
                                self.name, self.abandoned_after_s)
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
            job.out.put((_ERROR, exc))
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # the model's own clean-up (llama.cpp's stream, the stats) runs here
