"""Settings: one frozen object per package, all read the same way.

Each package owns the settings only it reads, so a newcomer finds a setting next to its code
and a package never carries another's knobs:

- ``embeddings.Settings`` (this module; ``qa`` re-exports it as ``qa.Settings``): the
  pipeline from files to answers: where the index lives, chunking, embedding, retrieval and
  the answering model.
- ``webui.WebSettings``: how the web chat is served: address, port, login, upload size.

Every one has defaults that work on a 2-core laptop, overridden by environment variables
(``NEWSDESK_<FIELD>``, e.g. ``NEWSDESK_PORT``), overridden in turn by command-line flags.
``settings_from_env`` below does that for any of them, so a variable parses (and fails) the
same way whichever package owns it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, TypeVar

from .addresses import parse_networks
from .errors import InvalidInputError

T = TypeVar("T")
INDEX_BACKENDS = ("local", "milvus")
STALE_ANSWERS = ("flag", "abstain")


def settings_from_env(cls: type[T], environ: Mapping[str, str] | None = None, **overrides) -> T:
    """A settings dataclass built from its defaults, then ``NEWSDESK_<FIELD>`` environment
    variables, then ``overrides`` (command-line flags; ``None`` means "not given").

    Args:
        cls: a dataclass whose fields have defaults; each default's type parses its variable.
        environ: the variables to read (default ``os.environ``).
        overrides: field values that beat the environment.

    Raises:
        InvalidInputError: a variable does not parse as its field's type, naming the variable.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for field in dataclasses.fields(cls):
        raw = environ.get(f"NEWSDESK_{field.name.upper()}")
        if raw is not None:
            values[field.name] = _parse(field.name, raw, type(field.default))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return cls(**{k: _coerce(k, v) for k, v in values.items()})


@dataclass(frozen=True)
class Settings:
    # --- where things live
    data_dir: Path = Path("data")
    index_dir: Path | None = None  # None: data_dir / "index", however data_dir was set
    model_cache_dir: Path = Path.home() / ".cache" / "newsdesk"

    # --- ingestion
    max_file_mb: float = 64.0  # a larger file is skipped with a reason
    max_article_chars: int = 200_000  # a longer article is cut here, with a warning
    near_duplicate_jaccard: float = 0.9  # word-shingle similarity above which texts are one article

    # --- chunking, in the embedder's own tokens (all-MiniLM-L6-v2 truncates at 256)
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 40

    # --- embedding and index
    embedder: str = "all-MiniLM-L6-v2"
    embed_batch_size: int = 16
    # "auto": bfloat16 where the CPU computes it natively (2.75x faster builds, same retrieval
    # quality: benchmarks/RESULTS.md), float32 elsewhere; or force "fp32" / "bf16".
    embed_precision: str = "auto"
    exact_search_max_chunks: int = 200_000  # past this, an IVF index replaces exact search
    # Where dense and BM25 search run: "local" (FAISS + bm25s in this process, the index in
    # index_dir) or "milvus" (a collection on the Milvus at milvus_uri; embeddings/milvus_index.py).
    index_backend: str = "local"
    # A milvus-lite data path ("...db", run inside this process) or a server, e.g.
    # "http://milvus:19530"; "" is index_dir/milvus.db.
    milvus_uri: str = ""
    # Environment only (NEWSDESK_MILVUS_TOKEN: "user:password" or an API key): no flag, never
    # in repr, logs or the manifest.
    milvus_token: str = field(default="", repr=False)
    # The index's collections on that server are named <this>_<generation>; one name per index.
    milvus_collection: str = "newsdesk"
    # The build's embedding step on Ray (embeddings/ray_embed.py): "" embeds in this process,
    # "local" on a Ray instance started for the build, else a cluster address or "auto".
    ray_address: str = ""

    # --- retrieval and answering
    model: str = "qwen2.5-1.5b"
    passages: int = 4  # passages shown to the model
    # Per retriever, before the learned ranker orders them: on the 2025 tuning questions the
    # answer is in the pool for 80% of answerable questions at 100 deep (search stays fast).
    candidates: int = 100
    # A question about now (qa.recency) is also searched this deep among the articles of the
    # recent_days before its date: months of similar, older coverage crowd a week's story
    # out of the whole collection's top 100, and its recent passages go first. 0 turns it
    # off: right answers to reachable tuning questions rose 0.37 -> 0.45 with it, but fell on
    # q1 in every run (benchmarks/RESULTS.md, issue 18).
    recent_days: int = 30
    recent_candidates: int = 0
    # A question about now whose answer cites only articles older than recent_days: "flag"
    # answers with a lead saying no recent article covers it, "abstain" does not answer.
    stale_answers: str = "flag"
    # Passage tokens in the prompt: the main latency lever (~10 ms each before the first word on
    # 2 cores). 200 keeps the median prompt under 290 tokens, 3 s (benchmarks/RESULTS.md, issue 20).
    prompt_token_budget: int = 200
    max_answer_tokens: int = 120
    # Below this retrieval relevance (qa.retrieve.relevance, 0..1) the answer abstains without
    # running the model; calibrated on RealTime QA by benchmarks/eval_qa.py.
    min_relevance: float = 0.45
    max_question_chars: int = 2_000
    n_threads: int = 2

    # --- an OpenAI-compatible model server instead of the local model (qa/openai_backend.py)
    llm_url: str = ""  # its API root, e.g. http://127.0.0.1:8080/v1; "" runs `model` locally
    llm_model: str = ""  # the server's model name; "" takes the first it lists
    # Environment only (NEWSDESK_LLM_API_KEY): no flag, so it never shows in `ps`; kept out of
    # repr so a logged Settings never carries it.
    llm_api_key: str = field(default="", repr=False)
    llm_timeout_s: float = 60.0  # longest wait for the server to connect or send the next piece
    # Answers generated at once by the web app (events and /ask); 0: 1 for the local model
    # (2 CPU cores serve one answer at a time), 4 when llm_url is set (the server batches).
    answer_concurrency: int = 0

    # --- live feeds (embeddings/feeds.py, embeddings/fetch.py)
    feed_poll_s: float = 900.0  # `watch` and `app.py --watch` poll every feed this often (15 min)
    feed_host_delay_s: float = 2.0  # the least wait between two requests to one host
    feed_timeout_s: float = 20.0  # per request: connecting, and reading the whole reply
    feed_max_mb: float = 5.0  # a larger feed or page is refused (news pages are 0.1-2 MB)
    feed_max_items: int = 30  # new items fetched per feed per poll; the rest wait for the next
    feed_retry_s: float = 300.0  # first retry after a failure; doubles with each, up to 6 hours
    # Networks a feed, page or redirect may reach although they are inside (loopback, private,
    # link-local ...): CIDR networks separated by commas, e.g. "10.1.0.0/16" for an intranet
    # feed. Empty: the public internet only (embeddings/addresses.py says why).
    feed_allow_networks: str = ""
    # Saved searches (qa/watchlist.py): their new articles are POSTed as JSON to this http(s)
    # URL after each check, under the feeds' network rules; "" posts nothing.
    watch_webhook: str = ""

    def __post_init__(self) -> None:
        if self.index_dir is None:
            object.__setattr__(self, "index_dir", Path(self.data_dir) / "index")
        parse_networks(self.feed_allow_networks)  # a typo fails here, naming the setting, not at a poll
        _check_choice("stale_answers", self.stale_answers, STALE_ANSWERS)
        _check_choice("index_backend", self.index_backend, INDEX_BACKENDS)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,200}", self.milvus_collection):
            raise InvalidInputError(f"NEWSDESK_MILVUS_COLLECTION={self.milvus_collection!r} is not a Milvus "
                                    "collection name (letters, digits and _, not starting with a digit)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then ``NEWSDESK_*`` environment variables, then ``overrides``.

        Raises:
            InvalidInputError: an environment variable does not parse as its field's type.
        """
        return settings_from_env(cls, environ, **overrides)

    def replace(self, **changes) -> "Settings":
        changes = {k: _coerce(k, v) for k, v in changes.items() if v is not None}
        # An index that lived in the old data directory moves with it, as from_env would place it.
        if "data_dir" in changes and "index_dir" not in changes and self.index_dir == Path(self.data_dir) / "index":
            changes["index_dir"] = None
        return dataclasses.replace(self, **changes)


_PATHS = frozenset({"data_dir", "index_dir", "model_cache_dir"})


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidInputError(f"NEWSDESK_{name.upper()}={value!r} is not one of {', '.join(choices)}; fix or unset it")


def _coerce(name: str, value):
    return Path(value) if name in _PATHS and value is not None else value


def _parse(name: str, raw: str, kind: type):
    try:
        if name in _PATHS:
            return Path(raw).expanduser()
        return kind(raw)
    except ValueError:
        raise InvalidInputError(
            f"NEWSDESK_{name.upper()}={raw!r} is not a valid {kind.__name__}; fix or unset it"
        ) from None
