"""Prompt processing (prefill) and decode speed of the packaged model per llama.cpp option (issue 20).

    python -m benchmarks.prefill_speed [--model qwen2.5-1.5b] [--tokens 400] [--reps 5]
        [--quant-dir /tmp/quants] [--options baseline,flash,...]

Each option runs in a fresh process (thread placement is read from the environment when
llama.cpp starts), loads the model, evaluates one warm-up prompt, then ``--reps`` times a
``--tokens``-token prompt from an empty cache (timed: prefill tokens/s) followed by 32
greedy tokens (decode tokens/s). Medians are printed with the CPU's name and the load at
the start. Re-quantised files (``quant=``) are written once into ``--quant-dir`` from the
packaged file with llama.cpp's own ``llama_model_quantize`` (``allow_requantize``: a second
rounding, so their answers must be checked on q1 before any is shipped).
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

from ._common import log, machine_note, table

# name -> (Llama keyword arguments, environment, re-quantised type or None)
OPTIONS: dict[str, tuple[dict, dict, str | None]] = {
    "baseline": ({}, {}, None),
    "flash": ({"flash_attn": True}, {}, None),
    "ubatch128": ({"n_ubatch": 128}, {}, None),
    "ubatch256": ({"n_ubatch": 256}, {}, None),
    "batch1024": ({"n_batch": 1024, "n_ubatch": 1024}, {}, None),
    "flash+kv-q8": ({"flash_attn": True, "type_k": 8, "type_v": 8}, {}, None),  # GGML_TYPE_Q8_0 = 8
    "threads1": ({"n_threads": 1, "n_threads_batch": 1}, {}, None),
    "omp-bind": ({}, {"OMP_PROC_BIND": "close", "OMP_PLACES": "cores"}, None),
    "q4_0": ({}, {}, "Q4_0"),
    "iq4_nl": ({}, {}, "IQ4_NL"),
    "q4_0+flash": ({"flash_attn": True}, {}, "Q4_0"),
}

# A news-like text long enough for any --tokens.
_TEXT = (Path(__file__).resolve().parents[1] / "seeds").glob("*")


def _prompt_text() -> str:
    texts = [p.read_text(errors="replace") for p in sorted(_TEXT) if p.is_file()]
    return ("\n".join(texts) + "\n") * 20


def quantised(packaged: Path, ftype: str, quant_dir: Path) -> Path:
    """The packaged file re-quantised to ``ftype`` (written once)."""
    import llama_cpp

    target = quant_dir / f"{packaged.stem}-{ftype.lower()}.gguf"
    if target.is_file():
        return target
    quant_dir.mkdir(parents=True, exist_ok=True)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype}")
    params.allow_requantize = True
    params.nthread = os.cpu_count() or 2
    partial = target.with_suffix(".part")
    started = time.perf_counter()
    if llama_cpp.llama_model_quantize(str(packaged).encode(), str(partial).encode(), params) != 0:
        raise SystemExit(f"llama_model_quantize to {ftype} failed")
    partial.rename(target)
    log(f"re-quantised to {ftype} in {time.perf_counter() - started:.0f} s: {target}")
    return target


def child(spec: dict) -> dict:
    """Run in the fresh process: load, warm up, time prefill and decode."""
    from llama_cpp import Llama

    kwargs = {"n_ctx": 4096, "n_threads": 2, "n_threads_batch": 2, "verbose": False, **spec["kwargs"]}
    started = time.perf_counter()
    llm = Llama(model_path=spec["path"], **kwargs)
    load_s = time.perf_counter() - started
    tokens = llm.tokenize(_prompt_text().encode())[: spec["tokens"]]
    llm.reset()
    llm.eval(tokens[:64])  # warm-up: first-call allocations and repacking
    prefill, decode = [], []
    for _ in range(spec["reps"]):
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(tokens)
        prefill.append(len(tokens) / (time.perf_counter() - t0))
        t0 = time.perf_counter()
        produced = 0
        for token in llm.generate([], temp=0.0, reset=False):
            produced += 1
            if produced == 32:
                break
        decode.append(produced / (time.perf_counter() - t0))
    return {"load_s": load_s, "prefill": statistics.median(prefill), "prefill_min": min(prefill),
            "prefill_max": max(prefill), "decode": statistics.median(decode)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--tokens", type=int, default=400, help="prompt tokens per timed prefill")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--quant-dir", default="/tmp/newsdesk-quants")
    parser.add_argument("--options", default=",".join(OPTIONS), help=f"comma-separated, of: {', '.join(OPTIONS)}")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    from embeddings import Settings
    from qa.model_files import model_file

    packaged = model_file(args.model, Settings.from_env().model_cache_dir)
    note = machine_note()  # at the start: the runs themselves load the cores
    rows = []
    for name in args.options.split(","):
        kwargs, env, ftype = OPTIONS[name]
        path = quantised(packaged, ftype, Path(args.quant_dir)) if ftype else packaged
        spec = {"path": str(path), "kwargs": kwargs, "tokens": args.tokens, "reps": args.reps}
        run = subprocess.run([sys.executable, "-m", "benchmarks.prefill_speed", "--child", json.dumps(spec)],
                             env={**os.environ, **env}, capture_output=True, text=True)
        if run.returncode != 0:
            log(f"{name}: failed ({run.stderr.strip().splitlines()[-1:]})")
            rows.append((name, ftype or "Q4_K_M (packaged)", "failed", "", "", ""))
            continue
        result = json.loads(run.stdout.strip().splitlines()[-1])
        log(f"{name}: {result}")
        rows.append((name, ftype or "Q4_K_M (packaged)", f"{result['prefill']:.1f}",
                     f"{result['prefill_min']:.1f}-{result['prefill_max']:.1f}", f"{result['decode']:.1f}",
                     f"{result['load_s']:.2f}"))
    print(table(["option", "weights", "prefill tok/s (median)", "range", "decode tok/s", "load s"], rows,
                title=f"{args.model}, {args.tokens}-token prompt, {args.reps} runs each; {note}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
