"""Ingest, clean, chunk, embed and index news articles (dense FAISS + BM25)."""

from .boilerplate import not_an_article
from .build import BuildReport, build_index
from .chunking import split_sentences
from .clean import clean_text, normalize_line
from .embedder import Embedder, SentenceTransformerEmbedder, get_embedder
from .errors import (
    DiskFullError,
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
    SourceNotFoundError,
    command_failed,
)
from .files import atomic_write, format_size, fsync_dir
from .index import Manifest, NewsIndex, SearchFilters, load_index
# Reading a page as a build reads an .html file: the feeds package fetches pages and uses these.
from .ingest import SUPPORTED_SUFFIXES, decode_bytes, extract_html, normalize_date
from .settings import Settings, setting, settings_from_env
from .store import Article, ArticleDate, ArticleLead, ChunkRecord

__all__ = [
    "Article", "ArticleDate", "ArticleLead", "BuildReport", "ChunkRecord", "DiskFullError", "Embedder",
    "IndexAuthError", "IndexBusyError", "IndexDamagedError", "IndexMismatchError", "IndexNotFoundError",
    "IndexServerError", "InputNotFoundError", "InvalidInputError", "Manifest", "ModelUnavailableError",
    "NewsIndex", "NewsdeskError", "SUPPORTED_SUFFIXES", "SearchFilters", "SentenceTransformerEmbedder", "Settings",
    "SourceNotFoundError", "atomic_write", "build_index", "clean_text", "command_failed", "decode_bytes",
    "extract_html", "format_size", "fsync_dir", "get_embedder", "load_index", "normalize_date", "normalize_line",
    "not_an_article", "setting", "settings_from_env", "split_sentences",
]
