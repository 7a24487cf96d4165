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
from .cite import CITATION_MARKER, marker_numbers, strip_markers
from .collection import IndexInfo, add_articles, example_questions, index_info
from .coverage import Coverage, CoverageBar, TimelineEntry, answer_timeline, coverage, summarize_coverage
from .dates import DATE_RULE, parse_date, parse_date_range
from .generate import MODEL_CHOICES, Generator, get_generator
from .openai_backend import redact_url
from .types import Answer, Citation, Passage, RelatedArticle, Retrieved, Timings

# Every error the functions above raise, so callers need only `qa`.
__all__ = [
    "ABSTENTION", "Answer", "CITATION_MARKER", "Citation", "Coverage", "CoverageBar", "DATE_RULE", "DiskFullError",
    "Generator", "IndexBusyError", "IndexDamagedError", "IndexInfo", "IndexMismatchError", "IndexNotFoundError",
    "InvalidInputError", "MODEL_CHOICES", "ModelUnavailableError", "NewsdeskError", "Passage", "RelatedArticle",
    "add_articles", "answer", "answer_timeline", "coverage", "example_questions", "get_generator",
    "index_info", "marker_numbers", "parse_date", "parse_date_range", "redact_url", "Retrieved",
    "SearchFilters", "Settings", "SourceNotFoundError", "stream_answer", "strip_markers", "summarize_coverage",
    "SUPPORTED_SUFFIXES", "TimelineEntry", "Timings", "warm_up",
]
