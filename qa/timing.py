"""Where an answer's time goes: wall seconds per named stage."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

# The stages of one answer, in the order they run (``Timings.stages`` keeps this order).
STAGES = ("rewrite", "embed_query", "dense", "bm25", "fetch", "rank", "prompt", "prefill", "decode", "cite")


class StageClock:
    """Adds up wall time per stage; a stage entered twice (two searches) is summed."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def stages(self) -> dict[str, float]:
        """Seconds per stage that ran, in ``STAGES`` order, rounded to 0.1 ms."""
        return {name: round(self.seconds[name], 4) for name in STAGES if name in self.seconds}
