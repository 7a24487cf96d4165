"""How much memory the running chat holds: `python app.py`'s resident set, per model and index.

    python -m benchmarks.app_memory --index /work/idx/y2025 --models qwen2.5-0.5b qwen2.5-1.5b

For each model, a fresh `python app.py --index DIR --model M` is started; its RSS (VmRSS) is
read once it logs "ready to answer" (index, embedder and model loaded, system prompt
evaluated) and again after one `/ask` answer, with the peak (VmHWM). The model's weights are
memory-mapped GGUF files, so they count in RSS once touched and the page cache shares them
between processes on one machine. This is the figure for sizing one machine (README,
"Scaling"); the search benchmark (`index_search.py`) gives the index's own share per size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from benchmarks._common import free_port, log, machine_note, table, wait_for_port
from benchmarks.cold_start import QUESTION

ROOT = Path(__file__).resolve().parents[1]


def status_mb(pid: int, field: str) -> float:
    """A ``/proc/PID/status`` memory field (``VmRSS``, ``VmHWM``) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def measure(index: Path, model: str) -> dict:
    from gradio_client import Client

    port = free_port()
    env = {**os.environ, "NEWSDESK_INDEX_DIR": str(index), "NEWSDESK_MODEL": model}
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "ready to answer" in line:
                break
        else:
            raise SystemExit(f"app.py exited before it was ready (model {model})")
        ready_mb = status_mb(proc.pid, "VmRSS")
        wait_for_port(port)  # the server may still be starting
        Client(f"http://127.0.0.1:{port}/", verbose=False).predict(QUESTION, api_name="/ask")
        return {"model": model, "ready_mb": ready_mb, "answered_mb": status_mb(proc.pid, "VmRSS"),
                "peak_mb": status_mb(proc.pid, "VmHWM")}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_memory", description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="the index the app serves")
    parser.add_argument("--models", nargs="+", default=["qwen2.5-0.5b", "qwen2.5-1.5b"])
    args = parser.parse_args(argv)
    note = machine_note()
    log(note)
    rows = []
    for model in args.models:
        log(f"starting app.py with {model} ...")
        r = measure(args.index, model)
        rows.append([r["model"], round(r["ready_mb"]), round(r["answered_mb"]), round(r["peak_mb"])])
    print(table(["model", "RSS ready MB", "RSS after an answer MB", "peak MB"], rows,
                title=f"python app.py --index {args.index}; {note}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
