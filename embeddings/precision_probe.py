"""Which embedder precision is faster on this CPU: measured once per CPU model, then remembered.

CPU flags alone do not decide it. bfloat16 is emulated (and always slower) without
AVX512-BF16 or AMX, so such CPUs get float32 without a probe. With the flags it is 2.75x
faster on the project's AMX machines but was not faster on an AMD EPYC with AVX512-BF16 and
no AMX (issue 20), so there ``auto`` times both on a few chunk-sized texts (about 5 s, once)
and keeps the faster one in ``<model cache>/embed-precision.json``, keyed by the CPU's name
and torch's version. Delete that file to measure again.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import threading
import time
from pathlib import Path
from typing import Callable

from .embedder import cpu_name, get_embedder, resolve_precision
from .files import atomic_write

__all__ = ["PROBE_FILE", "probed_precision"]

log = logging.getLogger(__name__)

PROBE_FILE = "embed-precision.json"
# bfloat16 must beat float32 by this much to be chosen: within the noise, float32's exact
# vectors win.
_MIN_GAIN = 1.05
# Chunk-sized texts (~200 embedder tokens each), the work a build does.
_TEXT = ("The city council voted on Tuesday to approve a new budget that raises spending on schools, "
         "transit and housing, after months of debate between the mayor and residents who said the "
         "plan ignored their neighbourhoods. ") * 5
_TEXTS = 32

_lock = threading.Lock()


def probed_precision(precision: str, cache_dir: Path, *,
                     measure: Callable[[str], float] | None = None) -> str:
    """``"fp32"`` or ``"bf16"`` for a setting of ``"auto"``, ``"fp32"`` or ``"bf16"``.

    Args:
        precision: the setting (``NEWSDESK_EMBED_PRECISION``).
        cache_dir: where the measured choice is kept (the model cache).
        measure: texts per second of a precision (tests give a fake one).

    Raises:
        InvalidInputError: an unknown precision.
    """
    by_flags = resolve_precision(precision)
    if precision != "auto" or by_flags == "fp32":
        return by_flags
    key = f"{cpu_name()}; torch {_torch_version()}"
    path = Path(cache_dir) / PROBE_FILE
    with _lock:  # two loads on a cold start probe once
        known = _read(path)
        if key in known:
            return known[key]["choice"]
        speeds = {p: (measure or _texts_per_second)(p) for p in ("fp32", "bf16")}
        choice = "bf16" if speeds["bf16"] >= _MIN_GAIN * speeds["fp32"] else "fp32"
        known[key] = {"choice": choice, **{f"{p}_texts_per_s": round(s, 1) for p, s in speeds.items()},
                      "measured": time.strftime("%Y-%m-%d")}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path, "w") as fh:
                json.dump(known, fh, indent=1)
        except OSError as exc:  # a read-only cache measures again next process: slower, not wrong
            log.warning("could not save the embedder precision probe to %s: %s", path, exc)
        log.info("embedder precision on %s: %s (fp32 %.1f, bf16 %.1f chunk-sized texts/s)",
                 key, choice, speeds["fp32"], speeds["bf16"])
        return choice


def _torch_version() -> str:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _read(path: Path) -> dict[str, dict]:
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):  # missing or damaged: measure again
        return {}
    if not isinstance(known, dict):
        return {}
    return {k: v for k, v in known.items() if isinstance(v, dict) and v.get("choice") in ("fp32", "bf16")}


def _texts_per_second(precision: str) -> float:
    embedder = get_embedder(precision=precision)
    texts = [_TEXT] * _TEXTS
    embedder.embed(texts[:4])  # first-call allocations
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        embedder.embed(texts)
        best = min(best, time.perf_counter() - started)
    return _TEXTS / best
