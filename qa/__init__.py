"""Grounded answers with verified citations over the indexed news articles."""

from embeddings import (
    DiskFullError,
    IndexBusyError,
    IndexDamagedError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidInputError,
    ModelUnavailableError,
    NewsdeskError,
    SearchFilters,
    Settings,
    SourceNotFoundError,
    SUPPORTED_SUFFIXES,
)

from .answer import ABSTENTION, answer, stream_answer, warm_up
from .article import ArticleText, article, locate_quote
from .cite import CITATION_MARKER, marker_numbers, strip_markers
from .collection import IndexInfo, add_articles, example_questions, index_info
from .dates import DATE_RULE, parse_date, parse_date_range
from .generate import MODEL_CHOICES, Generator, get_generator
from .search import MAX_RESULTS, SearchHit, SearchResults, highlight_spans, search
from .types import Answer, Citation, Passage, RelatedArticle, Retrieved, Timings

# Every error the functions above raise, so callers need only `qa`.
__all__ = [
    "ABSTENTION", "Answer", "ArticleText", "CITATION_MARKER", "Citation", "DATE_RULE", "DiskFullError", "Generator",
    "IndexBusyError", "IndexDamagedError", "IndexInfo", "IndexMismatchError", "IndexNotFoundError",
    "InvalidInputError", "MAX_RESULTS", "MODEL_CHOICES", "ModelUnavailableError", "NewsdeskError", "Passage", "RelatedArticle",
    "Retrieved", "SUPPORTED_SUFFIXES", "SearchFilters", "SearchHit", "SearchResults", "Settings", "SourceNotFoundError", "Timings",
    "add_articles", "answer", "article", "example_questions", "get_generator", "highlight_spans", "index_info",
    "locate_quote", "marker_numbers", "parse_date", "parse_date_range", "search", "stream_answer", "strip_markers",
    "warm_up",
]
