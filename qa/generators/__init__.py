"""Text generators: a chat model behind one small protocol, one backend per module.

- ``base.py``: the ``Generator`` protocol every backend meets, ``StreamStats``, the checks
  and helpers they share.
- ``llama_cpp.py``: ``LlamaCppGenerator`` runs the packaged GGUF models (the default).
- ``transformers.py``: ``TransformersGenerator`` runs a user's own Hugging Face checkpoint.
- ``openai.py``: ``OpenAIServerGenerator`` sends the chat to an OpenAI-compatible server
  (vLLM, llama.cpp server, Ollama, a hosted API); chosen whenever ``llm_url`` is set.

``get_generator`` (here) picks the backend from a model name and caches loaded models, so the
web app and repeated ``answer()`` calls share one copy. No backend imports its library
(llama_cpp, torch, transformers, openai) before it loads a model, so importing this package
is cheap.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from embeddings import ModelUnavailableError

from ..model_files import MODELS, model_file, sidecar_path, verify_later
from .base import Generator, StreamStats
from .llama_cpp import LlamaCppGenerator
from .openai import OpenAIServerGenerator
from .transformers import TransformersGenerator

if TYPE_CHECKING:
    from embeddings import Settings

__all__ = [
    "MODEL_CHOICES",
    "Generator",
    "LlamaCppGenerator",
    "OpenAIServerGenerator",
    "StreamStats",
    "TransformersGenerator",
    "get_generator",
]

#: The packaged models, best first. ``get_generator`` also takes a checkpoint directory.
MODEL_CHOICES: tuple[str, ...] = tuple(MODELS)

_cache: dict[tuple[str, int], Generator] = {}
_cache_lock = threading.Lock()


def get_generator(name: str, settings: Settings) -> Generator:
    """Return the (shared, cached) generator for a model name.

    Args:
        name: a packaged model (one of ``MODEL_CHOICES``), a Hugging Face checkpoint
            directory, or a ``.gguf`` file; ignored when ``settings.llm_url`` is set.
        settings: supplies ``model_cache_dir`` (where packaged models are joined) and
            ``n_threads``; with ``llm_url`` set, the server's ``llm_model``, ``llm_api_key``
            and ``llm_timeout_s`` instead.

    Returns:
        A loaded generator; the same object for the same (name, n_threads).

    Raises:
        ModelUnavailableError: unknown name, missing or corrupt model packages or files.
    """
    if settings.llm_url.strip():
        return _server_generator(settings)
    name = name.strip()
    if not name:
        raise ModelUnavailableError(f"no model given: choose one of {', '.join(MODEL_CHOICES)}, or give the "
                                    f"path of a Hugging Face checkpoint directory or a .gguf file")
    path = Path(name).expanduser()
    key_name = name if name in MODELS else str(path.resolve())
    key = (key_name, settings.n_threads)
    # One lock for all loads: two threads asking for a model at once must not load it twice
    # (1.5B: ~1 GB of RAM each).
    with _cache_lock:
        if key not in _cache:
            generator = _cache[key] = _load(name, path, settings)
            if name in MODELS:
                verify_later(name, settings.model_cache_dir, on_corrupt=lambda: _forget(key, generator))
        return _cache[key]


_servers: dict[tuple[str, str, str, float], Generator] = {}


def _server_generator(settings: Settings) -> Generator:
    key = (settings.llm_url.strip(), settings.llm_model.strip(), settings.llm_api_key, settings.llm_timeout_s)
    with _cache_lock:
        if key not in _servers:
            _servers[key] = OpenAIServerGenerator(settings.llm_url, settings.llm_model, settings.llm_api_key,
                                                  timeout_s=settings.llm_timeout_s)
        return _servers[key]


def _forget(key: tuple[str, int], generator: Generator) -> None:
    """Drop a generator loaded from bytes found corrupt: the next ``get_generator`` reloads."""
    with _cache_lock:
        if _cache.get(key) is generator:
            del _cache[key]


def _load(name: str, path: Path, settings: Settings) -> Generator:
    if name in MODELS:
        gguf = model_file(name, settings.model_cache_dir)
        try:
            return LlamaCppGenerator(gguf, n_threads=settings.n_threads, model_id=name)
        except ModelUnavailableError:
            # Without its sidecar the file is re-hashed (and re-joined if bad) next time.
            sidecar_path(gguf).unlink(missing_ok=True)
            raise
    if path.is_dir():
        return TransformersGenerator(path)
    if path.is_file() and path.suffix == ".gguf":
        return LlamaCppGenerator(path, n_threads=settings.n_threads)
    raise ModelUnavailableError(
        f"unknown model {name!r}: choose one of {', '.join(MODEL_CHOICES)}, or give the path of a "
        f"Hugging Face checkpoint directory or a .gguf file"
    )
