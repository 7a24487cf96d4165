"""Grounded answers with verified citations over the indexed news articles."""

from embeddings import (
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
    SearchFilters,
    Settings,
    SourceNotFoundError,
    SUPPORTED_SUFFIXES,
)

from ._answer import ABSTENTION, answer, stream_answer, warm_up
from ._article import ArticleText, article, find_quote, locate_quote
from .briefing import Briefing, BriefStory, Summary, briefing, briefing_markdown, summarise
from .cite import CITATION_MARKER, marker_numbers, strip_markers
from .collection import IndexInfo, add_articles, example_questions, index_info
from ._coverage import Coverage, CoverageBar, TimelineEntry, answer_timeline, coverage, summarize_coverage
from .dates import DATE_RULE, parse_date, parse_date_range
from .generators import MODEL_CHOICES, Generator, get_generator
from .generators.openai import redact_url
from .stories import Story, StoryItem, load_stories, unplaced, update_stories
from .summaries import SUMMARIES
from .watchlist import Alert, Watch, WatchCheck, add_watch, check_watches, list_watches, mark_seen, notify, remove_watch
from ._search import MAX_RESULTS, SearchHit, SearchResults, highlight_spans, search
from .text import UNTITLED, plural, word_end, word_start
from .types import Answer, Citation, Passage, RelatedArticle, Retrieved, Timings, first_per_article

# Every error the functions above raise, so callers need only `qa`.
__all__ = [
    "ABSTENTION", "add_articles", "Briefing", "briefing", "briefing_markdown", "BriefStory", "load_stories",
    "Story", "StoryItem", "summarise", "unplaced", "SUMMARIES", "Summary", "update_stories",
    "Alert", "Watch", "WatchCheck", "add_watch", "check_watches", "list_watches", "mark_seen", "notify", "remove_watch",
    "Answer", "answer", "answer_timeline", "article", "ArticleText", "Citation",
    "CITATION_MARKER", "Coverage", "coverage", "CoverageBar", "DATE_RULE", "DiskFullError",
    "example_questions", "find_quote", "first_per_article", "plural", "UNTITLED", "word_end", "word_start",
    "Generator", "get_generator", "highlight_spans", "index_info", "IndexAuthError", "IndexBusyError",
    "IndexDamagedError", "IndexInfo", "IndexMismatchError", "IndexNotFoundError", "IndexServerError",
    "InputNotFoundError", "InvalidInputError",
    "locate_quote", "marker_numbers", "MAX_RESULTS", "MODEL_CHOICES", "ModelUnavailableError", "NewsdeskError",
    "parse_date", "parse_date_range", "Passage", "redact_url", "RelatedArticle", "Retrieved", "search",
    "SearchFilters", "SearchHit", "SearchResults", "Settings", "SourceNotFoundError", "stream_answer",
    "strip_markers", "summarize_coverage", "SUPPORTED_SUFFIXES", "TimelineEntry", "Timings", "warm_up",
]
