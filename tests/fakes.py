"""Test doubles that stand in for real models: deterministic, instant, dependency-free."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from http.server import BaseHTTPRequestHandler
from typing import Sequence

import numpy as np

_WORD = re.compile(r"\w+")
# In 32 dimensions every word adds noise; dropping the commonest ones lets the content words
# that texts share decide which are close.
_STOPWORDS = frozenset("""a an and are as at be by for from has have he his her in is it its of on or
    over said that the their they this to was were who what when where which will with after""".split())


@functools.lru_cache(maxsize=65_536)
def _word_vector(word: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(word.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


class FakeEmbedder:
    """A bag-of-words hash embedder that satisfies ``embeddings.Embedder``.

    Each lower-cased word (common English words left out) gets a fixed random vector seeded
    from the SHA-256 of the word; a text is the normalised sum of its words' vectors. With
    the default 32 dimensions unrelated texts still score around ±0.2 (noise falls as
    1/sqrt(dim)), so a test that asserts *which* passage a question finds should pass a
    larger ``dim``. The same text always gets the same vector. Tokens are
    whitespace-separated words, which makes chunk bounds easy to reason about in tests.

    ``embedded`` counts the texts embedded so far (tests use it to prove work was skipped).
    """

    model_id = "fake-embedder"
    dim = 32  # the default; an instance may be wider
    max_tokens = 254

    def __init__(self, dim: int = 32) -> None:
        self.dim = dim
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return self._vectors(texts)

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            # A text with no word characters still gets its own (whole-text) vector.
            words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
            for word in words or [text]:
                out[row] += _word_vector(word, self.dim)
            out[row] /= np.linalg.norm(out[row]) or 1.0
        return out

    def embed_with_sentences(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                             ) -> tuple[np.ndarray, list[np.ndarray]]:
        """``embeddings.SentenceVectorEmbedder``: ``embed(texts)`` (one call, as a build without
        sentence vectors makes), and each span embedded on its own, uncounted."""
        vectors = self.embed(texts)
        sentences = [self._vectors([text[a:b] for a, b in text_spans]).reshape(len(text_spans), self.dim)
                     for text, text_spans in zip(texts, spans)]
        return vectors, sentences

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(text.split()) for text in texts]


class CannedGenerator:
    """A generator (``qa.generators.Generator``) that replies with canned texts, in order.

    It streams each reply word by word, counts tokens as words, and records the messages of
    every call in ``calls`` so tests can assert what the model was (or was not) asked.
    """

    model_id = "canned"

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.calls: list[list[dict[str, str]]] = []

    def stream(self, messages, max_tokens: int, stop: Sequence[str] = (), cancel=None):
        self.calls.append(messages)
        reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        for i, word in enumerate(reply.split(" ")):
            yield word if i == 0 else " " + word

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def warm_up(self, system_prompt: str, state_dir=None) -> None:
        """Nothing to warm: part of the ``Generator`` protocol that ``qa.warm_up`` calls."""


class JsonHandler(BaseHTTPRequestHandler):
    """Base of the tests' small HTTP servers (fake or real model behind an OpenAI-style API):
    quiet, and one way to send a JSON reply."""

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeQA:
    """Stands in for ``qa.stream_answer``: records each call and replays a scripted stream
    (by default: retrieval, four pieces of text, the checked answer), then ``error`` if given."""

    def __init__(self, events=None, error: Exception | None = None):
        from tests.webui import factories as f

        self.events = events if events is not None else [
            f.retrieved(f.passage(1), f.passage(2, article_id="a2")),
            "Delcy ", "Rodriguez ", "took over [1]", ".",
            f.answer("Delcy Rodriguez took over [1]."),
        ]
        self.error = error
        self.calls: list[dict] = []

    def __call__(self, question, **kwargs):
        self.calls.append({"question": question, **kwargs})
        for event in self.events:
            yield event
        if self.error:
            raise self.error
