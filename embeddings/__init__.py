"""Ingest, clean, chunk, embed and index news articles (dense FAISS + BM25)."""

from .boilerplate import not_an_article
from .build import BuildReport, build_index
from .chunking import split_sentences
from .clean import clean_text, normalize_line
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
# Reading a page as a build reads an .html file: the feeds package fetches pages and uses these.
from .ingest import SUPPORTED_SUFFIXES, decode_bytes, extract_html, normalize_date
from .settings import Settings, setting, settings_from_env
from .store import Article, ArticleDate, ArticleLead, ChunkRecord

__all__ = [
    "AddressRefusedError", "Article", "ArticleDate", "ArticleLead", "BuildReport", "ChunkRecord", "DiskFullError",
    "Embedder", "Feed", "FeedResult", "FeedStateError", "Fetcher", "FetchError", "IndexAuthError", "IndexBusyError",
    "IndexDamagedError", "IndexMismatchError", "IndexNotFoundError", "IndexServerError", "InvalidInputError",
    "Manifest",
    "ModelUnavailableError", "NewsIndex", "NewsdeskError", "PollBusyError", "PollReport", "SUPPORTED_SUFFIXES",
    "SearchFilters", "SentenceTransformerEmbedder", "Settings", "SourceNotFoundError", "add_feed", "atomic_write",
    "build_index", "check_url", "clean_text", "decode_bytes", "extract_html", "format_size", "fsync_dir", "get_embedder", "list_feeds", "load_index",
    "normalize_date", "normalize_line", "not_an_article", "parse_duration", "poll_feeds", "redact_url", "remove_feed", "setting", "settings_from_env",
    "split_sentences", "watch",
]
