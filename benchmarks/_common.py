"""Small helpers shared by the benchmark scripts: clocks, memory, tables, corpus subsets."""

from __future__ import annotations

import gzip
import json
import os
import resource
import sys
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cpu_seconds() -> float:
    """User + system CPU time of this process, all threads: steadier than wall time when
    another job shares the cores, because waiting for a core costs no CPU time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Timing]:
    result = Timing()
    wall, cpu = time.perf_counter(), cpu_seconds()
    try:
        yield result
    finally:
        result.wall = time.perf_counter() - wall
        result.cpu = cpu_seconds() - cpu


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_model() -> str:
    """The CPU's name (/proc/cpuinfo): speed-ups differ between kinds (AMX or not)."""
    from embeddings.embedder import cpu_name

    return cpu_name()


def machine_note() -> str:
    """CPU, cores and load: numbers taken while something else runs are not comparable."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cpu_model()}, {os.cpu_count()} cores, load average {load} (1/5/15 min) at start"


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000, q)) if len(seconds) else float("nan")


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def corpus_records(corpus: Path) -> Iterator[dict]:
    """The records of a (gzipped) JSONL corpus, blank lines skipped."""
    opener = gzip.open if corpus.suffix == ".gz" else open
    with opener(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def write_subset(corpus: Path, limit: int, out: Path, skip: int = 0) -> int:
    """Copy lines ``skip .. skip+limit`` of a (gzipped) JSONL corpus, bytes unchanged, so the
    articles hash the same as in the full file. Returns the number of lines written."""
    opener = gzip.open if corpus.suffix == ".gz" else open
    written = 0
    with opener(corpus, "rb") as src, open(out, "wb") as dst:
        for n, line in enumerate(src):
            if n < skip or not line.strip():
                continue
            if written >= limit:
                break
            dst.write(line)
            written += 1
    return written


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    """A plain-text table; numbers right-aligned, text left-aligned."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], (int, float)) or row[i] in ("", None) for row in rows) and rows
               for i in range(len(headers))]

    def line(values):
        return "  ".join(v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    out = [title] if title else []
    out += [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if value != value:
            return "n/a"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int) -> None:
    """Return once something accepts connections on 127.0.0.1:``port`` (a server still starting)."""
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
