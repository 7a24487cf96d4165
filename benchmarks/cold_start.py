"""Cold start: how long a new process takes to its first answer, phase by phase, and how
long `python app.py` takes until it is ready to answer.

    python -m benchmarks.cold_start --index /work/idx/q1 [--model qwen2.5-1.5b] [--runs 3]

Rows (each in a fresh process, model files already joined in the cache, median of --runs):
- `answer()`: import qa, then the first answer() with nothing loaded: what a script pays.
- `warm_up() + answer()`: qa.warm_up() first (model and embedder load in parallel, the
  system prompt evaluated), then the answer: what the web app pays before and after ready.
- `python app.py`: from the process start to the "ready to answer" log line, to the server
  accepting connections, and the first /ask answer's own seconds once ready.
Target: `python app.py` ready to answer <= 8 s after start.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._common import free_port, log, machine_note, table, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Who is the president of the United States?"
TARGET_READY_S = 8.0

# Runs in the child: phase marks (seconds from interpreter start) as one JSON line.
PHASES = """
import json, sys, time
t0 = time.perf_counter()
marks = {}
import qa
marks["import qa"] = time.perf_counter() - t0
if sys.argv[1] == "warm":
    qa.warm_up()
    marks["warm_up() done"] = time.perf_counter() - t0
started = time.perf_counter()
result = qa.answer(sys.argv[2])
marks["first answer done"] = time.perf_counter() - t0
marks["answer's own s"] = time.perf_counter() - started
marks["first token (answer's own)"] = result.timings.first_token_s
print(json.dumps(marks))
"""


def run_phases(mode: str, env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PHASES, mode, QUESTION], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"the {mode} child failed:\n{done.stderr[-3000:]}")
    marks = json.loads(done.stdout.strip().splitlines()[-1])
    marks["process wall (incl. interpreter)"] = wall
    return marks


def run_app(env: dict) -> dict:
    from gradio_client import Client

    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    marks: dict[str, float] = {}
    try:
        for line in proc.stderr:
            if "ready to answer" in line:
                marks["ready to answer (log line)"] = time.perf_counter() - started
                break
        else:
            raise SystemExit("app.py exited before it was ready")
        wait_for_port(port)  # the server may still be starting
        marks["server accepting"] = time.perf_counter() - started
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        asked = time.perf_counter()
        result = client.predict(QUESTION, api_name="/ask")
        marks["first /ask answer's own s"] = time.perf_counter() - asked
        marks["first token (answer's own)"] = result["timings"]["first_token_s"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return marks


def median_rows(runs: list[dict]) -> list[list]:
    return [[name, statistics.median(r[name] for r in runs), min(r[name] for r in runs),
             max(r[name] for r in runs)] for name in runs[0]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cold_start", description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index directory to answer from")
    parser.add_argument("--model", default=None, help="default: the settings' model")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("answer", "warm", "app"), action="append",
                        help="run only these rows (repeatable)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    env = {**os.environ, "NEWSDESK_INDEX_DIR": str(args.index.resolve()),
           "NEWSDESK_DATA_DIR": str(args.index.resolve().parent)}
    if args.model:
        env["NEWSDESK_MODEL"] = args.model
    note = machine_note()
    results: dict[str, list[dict]] = {}
    for name in args.only or ("answer", "warm", "app"):
        runs = []
        for i in range(args.runs):
            log(f"{name}: run {i + 1}/{args.runs}")
            runs.append(run_app(env) if name == "app" else run_phases(name, env))
        results[name] = runs
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    titles = {"answer": "answer() in a new process (nothing loaded)",
              "warm": "warm_up(), then answer(), in a new process",
              "app": "python app.py"}
    for name, runs in results.items():
        print(table(["phase (s from process start, unless 'own')", "median", "min", "max"], median_rows(runs),
                    title=f"{titles[name]}: {len(runs)} runs"))
        print()
    if "app" in results:
        ready = statistics.median(r["ready to answer (log line)"] for r in results["app"])
        print(f"python app.py ready to answer after {ready:.1f} s (target <= {TARGET_READY_S:.0f} s: "
              f"{'met' if ready <= TARGET_READY_S else 'MISSED'})")
    print(f"index {args.index}; {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
