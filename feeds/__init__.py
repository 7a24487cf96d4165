"""Live feeds: follow RSS and Atom feeds and index each new item's article as it appears.

A package on top of ``embeddings``: it fetches (``fetch``: only public addresses, politely,
within limits), keeps the feed list (``state``) and polls (``poll``), then hands the fetched
articles to ``embeddings.build_index`` like any other source. ``embeddings`` never imports it;
``qa`` (saved searches: ``python -m qa watch``, the webhook), ``webui`` and ``app.py`` do.
"""

from .errors import AddressRefusedError, FeedStateError, FetchError, PollBusyError
from .fetch import Fetcher, check_url, redact_url
from .poll import FeedResult, PollReport, add_feed, list_feeds, parse_duration, poll_feeds, remove_feed, watch
from .settings import FeedSettings
from .state import Feed

__all__ = [
    "AddressRefusedError", "Feed", "FeedResult", "FeedSettings", "FeedStateError", "Fetcher", "FetchError",
    "PollBusyError", "PollReport", "add_feed", "check_url", "list_feeds", "parse_duration", "poll_feeds",
    "redact_url", "remove_feed", "watch",
]
