"""``TransformersGenerator``: a user's own Hugging Face checkpoint, run by transformers.

The module shares its name with the library; ``from transformers import ...`` below still
finds the library, as every import in a package is absolute unless it starts with a dot.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from embeddings import ModelUnavailableError

from ..model_worker import ModelWorker
from .base import StopScanner, StreamStats, check_messages, import_library

__all__ = ["TransformersGenerator"]

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
        torch = import_library("torch", "torch")
        hf = import_library("transformers", "transformers")
        started = time.perf_counter()
        try:
            tokenizer = hf.AutoTokenizer.from_pretrained(path, local_files_only=True)
        except Exception as exc:  # transformers raises many types for a bad directory
            raise ModelUnavailableError(
                f"cannot load a tokenizer from {path} ({_short(exc)}); {fix}") from exc
        if not getattr(tokenizer, "chat_template", None):
            raise ModelUnavailableError(
                f"the tokenizer in {path} has no chat template, so it is not a chat model; use an "
                f"instruction-tuned checkpoint (or add a chat_template to tokenizer_config.json)"
            )
        self._device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        try:
            model = hf.AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype="auto")
            model.to(self._device).eval()
        except Exception as exc:
            raise ModelUnavailableError(
                f"cannot load a causal language model from {path} ({_short(exc)}); {fix}") from exc
        self._torch = torch
        self._tokenizer = tokenizer
        self._model = model
        self.load_s = time.perf_counter() - started
        self._worker = ModelWorker(self.model_id)

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Stream a greedy reply to a chat (the contract of ``Generator.stream``); ``last_stats``
        is filled in when it ends.

        Raises:
            InvalidInputError: malformed messages.
        """
        check_messages(messages, max_tokens)
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
        stops = StopScanner(stop)
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


def _short(exc: BaseException) -> str:
    first_line = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line[:200]}"

