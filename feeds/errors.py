"""The feeds' errors: each a ``NewsdeskError``, so every boundary that catches those (the CLI's
one line, the web page's message) catches these too. Every message says what to do next."""

from __future__ import annotations

from embeddings import NewsdeskError


class FeedStateError(NewsdeskError):
    """The feed list file (``data/feeds.json``) is unreadable; the message names it and the fix."""


class FetchError(NewsdeskError):
    """A feed or an article page could not be fetched or used; ``str()`` is the reason, for a
    report line ("HTTP 404 Not Found", "timed out after 20 s", "not an RSS or Atom feed").

    ``retry_after_s`` is the wait the server asked for (``Retry-After``), when it did;
    ``status`` the HTTP status of an error reply (404, 503), when there was one.
    """

    def __init__(self, reason: str, retry_after_s: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.status = status


class AddressRefusedError(FetchError):
    """A feed, page, redirect or robots.txt whose host is (or resolves to) an address inside
    the network (loopback, private, link-local ...): never fetched, and never worth a retry
    until ``NEWSDESK_FEED_ALLOW_NETWORKS`` lists it."""


class PollBusyError(NewsdeskError):
    """Another poll of the feeds (``watch``, the web app) holds the poll lock."""
