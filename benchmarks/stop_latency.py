"""How soon a Stop frees the model: the answer's reader ends, then the next answer may start.

    python -m benchmarks.stop_latency [--model qwen2.5-1.5b] [--repeats 5]

A real answer-sized prompt (the system prompt, ~300 tokens of passages from seeds/, a
question) is streamed by the packaged model; its ``cancel`` event is set at a chosen moment:

- ``prefill``: halfway through the prompt's evaluation (timed on a first, unstopped run).
  llama.cpp evaluates a prompt in ``n_batch`` (512-token) batches and cannot stop inside
  one, so the model is free only when the batch ends: about the prefill's other half.
- ``mid-stream``: after the fifth piece; the model stops at its next token.

"reader ended" is Stop until the caller's stream ends (what the page waits for: the answer's
own last repaint); "model free" is Stop until the model's worker starts the next job.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

from benchmarks._common import log, machine_note, table

REPO = Path(__file__).resolve().parents[1]
QUESTION = "What did the Venezuelan government say about diplomatic ties with the United States?"


def answer_messages(generator, passage_tokens: int = 300) -> list[dict[str, str]]:
    from qa.prompt import SYSTEM_PROMPT

    words = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt"))).split()
    n = len(words)
    while n > 10 and generator.count_tokens(" ".join(words[:n])) > passage_tokens:
        n = int(n * 0.9)
    user = f"Passages:\n[1] (Seed article) {' '.join(words[:n])}\n\nQuestion: {QUESTION}\nAnswer:"
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def first_piece_s(generator, messages) -> float:
    started = time.perf_counter()
    stream = generator.stream(messages, 64)
    next(stream)
    took = time.perf_counter() - started
    stream.close()
    return took


def stop_once(generator, messages, moment: str, prefill_s: float) -> tuple[float, float]:
    """Seconds from Stop to the reader's end, and to the next job's start."""
    cancel = threading.Event()
    stream = generator.stream(messages, 256, cancel=cancel)
    if moment == "prefill":
        ended = threading.Event()
        threading.Thread(target=lambda: (list(stream), ended.set()), daemon=True).start()
        time.sleep(prefill_s / 2)
        stopped = time.perf_counter()
        cancel.set()
        ended.wait()
    else:
        for _ in range(5):
            next(stream)
        stopped = time.perf_counter()
        cancel.set()
        list(stream)
    reader_s = time.perf_counter() - stopped
    began: list[float] = []

    def mark():
        began.append(time.perf_counter())
        yield ""

    # The worker is private to the generator: a job of our own shows when it is free.
    list(generator._worker.stream(mark))
    return reader_s, began[0] - stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from qa import Settings
    from qa.generators import get_generator

    note = machine_note()
    generator = get_generator(args.model, Settings.from_env())
    messages = answer_messages(generator)
    prompt_tokens = generator.count_tokens(messages[0]["content"] + messages[1]["content"])
    # Each run forgets all but the system turn, so every run evaluates the same user turn.
    first_piece_s(generator, messages)  # evaluates the system turn once
    prefill_s = statistics.median(first_piece_s(generator, messages) for _ in range(3))
    log(f"{args.model}: ~{prompt_tokens} prompt tokens, first piece after {prefill_s:.2f} s")
    rows = []
    for moment in ("prefill", "mid-stream"):
        runs = [stop_once(generator, messages, moment, prefill_s) for _ in range(args.repeats)]
        readers, frees = [r for r, _ in runs], [f for _, f in runs]
        rows.append([moment, args.repeats, statistics.median(readers) * 1000, max(readers) * 1000,
                     statistics.median(frees) * 1000, max(frees) * 1000])
    print(table(["Stop lands", "runs", "reader ended p50 ms", "max ms", "model free p50 ms", "max ms"], rows,
                title=f"Stop latency, {args.model}, first piece {prefill_s:.2f} s after the question "
                      f"(~{prompt_tokens} prompt tokens); {note}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
