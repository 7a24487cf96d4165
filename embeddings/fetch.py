"""Fetching feeds and article pages over HTTP, politely and within limits.

The standard library's ``urllib.request`` does the requests: ``embeddings`` then needs no
HTTP package of its own (``httpx`` is installed, but for Gradio, whose pins move with it),
and the few things a crawler must control are simple to hold here: redirects are followed
by hand (each hop's scheme checked, loops and long chains refused, each hop waiting its
host's turn), the body is read in pieces up to a size cap and a whole-request deadline, and
conditional headers turn an unchanged feed into a cheap 304.

Every failure is one ``FetchError`` with a short reason ("HTTP 404 Not Found", "timed out
after 20 s", "redirected to a file: URL"), never an exception from deep inside urllib.
"""

from __future__ import annotations

import email.message
import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .errors import FetchError, InvalidInputError
from .files import format_size

USER_AGENT = "Newsdesk/0.1 (+feed reader)"
MAX_REDIRECTS = 5
MAX_URL_CHARS = 2_000
_READ_PIECE = 64 * 1024


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int  # 200, or 304 for a conditional request answered "not modified"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        message = email.message.Message()
        message["content-type"] = self.headers.get("content-type", "")
        return message.get_content_charset()


def check_url(url: str, what: str = "feed URL") -> str:
    """``url`` stripped, when it is an http(s) URL with a host; the only kind fetched.

    Raises:
        InvalidInputError: any other scheme (``file:``, ``ftp:``, ``javascript:``), no
            scheme or host, spaces or control characters, or a very long URL; the message
            says what to enter instead.
    """
    url = (url or "").strip()
    if not url:
        raise InvalidInputError(f"enter a {what}, e.g. https://example.com/feed.xml")
    if len(url) > MAX_URL_CHARS:
        raise InvalidInputError(f"the {what} is {len(url):,} characters long; at most {MAX_URL_CHARS:,} are accepted")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidInputError(f"the {what} {url[:80]!r} holds spaces or control characters; "
                                "paste the address exactly as the browser shows it")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise InvalidInputError(f"the {what} {url[:80]!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme or "." in scheme:  # "example.com/feed" or "example.com:8080/feed"
            raise InvalidInputError(f"the {what} {url[:80]!r} has no http:// or https:// in front; "
                                    f"enter it as https://{url[:80]}")
        hint = "; enter the feed's web address" if what == "feed URL" else ""
        raise InvalidInputError(f"only http:// and https:// {what}s are fetched, not {scheme}: "
                                f"({url[:80]}){hint}")
    if not parts.hostname:
        raise InvalidInputError(f"the {what} {url[:80]!r} names no host; enter it as https://HOST/PATH")
    return url


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx comes back as an HTTPError: Fetcher.get follows it itself


class Fetcher:
    """Fetches URLs one at a time, waiting ``host_delay_s`` between requests to one host.

    Thread-safe: the web app's poller and a "Poll now" click may share one. The per-host
    clock covers every request, redirect hops included, across calls.
    """

    def __init__(self, timeout_s: float = 20.0, max_bytes: int = 5_000_000, host_delay_s: float = 2.0,
                 user_agent: str = USER_AGENT, max_redirects: int = MAX_REDIRECTS) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.host_delay_s = host_delay_s
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self._opener = urllib.request.build_opener(_NoRedirects)
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings) -> "Fetcher":
        return cls(timeout_s=settings.feed_timeout_s, max_bytes=int(settings.feed_max_mb * 1e6),
                   host_delay_s=settings.feed_host_delay_s)

    def get(self, url: str, etag: str = "", modified: str = "", accept: str = "*/*") -> Response:
        """GET ``url``, following up to ``max_redirects`` redirects to http(s) URLs.

        Args:
            etag, modified: the validators of the last copy (``ETag``, ``Last-Modified``);
                a server that still has it answers 304, returned as ``status == 304``.
            accept: the ``Accept`` header.

        Raises:
            FetchError: the URL, a redirect, the connection, the status (other than 200-299
                and 304), the size or the time is wrong; the message says which.
        """
        seen = []
        current = url
        while True:
            try:
                check_url(current, "URL")
            except InvalidInputError as exc:
                raise FetchError(f"redirected to an unusable address: {exc}" if seen else str(exc)) from None
            seen.append(current)
            headers = {"User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "identity"}
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
            status, response_headers, body = self._request(current, headers)
            if status in (301, 302, 303, 307, 308):
                location = response_headers.get("location", "")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location")
                target = urljoin(current, location.strip())
                scheme = urlsplit(target).scheme.lower()
                if scheme not in ("http", "https"):
                    raise FetchError(f"redirected to a {scheme or 'schemeless'}: URL ({target[:80]}); only http(s) "
                                     "is followed")
                if target in seen:
                    raise FetchError(f"redirect loop ({' -> '.join(u[:60] for u in seen + [target])})")
                if len(seen) > self.max_redirects:
                    raise FetchError(f"more than {self.max_redirects} redirects; last to {target[:80]}")
                current = target
                continue
            return Response(current, status, body, response_headers)

    def _request(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self._wait_turn(urlsplit(url).hostname or "")
        request = urllib.request.Request(_as_uri(url), headers=headers)
        started = time.monotonic()
        try:
            response = self._opener.open(request, timeout=self.timeout_s)
        except urllib.error.HTTPError as exc:
            found = {k.lower(): v for k, v in (exc.headers or {}).items()}
            exc.close()
            if exc.code in (301, 302, 303, 304, 307, 308):
                return exc.code, found, b""
            raise FetchError(f"HTTP {exc.code} {exc.reason}".strip(),
                             _retry_after(found.get("retry-after", ""))) from None
        except urllib.error.URLError as exc:
            raise FetchError(_network_reason(exc.reason, urlsplit(url).hostname, self.timeout_s)) from None
        except (TimeoutError, socket.timeout):
            raise FetchError(f"timed out after {self.timeout_s:g} s") from None
        except (OSError, ValueError, http.client.HTTPException) as exc:  # a reset, a garbled status line
            raise FetchError(f"connection failed ({exc.__class__.__name__}: {exc})"[:200]) from None
        with response:
            found = {k.lower(): v for k, v in response.headers.items()}
            body = self._read(response, found, started)
            return response.status, found, body

    def _read(self, response, headers: dict[str, str], started: float) -> bytes:
        cap = self.max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"response is {format_size(int(declared))}, over the {format_size(cap)} cap "
                             "(raise NEWSDESK_FEED_MAX_MB to fetch it)")
        pieces, size = [], 0
        try:
            while True:
                # The socket timeout bounds each read; this bounds the whole body, which a
                # server trickling a byte at a time would otherwise stretch without end.
                if time.monotonic() - started > self.timeout_s:
                    raise FetchError(f"timed out after {self.timeout_s:g} s while reading the response")
                piece = response.read(_READ_PIECE)
                if not piece:
                    break
                size += len(piece)
                if size > cap:
                    raise FetchError(f"response is over the {format_size(cap)} cap "
                                     "(raise NEWSDESK_FEED_MAX_MB to fetch it)")
                pieces.append(piece)
        except (TimeoutError, socket.timeout):
            raise FetchError(f"timed out after {self.timeout_s:g} s while reading the response") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"connection broke while reading ({exc.__class__.__name__})") from None
        return b"".join(pieces)

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            turn = max(now, self._last.get(host, -1e9) + self.host_delay_s)
            self._last[host] = turn  # reserved: a second thread queues behind this request
        if turn > now:
            time.sleep(turn - now)


def _as_uri(url: str) -> str:
    """``url`` as the request line needs it: a non-ASCII host in IDNA (``xn--``), other
    non-ASCII characters percent-encoded as UTF-8 (links in feeds are often written as IRIs)."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError(f"the host name {host[:80]!r} is not a valid international domain name") from None
    netloc = host + (f":{parts.port}" if parts.port else "")
    if parts.username is not None:
        netloc = f"{quote(parts.username)}{':' + quote(parts.password) if parts.password else ''}@{netloc}"
    safe = "/?&=%:;,+@!$'()*~#[]"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe), quote(parts.query, safe),
                       quote(parts.fragment, safe)))


def _retry_after(value: str) -> float | None:
    value = value.strip()
    return float(value) if value.isdigit() else None


def _network_reason(reason, host: str | None, timeout_s: float) -> str:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout_s:g} s"
    if isinstance(reason, socket.gaierror):
        return f"cannot find the host {host} (DNS: {reason.strerror or reason})"
    if isinstance(reason, ConnectionRefusedError):
        return f"connection refused by {host}"
    if isinstance(reason, ssl.SSLError):
        return f"TLS/certificate problem with {host} ({reason.__class__.__name__}: {reason})"[:200]
    if isinstance(reason, OSError) and reason.strerror:
        return f"cannot connect to {host} ({reason.strerror})"
    return f"cannot connect to {host} ({reason})"[:200]
