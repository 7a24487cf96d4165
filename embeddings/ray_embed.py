"""The build's embedding step on Ray: a ``ray.data`` pipeline over a pool of embedder actors.

``RayEmbedder`` satisfies the ``Embedder`` protocol, so ``build.py`` uses it like any other
embedder: chunking, dedup, the index files and the atomic commit stay on the driver and are
the same code as a local build. Only ``embed()`` leaves the process: its texts are cut into
groups of ``group_size`` (the local build's batch), each group is one row of a
``ray.data`` dataset, and ``map_batches`` sends rows to actors that each load the packaged
embedder once. A group is embedded whole, by one ``embed()`` call, exactly as a local build
embeds it, so the vectors equal the local ones (same precision, same batch composition,
same padding) and the index is the same index.

Ray is an optional extra (``pip install -e ".[ray]"``); it is imported on first use only.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import threading
import time
from typing import Callable, Sequence

import numpy as np

from .embedder import Embedder, get_embedder, resolve_precision
from .errors import InvalidInputError, ModelUnavailableError

log = logging.getLogger(__name__)

GROUP_SIZE = 256  # texts per embed() call on an actor: build.EMBED_BATCH, so vectors match a local build
LOCAL = "local"  # the address that starts a Ray instance on this machine for the build
_MISSING = "--ray needs Ray, which is not installed: run `.venv/bin/pip install -e \".[ray]\"`"


def require_ray() -> None:
    """Raises ModelUnavailableError, naming the install command, when Ray is missing."""
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("ray.data") is None:
        raise ModelUnavailableError(_MISSING)


class RayEmbedder:
    """Embeds in bulk on a Ray cluster; tokenizing and metadata come from a local copy.

    The driver still loads the embedder once: chunking counts tokens with its tokenizer, and
    the manifest records its id, dimension and precision. ``precision`` is resolved on the
    driver and sent to the actors, so an ``"auto"`` setting cannot pick bfloat16 on one
    machine and float32 on another within one index.
    """

    # build._embed_chunks hands this many texts to one embed() call (one Ray pipeline): start-up
    # (actors, model loads) is paid once per call, and a million 384-d vectors are 1.5 GB.
    bulk_chunks = 1 << 20

    def __init__(self, address: str, name: str = "all-MiniLM-L6-v2", batch_size: int = 16,
                 precision: str = "auto", actors: int | None = None, cpus_per_actor: float | None = None,
                 gpus_per_actor: float = 0.0, group_size: int = GROUP_SIZE,
                 load: Callable[[], Embedder] | None = None, local: Embedder | None = None,
                 progress: bool = True) -> None:
        """
        Args:
            address: ``"local"`` (a Ray instance on this machine, for this build), ``"auto"``
                (the cluster in ``RAY_ADDRESS`` or started here by ``ray start``) or a
                cluster address (``ray://host:10001``, ``host:6379``).
            name, batch_size, precision: the embedder, as in ``get_embedder``.
            actors: embedder actors (default: the cluster's CPUs / ``cpus_per_actor``, or its
                GPUs / ``gpus_per_actor`` when that is set).
            cpus_per_actor: each actor's CPUs, and its torch threads. Default: on ``"local"``
                as many as a local build's threads (so one actor, and the same vectors: in
                bfloat16 the thread count changes the last bits of a few vectors, up to 1e-3);
                on a cluster 1 (one single-threaded actor per CPU: the most chunks/s).
            gpus_per_actor: with GPUs, an actor moves its model to CUDA (vectors then differ
                from CPU ones within float noise).
            group_size: texts per actor ``embed()`` call.
            load: builds the embedder inside an actor (default ``get_embedder``); picklable.
            local: the driver's embedder for tokens and metadata (default ``get_embedder``).
            progress: show Ray Data's progress on stderr.

        Raises:
            ModelUnavailableError: Ray is not installed (the message names the command).
            InvalidInputError: an empty address or a non-positive actor count.
        """
        require_ray()
        if not address:
            raise InvalidInputError("--ray needs an address: `local`, `auto` or the cluster's, e.g. ray://head:10001")
        if actors is not None and actors < 1:
            raise InvalidInputError(f"--ray-actors must be at least 1, not {actors}")
        self.address = address
        resolved = resolve_precision(precision)
        self._load = load or functools.partial(get_embedder, name, batch_size, resolved)
        self._local = local or get_embedder(name, batch_size, resolved)
        self.precision = getattr(self._local, "precision", "")  # what the manifest records
        self.model_id = self._local.model_id
        self.dim = self._local.dim
        self.max_tokens = self._local.max_tokens
        self.actors = actors
        self.cpus_per_actor = cpus_per_actor
        self.gpus_per_actor = gpus_per_actor
        self.group_size = group_size
        self.progress = progress

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._local.count_tokens(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, in order, embedded by the actor pool.

        Raises:
            ModelUnavailableError: the cluster cannot be reached.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        import ray

        began = time.perf_counter()
        started_here = self._connect(ray)
        connected = time.perf_counter()
        try:
            vectors = self._run(ray, list(texts))
            # Where a --ray build's time goes: what a user sizing a cluster needs (with start-up apart).
            log.info("Ray: connected in %.1f s; %d chunks embedded in %.1f s, actor start-up included",
                     connected - began, len(texts), time.perf_counter() - connected)
            return vectors
        finally:
            if started_here:
                # A Ray instance this build started ends with it. Stopping its processes takes
                # ~1.4 s, spent while the build writes the index; a non-daemon thread, so the
                # interpreter waits for it before exiting (and before Ray's own atexit hook).
                threading.Thread(target=ray.shutdown, name="ray-shutdown").start()

    def _connect(self, ray) -> bool:
        if ray.is_initialized():  # the caller's session (a notebook, the tests): use it, leave it
            return False
        try:
            if self.address == LOCAL:
                ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=self.address, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ModelUnavailableError(f"cannot reach the Ray cluster at {self.address!r} ({exc}); "
                                        "start one with `ray start --head` or pass --ray local") from None
        return True

    def _run(self, ray, texts: list[str]) -> np.ndarray:
        import ray.data

        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # groups come back in the order sent
        context.enable_progress_bars = self.progress
        groups = [{"group": k, "texts": texts[start:start + self.group_size]}
                  for k, start in enumerate(range(0, len(texts), self.group_size))]
        cpus = self._cpus_per_actor(ray)
        dataset = ray.data.from_items(groups).map_batches(
            _EmbedActor, fn_constructor_kwargs={"load": self._load, "cuda": self.gpus_per_actor > 0,
                                                "threads": max(1, int(cpus))},
            batch_size=1,  # one group per call: it is embedded whole, as a local build does
            batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=self._pool_size(ray, len(groups), cpus)),
            num_cpus=cpus, num_gpus=self.gpus_per_actor or None,
        )
        out: list[np.ndarray | None] = [None] * len(groups)
        for row in dataset.iter_rows():
            out[int(row["group"])] = np.asarray(row["vectors"], dtype=np.float32)
        if any(v is None for v in out):  # never seen; a silent gap would misalign ids and vectors
            raise RuntimeError("the Ray pipeline lost a group of chunks")
        return np.ascontiguousarray(np.concatenate(out))

    def _cpus_per_actor(self, ray) -> float:
        if self.cpus_per_actor:
            return self.cpus_per_actor
        if self.address != LOCAL:
            return 1.0
        import torch  # loaded already, by the driver's embedder

        return float(max(1, min(torch.get_num_threads(), int(ray.cluster_resources().get("CPU", 1)))))

    def _pool_size(self, ray, groups: int, cpus: float) -> int:
        if self.actors:
            return min(self.actors, groups)
        resources = ray.cluster_resources()
        if self.gpus_per_actor:
            fits = resources.get("GPU", 0) / self.gpus_per_actor
        else:
            fits = resources.get("CPU", 1) / cpus
        return max(1, min(int(fits), groups))


class _EmbedActor:
    """One actor of the pool: loads the embedder once, then embeds one group per call."""

    def __init__(self, load: Callable[[], Embedder], cuda: bool = False, threads: int = 1) -> None:
        import torch

        torch.set_num_threads(threads)  # Ray's CPUs for this actor; bfloat16 vectors depend on it
        self.embedder = load()
        if cuda:
            _to_cuda(self.embedder)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = [self.embedder.embed([str(t) for t in texts]) for texts in batch["texts"]]
        return {"group": batch["group"], "vectors": np.stack(vectors)}


def _to_cuda(embedder: Embedder) -> None:
    # SentenceTransformerEmbedder loads on the CPU; an actor given a GPU moves its model there.
    model = getattr(embedder, "_model", None)
    if model is not None:
        import torch

        if torch.cuda.is_available():
            model.to("cuda")


def ray_embedder(settings, progress: bool = True, **options) -> RayEmbedder:
    """The ``RayEmbedder`` for ``settings`` (its ``ray_address``, embedder and precision).

    Args:
        settings: an ``embeddings.Settings`` with ``ray_address`` set.
        progress: show Ray Data's progress.
        options: ``RayEmbedder`` keywords (``actors``, ``gpus_per_actor``, ...).
    """
    return RayEmbedder(settings.ray_address, settings.embedder, settings.embed_batch_size, settings.embed_precision,
                       progress=progress, **options)
