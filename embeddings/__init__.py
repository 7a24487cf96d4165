"""Ingest, clean, chunk, embed and index news articles (dense FAISS + BM25)."""

from .build import BuildReport, build_index
from .chunking import split_sentences
from .embedder import Embedder, SentenceTransformerEmbedder, get_embedder
from .errors import (
    AddressRefusedError,
    DiskFullError,
    FeedStateError,
    FetchError,
    IndexAuthError,
    IndexBusyError,
    IndexDamagedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexServerError,
    InputNotFoundError,
    InvalidInputError,
    ModelUnavailableError,
    NewsdeskError,
    PollBusyError,
    SourceNotFoundError,
)
from .feed_state import Feed
from .feeds import FeedResult, PollReport, add_feed, list_feeds, parse_duration, poll_feeds, remove_feed, watch
from .fetch import Fetcher, check_url, redact_url
from .files import atomic_write, format_size, fsync_dir
from .index import Manifest, NewsIndex, SearchFilters, load_index
from .ingest import SUPPORTED_SUFFIXES, normalize_date
from .settings import Settings, setting, settings_from_env
from .store import Article, ArticleDate, ArticleLead, ChunkRecord

__all__ = [
    "AddressRefusedError", "Article", "ArticleDate", "ArticleLead", "BuildReport", "ChunkRecord", "DiskFullError",
    "Embedder", "Feed", "FeedResult", "FeedStateError", "Fetcher", "FetchError", "IndexAuthError", "IndexBusyError",
    "IndexDamagedError", "IndexMismatchError", "IndexNotFoundError", "IndexServerError", "InputNotFoundError",
    "InvalidInputError", "Manifest",
    "ModelUnavailableError", "NewsIndex", "NewsdeskError", "PollBusyError", "PollReport", "SUPPORTED_SUFFIXES",
    "SearchFilters", "SentenceTransformerEmbedder", "Settings", "SourceNotFoundError", "add_feed", "atomic_write",
    "build_index", "check_url", "format_size", "fsync_dir", "get_embedder", "list_feeds", "load_index",
    "normalize_date", "parse_duration", "poll_feeds", "redact_url", "remove_feed", "setting", "settings_from_env",
    "split_sentences", "watch",
]
