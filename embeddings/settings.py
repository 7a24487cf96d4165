"""Settings: one frozen object per package, all read the same way.

Each package owns the settings only it reads, so a newcomer finds a setting next to its code
and a package never carries another's knobs:

- ``embeddings.Settings`` (this module; ``qa`` re-exports it as ``qa.Settings``): the
  pipeline from files to answers: where the index lives, chunking, embedding, retrieval and
  the answering model.
- ``feeds.FeedSettings``: how live feeds are fetched: poll interval, politeness, limits,
  retries and the networks inside that may be reached.
- ``webui.WebSettings``: how the web chat is served: address, port, login, upload size,
  answers generated at once.

Every field is declared with ``setting(default, help)``: the help is what README's settings
table says of it. Every one has defaults that work on a 2-core laptop, overridden by environment variables
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

from .errors import InvalidInputError

T = TypeVar("T")
INDEX_BACKENDS = ("local", "milvus")
STALE_ANSWERS = ("flag", "abstain")


def setting(default, help: str, **options):
    """A settings field: its default, and its help, the line README's settings table shows
    (``tests/test_settings_doc.py`` holds the two together); ``options`` go to ``field``."""
    return field(default=default, metadata={"help": help}, **options)


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
    data_dir: Path = setting(Path("data"), "where the index, uploads, feeds and saved searches live")
    index_dir: Path | None = setting(
        None,
        "where the index lives (default: DATA_DIR/index, however the data directory was set)")
    model_cache_dir: Path = setting(Path.home() / ".cache" / "newsdesk", "where the joined model files are kept")

    # --- ingestion
    max_file_mb: float = setting(64.0, "a larger file is skipped, with the reason")
    max_article_chars: int = setting(200_000, "a longer article is cut here, with a warning")
    near_duplicate_jaccard: float = setting(0.9, "word-shingle similarity above which two texts are one article")

    # --- chunking, in the embedder's own tokens (all-MiniLM-L6-v2 truncates at 256)
    chunk_tokens: int = setting(200, "chunk length, in the embedder's tokens")
    chunk_overlap_tokens: int = setting(40, "tokens two neighbouring chunks share")

    # --- embedding and index
    embedder: str = setting("all-MiniLM-L6-v2", "the sentence-embedding model")
    embed_batch_size: int = setting(16, "texts embedded per batch")
    # "auto": the faster of float32 and bfloat16 on this CPU, measured once (precision_probe.py;
    # bfloat16 builds 2.75-3.6x faster on AMX machines, same retrieval quality); or force one.
    embed_precision: str = setting(
        "auto",
        "`auto`, `fp32` or `bf16`. `auto` is float32 on a CPU without AVX512-BF16 or AMX; with them, the faster "
        "of the two, timed once (~5 s) per CPU model and torch version and kept in "
        "`<model cache>/embed-precision.json` (delete it to time again)")
    exact_search_max_chunks: int = setting(200_000, "past this many chunks an IVF index replaces exact search")
    # Where dense and BM25 search run: "local" (FAISS + bm25s in this process, the index in
    # index_dir) or "milvus" (a collection on the Milvus at milvus_uri; embeddings/milvus_index.py).
    index_backend: str = setting(
        "local",
        "where dense and BM25 search run: `local` (FAISS + bm25s in the app's memory) or `milvus` (a Milvus "
        "collection; see [Index on Milvus](#index-on-milvus))")
    # A milvus-lite data path ("...db", run inside this process) or a server, e.g.
    # "http://milvus:19530"; "" is index_dir/milvus.db.
    milvus_uri: str = setting(
        "",
        "the Milvus for `milvus`: `http://host:19530` (Standalone, Distributed, Zilliz Cloud), or a path ending in"
        " `.db` for milvus-lite inside the process (default: INDEX_DIR/milvus.db)")
    # Environment only (NEWSDESK_MILVUS_TOKEN: "user:password" or an API key): no flag, never
    # in repr, logs or the manifest.
    milvus_token: str = setting(
        "",
        "`user:password` or an API key for that Milvus; environment only (no flag), never logged, shown or written"
        " to the manifest", repr=False)
    # The index's collections on that server are named <this>_<generation>; one name per index.
    milvus_collection: str = setting(
        "newsdesk",
        "the index's collections are `<this>_<generation>`: one name per index sharing a server")
    # The build's embedding step on Ray (embeddings/ray_embed.py): "" embeds in this process,
    # "local" on a Ray instance started for the build, else a cluster address or "auto".
    ray_address: str = setting(
        "",
        "embed on Ray during builds: `local`, `auto` or a cluster address (same as `build --ray`)")

    # --- retrieval and answering
    model: str = setting("qwen2.5-1.5b", "or `qwen2.5-0.5b` (2x faster), or a Hugging Face checkpoint directory")
    passages: int = setting(4, "passages shown to the model")
    # Per retriever, before the learned ranker orders them: on the 2025 tuning questions the
    # answer is in the pool for 80% of answerable questions at 100 deep (search stays fast).
    candidates: int = setting(100, "chunks each retriever finds before the ranker orders them")
    # A question about now (qa.recency) is also searched this deep among the articles of the
    # recent_days before its date: months of similar, older coverage crowd a week's story
    # out of the whole collection's top 100, and its recent passages go first. 0 turns it
    # off: right answers to reachable tuning questions rose 0.37 -> 0.45 with it, but fell on
    # q1 in every run (benchmarks/RESULTS.md, issue 18).
    recent_days: int = setting(30, "what \"recent\" means for a question about now, in days")
    recent_candidates: int = setting(
        0,
        "a question about now (no earlier year, no \"history\", \"ago\" ...) is also searched this deep among the "
        "articles of the last RECENT_DAYS, and recent passages scoring half the best go first; 0 turns it off "
        "(benchmarks/RESULTS.md, issue 18)")
    # A question about now whose ranking holds a relevant passage from the last recent_days
    # this deep is shown no passage older than that (qa.retrieve.without_stale): beside an
    # older article about a similar event the model often answered from the older one
    # (benchmarks/RESULTS.md, issue 18).
    recent_prompt_depth: int = setting(
        8,
        "a question about now with a passage from the last RECENT_DAYS among this many best is shown no older "
        "passages; 0 turns it off (benchmarks/RESULTS.md, issue 18)")
    # A question about now whose answer cites only articles older than recent_days: "flag"
    # answers with a lead saying no recent article covers it, "abstain" does not answer.
    stale_answers: str = setting(
        "flag",
        "a question about now whose answer cites only articles older than RECENT_DAYS: `flag` opens the answer "
        "with \"No article from the last N days covers this. The latest coverage, from DATE, says:\", `abstain` "
        "answers \"The articles don't say\" (benchmarks/RESULTS.md, issue 18)")
    # Passage tokens in the prompt: the main latency lever (~10 ms each before the first word on
    # 2 cores). 200 keeps the median prompt under 290 tokens, 3 s (benchmarks/RESULTS.md, issue 20).
    prompt_token_budget: int = setting(200, "passage tokens in the prompt: sets the time to first token")
    max_answer_tokens: int = setting(120, "the longest answer, in the model's tokens")
    # Below this retrieval relevance (qa.retrieve.relevance, 0..1) the answer abstains without
    # running the model; calibrated on RealTime QA by benchmarks/eval_qa.py.
    min_relevance: float = setting(
        0.45,
        "below this retrieval relevance (question coverage + similarity of the best passage) the answer abstains "
        "without running the model")
    max_question_chars: int = setting(2_000, "a longer question is refused")
    n_threads: int = setting(2, "CPU threads the local model uses")

    # --- an OpenAI-compatible model server instead of the local model (qa/generators/openai.py)
    llm_url: str = setting(
        "",
        "answer with an OpenAI-compatible server at this API root, e.g. `http://127.0.0.1:8080/v1`; none runs "
        "MODEL locally")
    llm_model: str = setting("", "the server's model name (default: the first it lists)")
    # Environment only (NEWSDESK_LLM_API_KEY): no flag, so it never shows in `ps`; kept out of
    # repr so a logged Settings never carries it.
    llm_api_key: str = setting("", "the server's API key; environment only (no flag), never logged", repr=False)
    llm_timeout_s: float = setting(60.0, "longest wait for the server to connect or send the next piece")

    # --- saved searches (qa/watchlist.py): their new articles are POSTed as JSON to this http(s)
    # URL after each check, through the feeds' Fetcher and under its network rules (feeds.FeedSettings);
    # "" posts nothing.
    watch_webhook: str = setting(
        "",
        "http(s) URL that the new articles of saved searches are POSTed to, as JSON, after each check (same "
        "network rules as feeds)")

    def __post_init__(self) -> None:
        if self.index_dir is None:
            object.__setattr__(self, "index_dir", Path(self.data_dir) / "index")
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
