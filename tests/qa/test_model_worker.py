"""The model's worker thread: Stop, close and a dropped reader each free the model for the
next answer; nothing here depends on a caller closing its iterator."""

from __future__ import annotations

import gc
import threading
import time

import pytest

from qa.model_worker import ModelWorker

BOUND_S = 5.0  # every wait below ends long before this unless the worker is stuck


class CountingModel:
    """Produces ``n`` pieces, one per ``every_s``; records which runs finished their clean-up."""

    def __init__(self, every_s: float = 0.01) -> None:
        self.every_s = every_s
        self.closed: list[str] = []
        self.produced: dict[str, int] = {}
        self.running = threading.Event()

    def produce(self, name: str, n: int = 1000):
        def pieces():
            self.produced[name] = 0
            try:
                for i in range(n):
                    self.running.set()
                    time.sleep(self.every_s)
                    self.produced[name] += 1
                    yield f"{name}{i} "
            finally:
                self.closed.append(name)
        return pieces


def take(stream, n: int) -> list[str]:
    return [next(stream) for _ in range(n)]


def finish_within(stream, seconds: float = BOUND_S) -> str:
    out: list[str] = []
    done = threading.Event()

    def read():
        out.extend(stream)
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(seconds), "the next answer never finished: the model is still held"
    return "".join(out)


def test_pieces_arrive_in_order_and_the_stream_ends():
    model = CountingModel(every_s=0)
    worker = ModelWorker("t")
    assert list(worker.stream(model.produce("a", 3))) == ["a0 ", "a1 ", "a2 "]
    assert model.closed == ["a"]


def test_jobs_run_one_at_a_time_in_arrival_order():
    model = CountingModel(every_s=0.005)
    worker = ModelWorker("t")
    first, second = worker.stream(model.produce("a", 5)), worker.stream(model.produce("b", 5))
    assert finish_within(second).startswith("b0")  # waits its turn, then runs
    assert "".join(first) == "a0 a1 a2 a3 a4 "
    assert model.closed == ["a", "b"]


def test_closing_the_stream_stops_the_model_at_the_next_piece():
    model = CountingModel()
    worker = ModelWorker("t")
    stream = worker.stream(model.produce("a"))
    take(stream, 2)
    stream.close()
    assert finish_within(worker.stream(model.produce("b", 3))) == "b0 b1 b2 "
    assert model.closed[0] == "a" and model.produced["a"] < 20


def test_the_cancel_flag_stops_a_stream_nobody_is_reading():
    model = CountingModel()
    worker = ModelWorker("t")
    cancel = threading.Event()
    stream = worker.stream(model.produce("a"), cancel)
    take(stream, 1)
    cancel.set()  # the page's Stop: the reader is suspended, never closed
    assert finish_within(worker.stream(model.produce("b", 2))) == "b0 b1 "
    assert model.produced["a"] < 20
    assert "".join(stream).count("a") < 20  # what was handed over before the Stop, then the end


def test_a_stream_cancelled_before_its_turn_never_runs():
    model = CountingModel()
    worker = ModelWorker("t")
    first = worker.stream(model.produce("a", 20))
    cancel = threading.Event()
    second = worker.stream(model.produce("b"), cancel)
    cancel.set()
    assert "".join(first).startswith("a0")
    assert list(second) == []
    assert "b" not in model.produced


def test_a_stream_abandoned_without_close_does_not_block_the_next_answer():
    model = CountingModel(every_s=0.01)
    worker = ModelWorker("t", abandoned_after_s=0.3)
    kept = [worker.stream(model.produce("a"))]  # referenced, suspended, never closed
    take(kept[0], 1)
    assert finish_within(worker.stream(model.produce("b", 2))) == "b0 b1 "
    assert model.produced["a"] < 200  # stopped after ~0.3 s, not after its 1000 pieces


def test_a_dropped_stream_is_stopped_when_it_is_collected():
    model = CountingModel()
    worker = ModelWorker("t")  # the default 10 s: only the close on collection can be quick
    stream = worker.stream(model.produce("a"))
    take(stream, 1)
    del stream
    gc.collect()
    assert finish_within(worker.stream(model.produce("b", 2))) == "b0 b1 "


def test_a_slow_first_piece_is_not_mistaken_for_a_dropped_reader():
    model = CountingModel(every_s=0.5)  # a long prefill: nothing to take for a while
    worker = ModelWorker("t", abandoned_after_s=0.2)
    assert "".join(worker.stream(model.produce("a", 3))) == "a0 a1 a2 "


def test_errors_reach_the_reader_and_the_worker_goes_on():
    def failing():
        yield "x"
        raise ValueError("boom")

    worker = ModelWorker("t")
    stream = worker.stream(failing)
    assert next(stream) == "x"
    with pytest.raises(ValueError, match="boom"):
        next(stream)
    assert "".join(worker.stream(CountingModel(0).produce("b", 2))) == "b0 b1 "


def test_a_stream_dropped_before_its_first_piece_is_stopped_when_collected():
    model = CountingModel()
    worker = ModelWorker("t")
    worker.stream(model.produce("a"))  # never read, dropped at once
    gc.collect()
    assert finish_within(worker.stream(model.produce("b", 2))) == "b0 b1 "
    assert model.produced.get("a", 0) < 200
