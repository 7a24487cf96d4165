"""robots.txt: asked once per site before an item's page is fetched, as RFC 9309 says.

Each site's rules are fetched through the same ``Fetcher`` as the pages (the same address
check, size and time caps, redirects and per-host delay), parsed with the standard
library's ``urllib.robotparser`` and kept for a day. What the answer means:

- 2xx: its rules, for the ``Newsdesk`` user agent (or ``*``).
- 4xx but 429 (404 above all: most sites have none): "unavailable", so everything is allowed.
- 5xx, 429, a timeout or no connection: "unreachable", so nothing of the site is fetched
  (RFC 9309 2.3.1.4: a site in trouble may be one that disallows everything) and the item
  is retried with the usual backoff, never skipped for good on a passing failure. This
  answer is kept for ``UNREACHABLE_TTL_S``, not asked again for each item of one poll.

Only item pages ask: the feed itself is what the user chose to follow, which is how
browsers and other feed readers treat a feed's address.
"""

from __future__ import annotations

import threading
import time
from typing import Callable
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from .errors import AddressRefusedError, FetchError

RULES_TTL_S = 24 * 3600.0  # RFC 9309 2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours
UNREACHABLE_TTL_S = 600.0


class RobotsRules:
    """Whether a site's robots.txt lets ``user_agent`` fetch a URL; one fetch per site per
    ``RULES_TTL_S``. Thread-safe (one site is fetched at a time)."""

    def __init__(self, get: Callable, user_agent: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._get = get  # Fetcher.get
        self._agent = user_agent
        self._clock = clock
        self._sites: dict[str, tuple[float, RobotFileParser | FetchError]] = {}
        self._lock = threading.Lock()

    def allowed(self, url: str) -> bool:
        """Whether ``url`` may be fetched.

        Raises:
            FetchError: the site's robots.txt is unreachable (5xx, 429, timeout, no
                connection): nothing of it is fetched until it answers.
            AddressRefusedError: the site is inside the network.
        """
        site = _site(url)
        with self._lock:
            kept = self._sites.get(site)
            if kept is None or kept[0] <= self._clock():
                kept = self._fetch(site)
                self._sites[site] = kept
        rules = kept[1]
        if isinstance(rules, FetchError):
            raise rules
        return rules.can_fetch(self._agent, url)

    def _fetch(self, site: str) -> tuple[float, RobotFileParser | FetchError]:
        rules = RobotFileParser(f"{site}/robots.txt")
        try:
            response = self._get(f"{site}/robots.txt", accept="text/plain")
        except AddressRefusedError:
            raise
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                rules.allow_all = True
                rules.modified()
                return self._clock() + RULES_TTL_S, rules
            return self._clock() + UNREACHABLE_TTL_S, FetchError(
                f"robots.txt of {site} is unreachable ({exc}); nothing of the site is fetched until it answers",
                exc.retry_after_s)
        rules.parse(response.body.decode("utf-8", "replace").splitlines())
        return self._clock() + RULES_TTL_S, rules


def _site(url: str) -> str:
    """``https://example.com:8443``: what one robots.txt speaks for (RFC 9309 2.3: scheme, host and port)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme.lower(), host + (f":{parts.port}" if parts.port else ""), "", "", ""))
