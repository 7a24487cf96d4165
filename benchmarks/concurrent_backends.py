"""Concurrent clients: the local model against an OpenAI-compatible server (issue 8).

    python -m benchmarks.concurrent_backends --llm-url http://127.0.0.1:8080/v1 --llm-model qwen \\
        [--index data/index] [--clients 4] [--questions 3] [--model qwen2.5-0.5b]
    python -m benchmarks.concurrent_backends --serve-gguf   # no server at hand: see below

``--clients`` threads each ask ``--questions`` questions one after another, through
``qa.stream_answer`` behind a semaphore of ``webui.answer_concurrency(settings, web)`` slots: what
the web app's answer queue lets through (1 for the local model, 4 with a server). Rows, per
backend: answers per minute over the whole run, and time to first token (p50, p90) counted
from the moment a client asks, so time waiting for a queue slot is included, as a user
waits for it.

``--serve-gguf`` starts llama-cpp-python's own server (``python -m llama_cpp.server``) with
the packaged ``--model`` on this machine: a real OpenAI-compatible server, but one with a
single llama.cpp context, so it runs one reply at a time; on the same 2 cores it cannot be
faster than the local model. The table shows what changes: the app hands the server 4
questions at once instead of queueing them. For a server that batches, run vLLM or
``llama-server --parallel 4`` on another machine or a GPU and pass ``--llm-url``.
Without ``--index`` the seed articles are indexed into a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from benchmarks._common import log, machine_note, table
from benchmarks.llama_server import LlamaServer

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = (
    "Who became Venezuela's interim leader?",
    "Why did US officials travel to Caracas?",
    "What did Trump say about political prisoners in Venezuela?",
    "What happened to Nicolas Maduro?",
)


def run_clients(settings, clients: int, questions: int) -> dict:
    """``clients`` threads asking ``questions`` each through the app's answer-queue limit."""
    import qa
    from webui import WebSettings, answer_concurrency

    slots = threading.Semaphore(answer_concurrency(settings, WebSettings.from_env()))
    ttfts: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        for j in range(questions):
            question = QUESTIONS[(i + j) % len(QUESTIONS)]
            asked = time.perf_counter()
            first = None
            try:
                with slots:
                    for event in qa.stream_answer(question, settings=settings):
                        if isinstance(event, str) and first is None:
                            first = time.perf_counter() - asked
            except qa.NewsdeskError as exc:
                with lock:
                    errors.append(str(exc))
                continue
            with lock:
                ttfts.append(first if first is not None else float("nan"))

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    ttft = sorted(x for x in ttfts if x == x)
    return {"slots": answer_concurrency(settings, WebSettings.from_env()), "answers": len(ttfts), "errors": len(errors),
            "wall_s": round(wall, 2), "answers_per_min": round(len(ttfts) / wall * 60, 2),
            "ttft_p50_s": round(statistics.median(ttft), 2) if ttft else None,
            "ttft_p90_s": round(ttft[min(len(ttft) - 1, int(0.9 * len(ttft)))], 2) if ttft else None,
            "first_error": errors[0] if errors else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.concurrent_backends", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="an index directory (default: the seeds, indexed now)")
    parser.add_argument("--model", default="qwen2.5-0.5b", help="the local model (and --serve-gguf's)")
    parser.add_argument("--llm-url", help="the server's API root")
    parser.add_argument("--llm-model", default="", help="the server's model name")
    parser.add_argument("--serve-gguf", action="store_true",
                        help="start llama-cpp-python's server with --model on this machine")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--questions", type=int, default=3, help="questions per client")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.llm_url and not args.serve_gguf:
        parser.error("give --llm-url (a running server) or --serve-gguf")

    import qa
    from embeddings import build_index

    tmp = None
    if args.index:
        settings = qa.Settings.from_env(index_dir=args.index, model=args.model)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="concurrent-backends-"))
        shutil.copytree(ROOT / "seeds", tmp / "corpus")
        settings = qa.Settings.from_env(data_dir=tmp / "data", index_dir=tmp / "data" / "index", model=args.model)
        build_index([tmp / "corpus"], settings, progress=False)
    server = None
    try:
        url, served = args.llm_url, args.llm_model
        if args.serve_gguf:
            server = LlamaServer(args.model, settings.model_cache_dir, threads=settings.n_threads)
            server.start()
            url, served = server.url, args.model
        log(machine_note())
        results = {}
        for name, s in (("local " + args.model, settings),
                        (f"server {served or '(its default)'}", settings.replace(llm_url=url, llm_model=served))):
            qa.warm_up(s)
            log(f"{name}: {args.clients} clients x {args.questions} questions")
            results[name] = run_clients(s, args.clients, args.questions)
    finally:
        if server:
            server.stop()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        rows = [[name, r["slots"], r["answers"], r["errors"], r["answers_per_min"], r["ttft_p50_s"], r["ttft_p90_s"]]
                for name, r in results.items()]
        print(table(["backend", "slots", "answers", "errors", "answers/min", "TTFT p50 s", "TTFT p90 s"], rows,
                    title=f"{args.clients} concurrent clients ({'llama_cpp.server on this machine, one context' if args.serve_gguf else url})"))
        for name, r in results.items():
            if r["first_error"]:
                print(f"{name}: first error: {r['first_error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
