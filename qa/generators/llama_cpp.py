"""``LlamaCppGenerator``: the packaged GGUF models run by llama.cpp (the default backend;
~3x faster than transformers on a CPU, see MODELS.md), with the system turn's KV state kept
between calls and, through ``warm_up``, between processes."""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from embeddings import InvalidInputError, ModelUnavailableError, atomic_write

from ..model_worker import ModelWorker
from .base import StreamStats, check_messages, import_library

__all__ = ["LlamaCppGenerator"]

log = logging.getLogger(__name__)

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
        Llama = import_library("llama_cpp", "llama-cpp-python").Llama
        started = time.perf_counter()
        try:
            self._llm = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                              n_threads_batch=n_threads, flash_attn=flash_attn, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(
                f"llama.cpp could not load {path} ({exc}): the file is corrupt, is not a GGUF model, or "
                f"needs a newer llama-cpp-python. A packaged model is re-checked (and re-joined if bad) "
                f"on the next start; if that does not help, run `make setup`"
            ) from exc
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
        """Stream a greedy reply to a chat (the contract of ``Generator.stream``).

        Returns:
            An iterator of text pieces; ``last_stats`` is filled in when it ends.

        Raises:
            InvalidInputError: malformed messages, or a prompt longer than the context window.
        """
        check_messages(messages, max_tokens)
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
