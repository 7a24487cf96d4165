"""Ingest, clean, chunk, embed and index news articles (dense FAISS + BM25)."""

from .build import BuildReport, build_index
from .chunking import split_sentences
from .embedder import Embedder, SentenceTransformerEmbedder, get_embedder
from .errors import (
    DiskFullError,
    IndexBusyError,
    IndexDamagedError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidInputError,
    ModelUnavailableError,
    NewsdeskError,
    SourceNotFoundError,
)
from .files import atomic_write, format_size, fsync_dir
from .index import Manifest, NewsIndex, SearchFilters, load_index
from .ingest import SUPPORTED_SUFFIXES, normalize_date
from .settings import Settings, settings_from_env
from .store import Article, ArticleDate, ArticleLead, ChunkRecord

__all__ = [
    "Article", "ArticleDate", "ArticleLead", "BuildReport", "ChunkRecord", "DiskFullError", "Embedder", "IndexBusyError",
    "IndexDamagedError", "IndexMismatchError", "IndexNotFoundError", "InvalidInputError", "Manifest",
    "ModelUnavailableError", "NewsIndex", "NewsdeskError", "SUPPORTED_SUFFIXES", "SearchFilters",
    "SentenceTransformerEmbedder", "Settings", "SourceNotFoundError", "atomic_write", "build_index", "format_size",
    "fsync_dir", "get_embedder", "load_index", "normalize_date", "settings_from_env", "split_sentences",
]
