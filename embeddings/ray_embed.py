"""The build's embedding step on Ray: a ``ray.data`` pipeline over a pool of embedder actors.

``RayEmbedder`` satisfies the ``Embedder`` protocol, so ``build.py`` uses it like any other
embedder: chunking, dedup, the index files and the atomic commit stay on the driver and are
the same code as a local build. Only ``embed()`` leaves the process: its texts are cut into
groups of ``group_size`` (the local build's batch), each group is one row of a
``ray.data`` dataset, and ``map_batches`` sends rows to actors that each load the packaged
embedder once. The pipeline starts at the build's first token count, before any text is
known, and reads the groups off a queue when ``embed()`` comes: Ray's start-up (~8 s on two
cores) overlaps the chunking instead of following it. A group is embedded whole, by one ``embed()`` call, exactly as a local build
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

from .embedder import Embedder, get_embedder, get_tokenizer, resolve_precision, torch_default_threads
from .errors import InvalidInputError, ModelUnavailableError
from .precision_probe import probed_precision

log = logging.getLogger(__name__)

GROUP_SIZE = 256  # texts per embed() call on an actor: build.EMBED_BATCH, so vectors match a local build
LOCAL = "local"  # the address that starts a Ray instance on this machine for the build
_MISSING = "--ray needs Ray, which is not installed: run `.venv/bin/pip install -e \".[ray]\"`"


def require_ray() -> None:
    """Raises ModelUnavailableError, naming the install command, when Ray is missing."""
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("ray.data") is None:
        raise ModelUnavailableError(_MISSING)


class RayEmbedder:
    """Embeds in bulk on a Ray cluster; token counts and metadata come from the driver.

    The driver loads the embedder's tokenizer only (``get_tokenizer``: 0.05 s, where the
    model's imports take ~5 s): chunking counts tokens with it, and the manifest records the
    embedder's id, dimension and precision. ``precision`` is resolved on the driver and sent
    to the actors, so an ``"auto"`` setting cannot pick bfloat16 on one machine and float32
    on another within one index.
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
            local: the driver's token counter and metadata (default ``get_tokenizer``).
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
        # What the manifest records: the actors' precision, or a given stand-in's (tests' fakes have none).
        self.precision = getattr(local, "precision", "") if local else resolved
        self._local = local or get_tokenizer(name)
        self.model_id = self._local.model_id
        self.dim = self._local.dim
        self.max_tokens = self._local.max_tokens
        self.actors = actors
        self.cpus_per_actor = cpus_per_actor
        self.gpus_per_actor = gpus_per_actor
        self.group_size = group_size
        self.progress = progress
        self._pipeline: _Pipeline | None = None  # started by the first count_tokens, ended by embed

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        # The build counts tokens as it chunks, and embeds what it chunked: Ray's start-up
        # (~8 s on 2 cores: ray.init, Ray Data, the actors' imports and model loads) runs from
        # here on, in the background, while the driver chunks on the other core.
        if self._pipeline is None:
            self._pipeline = _Pipeline(self)
        return self._local.count_tokens(texts)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, in order, embedded by the actor pool.

        Raises:
            ModelUnavailableError: the cluster cannot be reached.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        pipeline, self._pipeline = self._pipeline or _Pipeline(self), None
        return pipeline.finish(list(texts))

    def discard_pending(self) -> None:
        """Stop a pipeline started for texts that never came (the build failed while chunking).

        Never raises: it runs while the build's own error propagates, which must not be hidden.
        """
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            try:
                pipeline.finish([])
            except Exception as exc:  # the pipeline's own failure; nothing was waiting on it
                log.warning("stopping the unused Ray pipeline: %s", exc)

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

    def _dataset(self, ray, queue):
        """Groups read from ``queue`` (one block each, so they spread over the actors), embedded."""
        import ray.data

        from .ray_queue_source import QueueDatasource

        cpus = self._cpus_per_actor(ray)
        context = ray.data.DataContext.get_current()
        options = {
            "enable_progress_bars": self.progress,
            # Each group its own block, so the groups spread over the actors: the read's output
            # is otherwise merged into blocks of up to 128 MiB, which one actor would embed alone.
            "target_max_block_size": 1,
        }
        saved = {name: getattr(context, name) for name in options} | {
            "preserve_order": context.execution_options.preserve_order}
        try:
            for name, value in options.items():
                setattr(context, name, value)
            context.execution_options.preserve_order = True  # groups come back in the order sent
            # num_cpus=0: the read only waits on the queue, and must not hold a CPU the actors need.
            return ray.data.read_datasource(QueueDatasource(queue), override_num_blocks=1, num_cpus=0).map_batches(
                _EmbedActor, fn_constructor_kwargs={"load": self._load, "cuda": self.gpus_per_actor > 0,
                                                    "threads": max(1, int(cpus))},
                batch_size=1,  # one group per call: it is embedded whole, as a local build does
                batch_format="numpy", compute=ray.data.ActorPoolStrategy(size=self._pool_size(ray, cpus)),
                num_cpus=cpus, num_gpus=self.gpus_per_actor or None,
            )
        finally:
            # The dataset keeps a copy of these; the caller's own Ray Data work keeps its settings.
            context.execution_options.preserve_order = saved.pop("preserve_order")
            for name, value in saved.items():
                setattr(context, name, value)

    def _cpus_per_actor(self, ray) -> float:
        if self.cpus_per_actor:
            return self.cpus_per_actor
        if self.address != LOCAL:
            return 1.0
        return float(max(1, min(torch_default_threads(), int(ray.cluster_resources().get("CPU", 1)))))

    def _pool_size(self, ray, cpus: float) -> int:
        if self.actors:
            return self.actors
        resources = ray.cluster_resources()
        if self.gpus_per_actor:
            fits = resources.get("GPU", 0) / self.gpus_per_actor
        else:
            fits = resources.get("CPU", 1) / cpus
        return max(1, int(fits))


class _Pipeline:
    """One run of the embedding pipeline, started before its texts are known.

    It connects to Ray (or starts it) in the calling thread: ``ray.init`` off the main thread
    leaves a GCS client behind that ends the process a minute after ``ray.shutdown``. Then a
    background thread opens a ``ray.util.queue.Queue`` and runs the dataset: its one read task
    takes groups off the queue as they are put there, and the actor pool, created as the
    dataset starts, loads its models meanwhile. ``finish`` sends the texts, waits for the
    vectors, and stops a Ray instance the pipeline started (in the calling thread too: after
    shutdown, a call into Ray ends the process).

    Raises:
        ModelUnavailableError: the cluster cannot be reached.
    """

    def __init__(self, embedder: RayEmbedder) -> None:
        import ray

        self._embedder = embedder
        self._queue = None
        self._queue_ready = threading.Event()  # set once the queue exists, or the start failed
        self._vectors: dict[int, np.ndarray] = {}
        self._error: BaseException | None = None
        began = time.perf_counter()
        self._started_here = embedder._connect(ray)
        self._connected = time.perf_counter()
        self._connect_seconds = self._connected - began
        # A daemon: a build that fails before embedding must still let the interpreter exit.
        self._thread = threading.Thread(target=self._run, name="ray-embed", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            import ray
            from ray.util.queue import Queue

            self._queue = Queue(actor_options={"num_cpus": 0})
            self._queue_ready.set()
            for row in self._embedder._dataset(ray, self._queue).iter_rows():
                self._vectors[int(row["group"])] = np.asarray(row["vectors"], dtype=np.float32)
        except BaseException as exc:  # re-raised by finish(), in the build's thread
            self._error = exc
        finally:
            self._queue_ready.set()

    def finish(self, texts: list[str]) -> np.ndarray:
        """The vectors of ``texts`` (none: just stop), in order."""
        size = self._embedder.group_size
        groups = [{"group": k, "texts": texts[start:start + size]}
                  for k, start in enumerate(range(0, len(texts), size))]
        self._queue_ready.wait()
        try:
            if self._queue is not None:
                self._queue.put_nowait_batch(groups + [None])  # None ends the read
            self._thread.join()
            if self._error is not None:
                raise self._error
            if len(self._vectors) != len(groups):  # never seen; a gap would misalign ids and vectors
                raise RuntimeError("the Ray pipeline lost a group of chunks")
            # Where a --ray build's time goes: what a user sizing a cluster needs (start-up apart).
            log.info("Ray: connected in %.1f s; %d chunks embedded %.1f s later, actor start-up included",
                     self._connect_seconds, len(texts), time.perf_counter() - self._connected)
            if not groups:
                return np.zeros((0, self._embedder.dim), dtype=np.float32)
            return np.ascontiguousarray(np.concatenate([self._vectors[k] for k in range(len(groups))]))
        finally:
            if self._started_here:
                import ray

                ray.shutdown()


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
    precision = probed_precision(settings.embed_precision, settings.model_cache_dir)
    return RayEmbedder(settings.ray_address, settings.embedder, settings.embed_batch_size, precision,
                       progress=progress, **options)
