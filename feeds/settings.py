"""How live feeds are fetched: the feeds package's own settings.

Where the feed list, the fetched articles and the index live is ``embeddings.Settings``
(``data_dir``, ``index_dir``); these are the knobs only the fetcher and the poll read. They
come from the same ``NEWSDESK_<FIELD>`` environment variables as every other settings object,
read by the one reader, ``embeddings.settings_from_env`` (``embeddings/settings.py`` explains
the "one settings object per package" layout); the field names keep their ``feed_`` prefix
so the variables stay ``NEWSDESK_FEED_*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from embeddings import setting, settings_from_env

from .addresses import parse_networks


@dataclass(frozen=True)
class FeedSettings:
    feed_poll_s: float = setting(
        900.0,
        "seconds between feed polls (`watch`, `app.py --watch`; `--every 15m` overrides)")
    feed_host_delay_s: float = setting(2.0, "least wait between two requests to one host, in seconds")
    feed_timeout_s: float = setting(
        20.0,
        "time limit per request (connecting, and reading the whole reply), in seconds")
    feed_max_mb: float = setting(5.0, "a larger feed or page is refused")
    feed_max_items: int = setting(30, "new pages fetched per feed per poll; the rest wait for the next")
    feed_retry_s: float = setting(300.0, "first retry after a failure, in seconds (doubles, up to 6 h)")
    # Networks a feed, page or redirect may reach although they are inside (loopback, private,
    # link-local ...): CIDR networks separated by commas, e.g. "10.1.0.0/16" for an intranet
    # feed. Empty: the public internet only (feeds/addresses.py says why).
    feed_allow_networks: str = setting(
        "",
        "networks inside (loopback, private, link-local ...) that feeds, pages and redirects may reach anyway: "
        "CIDR networks separated by commas, e.g. `10.1.0.0/16`; by default only public addresses are fetched")

    def __post_init__(self) -> None:
        parse_networks(self.feed_allow_networks)  # a typo fails here, naming the setting, not at a poll

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "FeedSettings":
        """Defaults, then ``NEWSDESK_FEED_*`` environment variables, then ``overrides``.

        Raises:
            InvalidInputError: a variable does not parse as its field's type, or
                ``NEWSDESK_FEED_ALLOW_NETWORKS`` names no network; the message names the variable.
        """
        return settings_from_env(cls, environ, **overrides)
