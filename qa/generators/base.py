"""What every generator backend shares: the ``Generator`` protocol, ``StreamStats``, the
chat-message check and the stop-string scanner for backends that cannot stop by themselves."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol, runtime_checkable

from embeddings import InvalidInputError, ModelUnavailableError

__all__ = ["Generator", "StopScanner", "StreamStats", "check_messages", "import_library"]

_ROLES = frozenset({"system", "user", "assistant"})


@runtime_checkable
class Generator(Protocol):
    """A chat model that streams a greedy (temperature 0) answer."""

    model_id: str

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, stop: Sequence[str] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[str]:
        """Yield the greedy reply to ``messages`` piece by piece as it is generated.

        Args:
            messages: ``[{"role": "system"|"user"|"assistant", "content": ...}, ...]``.
            max_tokens: most tokens to generate.
            stop: strings that end the reply (not included in it).
            cancel: set it (from any thread) to end the reply at the next token, as closing
                the iterator does (the page's Stop).

        Raises:
            InvalidInputError: malformed messages (``check_messages``).
        """
        ...

    def count_tokens(self, text: str) -> int:
        """Number of tokens ``text`` costs in this model's prompt."""
        ...

    def warm_up(self, system_prompt: str, state_dir: Path | None = None) -> None:
        """Get ready for chats that open with ``system_prompt`` (``qa.warm_up`` calls it at
        start): evaluate it ahead, check a server answers, or do nothing. ``state_dir`` is
        where a backend may keep what it computed between processes."""
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


def check_messages(messages: list[dict[str, str]], max_tokens: int) -> None:
    """Raise ``InvalidInputError`` for a chat no backend can answer (the same message from each)."""
    if not messages:
        raise InvalidInputError("no messages to answer: pass at least one user message")
    for m in messages:
        if m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise InvalidInputError(
                f"bad chat message {m!r}: each needs a role in {sorted(_ROLES)} and a string content"
            )
    if max_tokens < 1:
        raise InvalidInputError(f"max_tokens must be at least 1, got {max_tokens}")


def import_library(module: str, package: str) -> ModuleType:
    """Import a backend's library when it loads a model, not before (importing ``qa`` must
    not cost seconds of torch), or raise ``ModelUnavailableError`` naming the fix.

    Args:
        module: the module to import, e.g. ``"llama_cpp"``.
        package: what is missing, as the message names it, e.g. ``"llama-cpp-python"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModelUnavailableError(f"{package} is not installed: run `make setup`") from None


class StopScanner:
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
