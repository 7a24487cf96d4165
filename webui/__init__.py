"""The web chat's helpers: safe HTML for answers, citations, search results and the whole
article (``reader``), form and ``/ask`` checks, upload storage, the Feeds tab and its
background poller (``feeds``), coverage and timelines, the conversation's export and
feedback marks, adding articles (``indexing``), the chat's settings, errors and CSS.
``pages`` builds the page and wires it to these and to ``qa``.

What may be imported here, and why (tests/webui/test_imports.py holds to it):

- the standard library;
- ``qa``'s public API (the names in ``qa.__all__``), so the chat reads answers, citation
  markers, the abstention and dates exactly as ``qa`` writes and checks them, with no copy
  to drift apart;
- ``feeds``' public API (``feeds.__all__``), for the Feeds tab and the background poller:
  following, listing and polling feeds, the same work as ``python -m feeds``;
- ``embeddings``' public API (``embeddings.__all__``), for what the chat shares with the
  pipeline underneath ``qa``: atomic file writes, sizes, reading ``NEWSDESK_*`` settings.

Nothing else: not ``app`` or ``pages`` (dependencies flow one way, ``app.py -> pages -> webui
-> qa -> embeddings``, with ``feeds`` beside ``qa`` on ``embeddings``), not a submodule of ``qa``,
``feeds`` or ``embeddings`` (their insides may change
without notice), and not ``gradio`` (only ``pages`` builds the page, so these helpers test
without a web framework). Importing ``webui`` loads no model: ``qa`` and ``embeddings``
import their heavy libraries on first use.
"""

from . import (api_args, briefing, coverage, export, feedback, feeds, forms, indexing, reader, render, stops, turns,
               uploads, watchlist)
from .errors import GENERIC_ERROR, FormError, UploadError, user_message
from .feedback import FeedbackError
from .settings import WebSettings, answer_concurrency
from .style import CSS

__all__ = [
    "answer_concurrency", "api_args", "briefing", "coverage", "CSS", "export", "feedback", "FeedbackError", "feeds",
    "FormError", "forms", "GENERIC_ERROR", "indexing", "reader", "render", "stops", "turns", "UploadError",
    "uploads", "user_message", "watchlist", "WebSettings",
]
