"""Text generators: a chat model behind one small protocol, with three backends.

- ``LlamaCppGenerator`` runs the packaged GGUF models (the default; ~3x faster than
  transformers on a CPU, see MODELS.md).
- ``TransformersGenerator`` runs a user's own Hugging Face checkpoint directory.
- ``OpenAIServerGenerator`` (``openai_backend.py``) sends the chat to an OpenAI-compatible
  server (vLLM, llama.cpp server, Ollama, a hosted API); chosen whenever ``llm_url`` is set.

``get_generator`` picks the backend from a model name and caches loaded models, so the web
app and repeated ``answer()`` calls share one copy.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from embeddings import InvalidInputError, ModelUnavailableError, atomic_write

from .model_files import MODELS, model_file, sidecar_path, verify_later
from .model_worker import ModelWorker

if TYPE_CHECKING:
    from embeddings import Settings

__all__ = [
    "MODEL_CHOICES",
    "Generator",
    "LlamaCppGenerator",
    "StreamStats",
    "TransformersGenerator",
    "get_generator",
]

log = logging.getLogger(__name__)

#: The packaged models, best first. ``get_generator`` also takes a checkpoint directory.
MODEL_CHOICES: tuple[str, ...] = tuple(MODELS)

_ROLES = frozenset({"system", "user", "assistant"})


@runtime_checkable
class Generator(Protocol):
    """A chat model that streams a greedy (temperature 0) answer."""

    model_id: str

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the reply to ``messages`` piece by piece as it is generated; setting
        ``cancel`` (from any thread) ends it at the next token, as closing the iterator does."""
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` costs in this model's prompt."""
        ...


@dataclass(frozen=True)
class StreamStats:
    """What the last ``stream`` call cost; ``prompt_evaluated < prompt_tokens`` means the
    start of the prompt (the system prompt) was reused from the previous call's KV cache."""

    prompt_tokens: int = 0
    prompt_evaluated: int = 0
    generated_tokens: int = 0  # sampled, an end-of-turn token included
    first_token_s: float = 0.0
    total_s: float = 0.0


def _check_messages(messages: list[dict[str, str]], max_tokens: int) -> None:
    if not messages:
        raise InvalidInputError("no messages to answer: pass at least one user message")
    for m in messages:
        if m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise InvalidInputError(
                f"bad chat message {m!r}: each needs a role in {sorted(_ROLES)} and a string content"
            )
    if max_tokens < 1:
        raise InvalidInputError(f"max_tokens must be at least 1, got {max_tokens}")


# --------------------------------------------------------------------------- llama.cpp


class LlamaCppGenerator:
    """A GGUF model run by llama.cpp, with the chat template stored in the GGUF.

    Consecutive calls share the KV cache of the system turn only (llama-cpp-python's
    ``Llama.generate`` keeps the longest common prefix and evaluates only the rest). With
    a fixed system prompt first in every chat, a question pays only for its own tokens:
    measured on 2 busy cores, 300 prompt tokens evaluated on a cold call, ~21 on the next.
    Reuse stops at the end of the system turn on purpose: letting llama.cpp reuse a longer
    match (the same question asked again, or the previous answer's tokens) was reported to
    make the 0.5B model answer "[1]" to repeats of a question it had answered right, an
    answer depending on what the process had been asked before. Whatever the cause, every
    answer is now computed from the same state: the system turn, then this chat (checked by
    tests/qa/test_answer_slow.py).

    One ``Llama`` context serves one caller at a time: ``stream`` queues a job on the model's
    own thread (``ModelWorker``), so a caller that stops reading, is stopped or never closes
    its iterator cannot keep the model from the next one.
    """

    def __init__(self, model_path: str | Path, n_ctx: int = 4096, n_threads: int = 2,
                 model_id: str | None = None, flash_attn: bool = True) -> None:
        """Load the model.

        Args:
            model_path: a GGUF file.
            n_ctx: context window in tokens (prompt + answer).
            n_threads: CPU threads for prompt processing and generation.
            model_id: name reported in answers; defaults to the file's stem.
            flash_attn: llama.cpp's flash attention: 4.5% faster prefill on 2 cores (108 against
                104 tokens/s, benchmarks/prefill_speed.py); no other option measured faster.

        Raises:
            ModelUnavailableError: llama-cpp-python is not installed, the file is missing, or
                llama.cpp cannot load it (corrupt or not a GGUF).
        """
        path = Path(model_path)
        self.model_id = model_id or path.stem
        self.model_path = path
        self.n_ctx = n_ctx
        self.flash_attn = flash_attn
        self.last_stats = StreamStats()
        self._lock = threading.Lock()  # the worker's jobs against warm_up's state reads/writes
        if not path.is_file():
            raise ModelUnavailableError(
                f"model file {path} does not exist; check the path or run `make setup`")
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ModelUnavailableError("llama-cpp-python is not installed: run `make setup`") from None
        started = time.perf_counter()
        try:
            self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                              n_threads_batch=n_threads, flash_attn=flash_attn, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(
                f"llama.cpp could not load {path} ({exc}): the file is corrupt, is not a GGUF model, or "
                f"needs a newer llama-cpp-python. A packaged model is re-checked (and re-joined if bad) "
                f"on the next start; if that does not help, run `make setup`"
            ) from None
        self.load_s = time.perf_counter() - started
        self._prefixes: dict[str, list[int]] = {}  # system prompt -> its turn's tokens
        # Wrap eval to count the prompt tokens llama.cpp really evaluates: the only
        # deterministic evidence that the prefix cache was used.
        self._evals: list[tuple[int, int]] = []
        evaluate = self._llm.eval

        def counting_eval(tokens):
            self._evals.append((self._llm.n_tokens, len(tokens)))
            return evaluate(tokens)

        self._llm.eval = counting_eval
        self._worker = ModelWorker(self.model_id)
        log.info("loaded %s in %.2f s", path, self.load_s)

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Stream a greedy reply to a chat.

        Args:
            messages: ``[{"role": "system"|"user"|"assistant", "content": ...}, ...]``.
            max_tokens: most tokens to generate.
            stop: strings that end the reply (not included in it).
            cancel: set it to end the reply at the next token (the page's Stop).

        Returns:
            An iterator of text pieces; ``last_stats`` is filled in when it ends.

        Raises:
            InvalidInputError: malformed messages, or a prompt longer than the context window.
        """
        _check_messages(messages, max_tokens)
        return self._worker.stream(lambda: self._stream(messages, max_tokens, list(stop)), cancel)

    def _stream(self, messages, max_tokens, stop) -> Iterator[str]:
        # Runs on the worker's thread, which reads it without pause: the lock is never held
        # while a caller is away between two pieces.
        with self._lock:
            system = messages[0]["content"] if messages[0]["role"] == "system" else None
            # Forget everything after the system turn (see the class docstring).
            self._llm.n_tokens = min(self._llm.n_tokens, self._system_turn_tokens(system))
            self._evals.clear()
            self.last_stats = StreamStats()
            started = time.perf_counter()
            first = 0.0
            pieces = 0
            chunks = self._llm.create_chat_completion(
                messages, stream=True, temperature=0.0, max_tokens=max_tokens, stop=stop or None
            )
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        if not pieces:
                            first = time.perf_counter() - started
                        pieces += 1
                        yield text
            except ValueError as exc:
                if "exceed context window" in str(exc):
                    raise InvalidInputError(
                        f"the prompt is too long for the model's {self.n_ctx}-token context ({exc}); "
                        f"ask a shorter question or show fewer passages"
                    ) from None
                raise
            finally:
                chunks.close()
                self._record(started, first)

    def _system_turn_tokens(self, system: str | None) -> int:
        """How many leading prompt tokens every chat that opens with ``system`` shares: the
        common prefix of two chats that differ only in their user message."""
        return len(self._system_turn(system)) if system is not None else 0

    def _system_turn(self, system: str) -> list[int]:
        if system not in self._prefixes:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llm = self._llm
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                return []
            token_text = lambda t: llm._model.token_get_text(t) if t != -1 else ""
            formatter = Jinja2ChatFormatter(template=template, eos_token=token_text(llm.token_eos()),
                                            bos_token=token_text(llm.token_bos()))
            a, b = (llm.tokenize(formatter(messages=[{"role": "system", "content": system},
                                                     {"role": "user", "content": user}]).prompt.encode("utf-8"),
                                 add_bos=False, special=True) for user in ("a", "b"))
            shared = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            self._prefixes[system] = list(a[:shared])
        return self._prefixes[system]

    def _record(self, started: float, first: float) -> None:
        if not self._evals:
            return
        done_before, evaluated = self._evals[0]
        self.last_stats = StreamStats(
            prompt_tokens=done_before + evaluated,
            prompt_evaluated=evaluated,
            # One eval per sampled token except the last, which is never fed back.
            generated_tokens=len(self._evals),
            first_token_s=first,
            total_s=time.perf_counter() - started,
        )

    def warm_up(self, system_prompt: str, state_dir: Path | None = None) -> None:
        """Evaluate ``system_prompt`` now, so that the first question that starts with it
        reuses its KV cache instead of paying for it (seconds on a CPU).

        Args:
            system_prompt: the exact system message later chats will start with.
            state_dir: where the system turn's KV state is kept between processes (a few MB):
                a later start reads it back instead of evaluating the prompt, one CPU-second
                less of a cold start. The file is keyed by model file, llama.cpp version and
                prompt; any mismatch or error falls back to evaluating.
        """
        saved = self._state_file(system_prompt, state_dir) if state_dir else None
        if saved is not None and self._restore_system_turn(saved, system_prompt):
            return
        # A one-token chat renders the system turn exactly as a real chat does; the short
        # user turn and the generated token after it are dropped by the next call's
        # prefix match.
        for _ in self.stream([{"role": "system", "content": system_prompt},
                              {"role": "user", "content": "Hi"}], max_tokens=1):
            pass
        if saved is not None:
            self._save_system_turn(saved, system_prompt)

    def _state_file(self, system_prompt: str, state_dir: Path) -> Path:
        import llama_cpp

        stat = self.model_path.stat()
        # Flash attention lays the V cache out differently: its state is another file.
        key = json.dumps([self.model_path.name, stat.st_size, stat.st_mtime_ns, self.n_ctx,
                          llama_cpp.__version__, system_prompt] + (["flash"] if self.flash_attn else []))
        return Path(state_dir) / f"{self.model_id}.{hashlib.sha256(key.encode()).hexdigest()[:16]}.kv"

    def _restore_system_turn(self, path: Path, system_prompt: str) -> bool:
        import llama_cpp

        expected = self._system_turn(system_prompt)
        if not expected or not path.is_file():
            return False
        tokens = (llama_cpp.llama_token * len(expected))()
        count = ctypes.c_size_t(0)
        with self._lock:
            ctx = self._llm._ctx
            read = llama_cpp.llama_state_seq_load_file(ctx.ctx, str(path).encode(), 0, tokens, len(expected),
                                                       ctypes.byref(count))
            if not read or list(tokens[:count.value]) != expected:
                ctx.kv_cache_seq_rm(0, 0, -1)  # nothing half-loaded may be reused
                log.warning("ignored the saved system-prompt state %s (unreadable or stale)", path)
                return False
            self._llm.input_ids[:len(expected)] = expected
            self._llm.n_tokens = len(expected)
        log.info("read the system prompt's KV state from %s", path)
        return True

    def _save_system_turn(self, path: Path, system_prompt: str) -> None:
        import llama_cpp

        turn = self._system_turn(system_prompt)
        with self._lock:
            if not turn or list(self._llm.input_ids[:len(turn)]) != turn:
                return
            self._llm._ctx.kv_cache_seq_rm(0, len(turn), -1)  # keep only the system turn
            self._llm.n_tokens = len(turn)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_write(path) as fh:
                    # llama.cpp writes the file itself, by name: into atomic_write's temporary
                    # file, which is then synced and renamed like any other.
                    if not llama_cpp.llama_state_seq_save_file(self._llm._ctx.ctx, fh.name.encode(), 0,
                                                               (llama_cpp.llama_token * len(turn))(*turn), len(turn)):
                        raise OSError("llama.cpp wrote nothing")
            except OSError as exc:  # a read-only cache only costs the next start a second
                log.warning("could not save the system prompt's KV state to %s: %s", path, exc)

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` costs in this model's prompt."""
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


# --------------------------------------------------------------------------- transformers


_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model")


class TransformersGenerator:
    """A Hugging Face checkpoint directory (``save_pretrained`` output of an instruction-
    tuned causal LM with a chat template), run by transformers on the GPU if there is one.

    No KV cache is kept between calls, so ``warm_up`` does nothing: on a CPU this backend
    is ~6x slower than llama.cpp (MODELS.md); it is for users with their own model or a GPU.
    """

    def __init__(self, checkpoint_dir: str | Path, model_id: str | None = None,
                 device: str | None = None) -> None:
        """Load tokenizer and model from a local directory (never from a hub).

        Args:
            checkpoint_dir: directory holding config.json, the weights and the tokenizer.
            model_id: name reported in answers; defaults to the directory's name.
            device: torch device; defaults to ``"cuda"`` when available, else ``"cpu"``.

        Raises:
            ModelUnavailableError: the directory is missing, is not a loadable causal-LM
                checkpoint, or its tokenizer has no chat template.
        """
        path = Path(checkpoint_dir).expanduser()
        self.model_id = model_id or path.name
        self.checkpoint_dir = path
        self.last_stats = StreamStats()
        fix = ("pass a directory written by `save_pretrained` that holds config.json, the model "
               "weights and the tokenizer files of an instruction-tuned model")
        if not path.is_dir():
            raise ModelUnavailableError(f"checkpoint directory {path} does not exist; {fix}")
        if not (path / "config.json").is_file():
            raise ModelUnavailableError(f"{path} has no config.json, so it is not a checkpoint; {fix}")
        # Without these, transformers 5 builds an empty tokenizer from config.json alone.
        if not any((path / f).is_file() for f in _TOKENIZER_FILES):
            raise ModelUnavailableError(
                f"{path} holds no tokenizer files ({', '.join(_TOKENIZER_FILES)}); {fix}")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError:
            raise ModelUnavailableError("torch/transformers are not installed: run `make setup`") from None
        started = time.perf_counter()
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        except Exception as exc:  # transformers raises many types for a bad directory
            raise ModelUnavailableError(
                f"cannot load a tokenizer from {path} ({_short(exc)}); {fix}") from None
        if not getattr(tokenizer, "chat_template", None):
            raise ModelUnavailableError(
                f"the tokenizer in {path} has no chat template, so it is not a chat model; use an "
                f"instruction-tuned checkpoint (or add a chat_template to tokenizer_config.json)"
            )
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype="auto")
            model.to(self._device).eval()
        except Exception as exc:
            raise ModelUnavailableError(
                f"cannot load a causal language model from {path} ({_short(exc)}); {fix}") from None
        self._torch = torch
        self._tokenizer = tokenizer
        self._model = model
        self.load_s = time.perf_counter() - started
        self._worker = ModelWorker(self.model_id)

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Stream a greedy reply to a chat (same contract as ``LlamaCppGenerator.stream``).

        Raises:
            InvalidInputError: malformed messages.
        """
        _check_messages(messages, max_tokens)
        stops = tuple(s for s in stop if s)
        return self._worker.stream(lambda: self._stream(messages, max_tokens, stops), cancel)

    def _stream(self, messages, max_tokens, stop) -> Iterator[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        torch = self._torch
        cancelled = threading.Event()
        steps = [0]

        # Called once per generated token: counts them, and lets a closed stream stop the
        # worker thread instead of letting it run to max_tokens.
        class _Cancel(StoppingCriteria):
            def __call__(self, input_ids, scores, **kwargs):
                steps[0] += 1
                return torch.full((input_ids.shape[0],), cancelled.is_set(), dtype=torch.bool,
                                  device=input_ids.device)

        # The worker runs one job at a time, so no lock: the model is its own.
        started = time.perf_counter()
        prompt = self._tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=True)
        # The template already wrote any BOS/special tokens the model expects.
        inputs = self._tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        inputs = inputs.to(self._device)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []
        pad_id = self._tokenizer.pad_token_id
        pad_id = self._tokenizer.eos_token_id if pad_id is None else pad_id

        def run() -> None:
            try:
                with torch.inference_mode():
                    self._model.generate(
                        **inputs, streamer=streamer, max_new_tokens=max_tokens, do_sample=False,
                        temperature=None, top_p=None, top_k=None,
                        stopping_criteria=StoppingCriteriaList([_Cancel()]),
                        pad_token_id=pad_id,
                    )
            except BaseException as exc:  # re-raised below, on the model worker's thread, for the reader
                failure.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, name="transformers-generate", daemon=True)
        worker.start()
        stops = _StopScanner(stop)
        first = 0.0
        try:
            for piece in streamer:
                text = stops.feed(piece)
                if text:
                    first = first or time.perf_counter() - started
                    yield text
                if stops.stopped:
                    break
            else:
                if tail := stops.flush():
                    yield tail
        finally:
            cancelled.set()
            worker.join()
            n_prompt = int(inputs["input_ids"].shape[1])
            self.last_stats = StreamStats(prompt_tokens=n_prompt, prompt_evaluated=n_prompt,
                                          generated_tokens=steps[0],
                                          first_token_s=first, total_s=time.perf_counter() - started)
        if failure:
            raise ModelUnavailableError(
                f"{self.model_id} failed while generating: {_short(failure[0])}")

    def warm_up(self, system_prompt: str, state_dir: Path | None = None) -> None:
        """Does nothing: this backend keeps no KV cache between calls."""

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` costs in this model's prompt."""
        return len(self._tokenizer.encode(text, add_special_tokens=False))


class _StopScanner:
    """Cuts a stream of text pieces at the first stop string, holding back any tail that
    could be the start of one, so that no part of a stop string is ever emitted."""

    def __init__(self, stops: Sequence[str]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.stopped = False
        self._held = ""

    def feed(self, piece: str) -> str:
        if self.stopped:
            return ""
        text = self._held + piece
        hits = [i for i in (text.find(s) for s in self.stops) if i >= 0]
        if hits:
            self.stopped = True
            self._held = ""
            return text[: min(hits)]
        keep = max((k for s in self.stops for k in range(1, len(s)) if text.endswith(s[:k])), default=0)
        self._held = text[len(text) - keep:] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        text, self._held = self._held, ""
        return text


def _short(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"


# --------------------------------------------------------------------------- choosing


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
    from .openai_backend import OpenAIServerGenerator

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


def _load(name: str, path: Path, settings: Settings) -> Any:
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
