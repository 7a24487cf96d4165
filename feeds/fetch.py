"""Fetching feeds and article pages over HTTP, politely, safely and within limits.

``http.client`` sends the requests, over sockets this module connects itself: the host is
resolved once, every address it resolves to is checked (``addresses.vetted``: nothing inside
the network unless ``NEWSDESK_FEED_ALLOW_NETWORKS`` lists it), and the socket is connected to
that checked address, while the Host header and the TLS certificate check (SNI included)
stay on the host name. Not ``urllib.request``: its connection looks the name up again when it
connects (an answer a rebinding DNS server can change after the check), and it sends through
any ``HTTP(S)_PROXY`` of the environment, which resolves names beyond the check. Not
``httpx`` (installed for Gradio, whose pins move it): pinning the address there takes a
custom httpcore network backend, more code than this, and a dependency ``feeds`` does
not otherwise have.

The rest a crawler must control is held here too: redirects are followed by hand (each
hop's scheme and address checked, loops and long chains refused, each hop waiting its turn);
one deadline bounds the whole request, connecting, the headers and the body (the socket
timeout is the time left before each read, and a watchdog shuts the socket when the time is
up, so a server trickling a byte at a time cannot hold a poll for hours); the body is read up
to a size cap; requests to one address are spaced (keyed on the IP address, so ``127.0.0.1``,
``localhost`` and ``2130706433`` are one host); conditional headers turn an unchanged feed
into a cheap 304; and ``robots`` asks each site's robots.txt before its pages.

Every failure is one ``FetchError`` with a short reason ("HTTP 404 Not Found", "timed out
after 20.0 s while reading the response", "redirected to a file: URL", "refused: ... resolves
to 10.0.0.1, a private address ..."), never an exception from deep inside the library.
"""

from __future__ import annotations

import email.message
import http.client
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from embeddings import InvalidInputError, format_size

from .addresses import Address, Network, as_networks, plain_ip, vetted
from .errors import AddressRefusedError, FetchError
from .robots import RobotsRules
from .settings import FeedSettings

USER_AGENT = "Newsdesk/0.1 (+feed reader)"
MAX_REDIRECTS = 5
MAX_URL_CHARS = 2_000
_READ_PIECE = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


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


_USERINFO = re.compile(r"^((?:[a-z][a-z0-9+.-]*:)?//)?[^/?#\s]*@", re.IGNORECASE)


def redact_url(url: str) -> str:
    """``url`` with any user name and password replaced by ``***``, for a message or a page:
    ``http://user:pw@host/feed`` -> ``http://***@host/feed``."""
    return _USERINFO.sub(r"\1***@", url or "", count=1)


def check_url(url: str, what: str = "feed URL") -> str:
    """``url`` stripped, when it is an http(s) URL with a host; the only kind fetched.

    Raises:
        InvalidInputError: any other scheme (``file:``, ``ftp:``, ``javascript:``), no
            scheme or host, a user name or password in it, spaces or control characters, or
            a very long URL; the message says what to enter instead (and never repeats a
            password).
    """
    url = (url or "").strip()
    if not url:
        raise InvalidInputError(f"enter a {what}, e.g. https://example.com/feed.xml")
    if len(url) > MAX_URL_CHARS:
        raise InvalidInputError(f"the {what} is {len(url):,} characters long; at most {MAX_URL_CHARS:,} are accepted")
    shown = redact_url(url)[:80]
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidInputError(f"the {what} {shown!r} holds spaces or control characters; "
                                "paste the address exactly as the browser shows it")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise InvalidInputError(f"the {what} {shown!r} is not a valid URL ({str(exc).replace(url, shown)})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme or "." in scheme:  # "example.com/feed" or "example.com:8080/feed"
            raise InvalidInputError(f"the {what} {shown!r} has no http:// or https:// in front; "
                                    f"enter it as https://{shown}")
        hint = "; enter the feed's web address" if what == "feed URL" else ""
        raise InvalidInputError(f"only http:// and https:// {what}s are fetched, not {scheme}: "
                                f"({shown}){hint}")
    if not parts.hostname:
        raise InvalidInputError(f"the {what} {shown!r} names no host; enter it as https://HOST/PATH")
    if "@" in parts.netloc:
        # Refused, not stripped: a feed that needs a login would fail without it anyway, and
        # feeds.json, the feed list and every report would otherwise hold the password.
        raise InvalidInputError(f"the {what} {shown!r} holds a user name or password; Newsdesk keeps no "
                                "passwords: use an address that needs no login")
    return url


def check_address(url: str, allow_networks: str | Sequence[Network] = "") -> None:
    """Refuse ``url`` when its host is, or resolves to, an address inside the network (see
    ``addresses``). A host that does not resolve now passes: the poll reports it, and checks
    again at every connection.

    Raises:
        AddressRefusedError: the message names the address, its kind and the setting.
        FetchError: the host is not a valid international domain name.
    """
    host, port = _host_port(urlsplit(_as_uri(url)))
    try:
        vetted(host, port, as_networks(allow_networks))
    except socket.gaierror:
        return


class Fetcher:
    """Fetches URLs one at a time, waiting ``host_delay_s`` between requests to one address.

    Thread-safe: the web app's poller and a "Poll now" click may share one. The per-host
    clock covers every request, redirect hops and robots.txt included, across calls.

    Args:
        allow_networks: the networks inside that may be reached anyway
            (``NEWSDESK_FEED_ALLOW_NETWORKS``: "127.0.0.0/8,10.1.0.0/16"); default none.
        ssl_context: certificate checks (default: the system's trusted authorities).
    """

    def __init__(self, timeout_s: float = 20.0, max_bytes: int = 5_000_000, host_delay_s: float = 2.0,
                 user_agent: str = USER_AGENT, max_redirects: int = MAX_REDIRECTS,
                 allow_networks: str | Sequence[Network] = "", ssl_context: ssl.SSLContext | None = None) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.host_delay_s = host_delay_s
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self.allow_networks = as_networks(allow_networks)
        self._ssl = ssl_context or ssl.create_default_context()
        self._last: dict[object, float] = {}
        self._lock = threading.Lock()
        self.robots = RobotsRules(self.get, user_agent)

    @classmethod
    def from_settings(cls, settings: FeedSettings) -> "Fetcher":
        return cls(timeout_s=settings.feed_timeout_s, max_bytes=int(settings.feed_max_mb * 1e6),
                   host_delay_s=settings.feed_host_delay_s, allow_networks=settings.feed_allow_networks)

    def get(self, url: str, etag: str = "", modified: str = "", accept: str = "*/*") -> Response:
        """GET ``url``, following up to ``max_redirects`` redirects to http(s) URLs.

        Args:
            etag, modified: the validators of the last copy (``ETag``, ``Last-Modified``);
                a server that still has it answers 304, returned as ``status == 304``.
            accept: the ``Accept`` header.

        Raises:
            AddressRefusedError: the URL or a redirect reaches inside the network.
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
            headers = {"User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "identity",
                       "Connection": "close"}
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
            try:
                status, response_headers, body = self._request(current, headers)
            except AddressRefusedError as exc:
                if seen[1:]:
                    raise AddressRefusedError(f"redirected to {redact_url(current)[:80]}: {exc}") from None
                raise
            if status in _REDIRECTS:
                location = response_headers.get("location", "")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location")
                target = urljoin(current, location.strip())
                scheme = urlsplit(target).scheme.lower()
                if scheme not in ("http", "https"):
                    raise FetchError(f"redirected to a {scheme or 'schemeless'}: URL ({redact_url(target)[:80]}); "
                                     "only http(s) is followed")
                if target in seen:
                    chain = " -> ".join(redact_url(u)[:60] for u in seen + [target])
                    raise FetchError(f"redirect loop ({chain})")
                if len(seen) > self.max_redirects:
                    raise FetchError(f"more than {self.max_redirects} redirects; last to {redact_url(target)[:80]}")
                current = target
                continue
            return Response(current, status, body, response_headers)

    def post_json(self, url: str, payload: bytes) -> int:
        """POST a JSON body to ``url`` (a webhook) under the same rules as a feed: a checked
        http(s) URL, only vetted addresses (nothing inside the network unless allowed), the
        per-address delay and the deadline. Redirects are not followed: a webhook answers.

        Returns:
            The HTTP status (2xx).

        Raises:
            AddressRefusedError: the URL reaches inside the network.
            FetchError: the URL, the connection, the status or the time is wrong.
        """
        check_url(url, "webhook URL")
        headers = {"User-Agent": self.user_agent, "Content-Type": "application/json", "Accept": "*/*",
                   "Accept-Encoding": "identity", "Connection": "close"}
        status, _, _ = self._request(url, headers, method="POST", body=payload)
        if status in _REDIRECTS or status == 304:
            raise FetchError(f"HTTP {status}: the webhook answered with a redirect, which is not followed")
        return status

    def allowed_by_robots(self, url: str) -> bool:
        """Whether the robots.txt of ``url``'s site lets Newsdesk fetch it (see ``robots``).

        Raises:
            FetchError: the robots.txt is unreachable for now.
            AddressRefusedError: the site is inside the network.
        """
        return self.robots.allowed(url)

    def _request(self, url: str, headers: dict[str, str], method: str = "GET",
                 body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(_as_uri(url))
        host, port = _host_port(parts)
        try:
            addresses = vetted(host, port, self.allow_networks)
        except socket.gaierror as exc:
            raise FetchError(f"cannot find the host {host} (DNS: {exc.strerror or exc})") from None
        self._wait_turn(addresses)
        https = parts.scheme.lower() == "https"
        deadline = _Deadline(self.timeout_s)
        try:
            sock = self._open(addresses, host, https, deadline)
            connection = (http.client.HTTPSConnection(host, port, context=self._ssl) if https
                          else http.client.HTTPConnection(host, port))
            connection.sock = sock  # connected to the checked address: http.client never resolves the name
            try:
                return self._exchange(connection, sock, parts, headers, deadline, method, body)
            finally:
                connection.close()
        except FetchError:
            raise
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise FetchError(_reason(exc, host, deadline, self.timeout_s)) from None
        finally:
            deadline.stop()

    def _open(self, addresses: list[Address], host: str, https: bool, deadline: "_Deadline") -> socket.socket:
        """A socket connected to the first checked address that answers (TLS done for https)."""
        problem: OSError | None = None
        for address in addresses:
            sock = socket.socket(address.family, socket.SOCK_STREAM)
            try:
                sock.settimeout(deadline.left())
                sock.connect(address.sockaddr)
                break
            except OSError as exc:
                sock.close()
                problem = exc
                if isinstance(exc, TimeoutError):
                    raise
        else:
            raise problem or OSError("no address to connect to")
        deadline.watch(sock)
        if https:
            # The handshake can trickle too: the watchdog shuts whichever socket holds the connection.
            sock = self._ssl.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            deadline.watch(sock)
            sock.settimeout(deadline.left())
            sock.do_handshake()
        deadline.phase = "while waiting for the reply"
        return sock

    def _exchange(self, connection: http.client.HTTPConnection, sock: socket.socket, parts, headers: dict[str, str],
                  deadline: "_Deadline", method: str = "GET", body: bytes | None = None,
                  ) -> tuple[int, dict[str, str], bytes]:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        sock.settimeout(deadline.left())
        connection.request(method, target, body=body, headers=headers)
        sock.settimeout(deadline.left())
        response = connection.getresponse()
        deadline.left()  # the watchdog may have cut the headers short
        found = {k.lower(): v for k, v in response.getheaders()}
        if response.status in _REDIRECTS or response.status == 304:
            return response.status, found, b""
        if not 200 <= response.status < 300:
            raise FetchError(f"HTTP {response.status} {response.reason}".strip(),
                             _retry_after(found.get("retry-after", "")), status=response.status)
        deadline.phase = "while reading the response"
        return response.status, found, self._read(response, sock, found, deadline)

    def _read(self, response: http.client.HTTPResponse, sock: socket.socket, headers: dict[str, str],
              deadline: "_Deadline") -> bytes:
        cap = self.max_bytes
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise FetchError(f"response is {format_size(int(declared))}, over the {format_size(cap)} cap "
                             "(raise NEWSDESK_FEED_MAX_MB to fetch it)")
        pieces, size = [], 0
        try:
            while True:
                sock.settimeout(deadline.left())  # each read waits at most for what is left of the deadline
                piece = response.read1(_READ_PIECE)  # one system call: the deadline is checked between each
                if not piece:
                    break
                size += len(piece)
                if size > cap:
                    raise FetchError(f"response is over the {format_size(cap)} cap "
                                     "(raise NEWSDESK_FEED_MAX_MB to fetch it)")
                pieces.append(piece)
            deadline.left()  # an end that was the watchdog shutting the socket is no end of the body
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            if deadline.expired or isinstance(exc, TimeoutError):
                raise FetchError(deadline.timed_out(self.timeout_s)) from None
            raise FetchError(f"connection broke while reading ({exc.__class__.__name__})") from None
        if declared.isdigit() and size < int(declared):
            raise FetchError(f"connection broke while reading ({format_size(size)} of {format_size(int(declared))})")
        return b"".join(pieces)

    def _wait_turn(self, addresses: list[Address]) -> None:
        # Keyed on every address the host resolves to: localhost and 127.0.0.1 are one host.
        keys = {plain_ip(a.ip) for a in addresses}
        with self._lock:
            now = time.monotonic()
            turn = max([now] + [self._last.get(k, -1e9) + self.host_delay_s for k in keys])
            for key in keys:
                self._last[key] = turn  # reserved: a second thread queues behind this request
        if turn > now:
            time.sleep(turn - now)


class _Deadline:
    """One request's time limit, from connecting to the body's last byte.

    A socket timeout alone bounds each read, not the request: a server sending a byte every
    second would hold it for hours. So ``left()`` is the timeout set before each operation,
    and a watchdog timer shuts the socket down when the time is up, which ends any read in
    progress, even one inside the TLS handshake or the headers.
    """

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.started = time.monotonic()
        self.expired = False
        self.phase = "while connecting"
        self._sock: socket.socket | None = None
        self._timer: threading.Timer | None = None

    def left(self) -> float:
        """Seconds left; raises ``TimeoutError`` once there are none."""
        left = self.started + self.limit_s - time.monotonic()
        if left <= 0 or self.expired:
            self.expired = True
            raise TimeoutError("deadline passed")
        return left

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def watch(self, sock: socket.socket) -> None:
        self._sock = sock
        if self._timer is None:
            self._timer = threading.Timer(max(self.left(), 0.0), self._cut)
            self._timer.daemon = True
            self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def timed_out(self, limit_s: float) -> str:
        return (f"timed out after {self.elapsed():.1f} s {self.phase} (the limit is {limit_s:g} s, "
                "NEWSDESK_FEED_TIMEOUT_S)")

    def _cut(self) -> None:
        self.expired = True
        try:  # the plain socket's shutdown, also under TLS: it wakes a read blocked in another thread
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except (OSError, TypeError):
            pass


def _host_port(parts) -> tuple[str, int]:
    return parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80)


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
    safe = "/?&=%:;,+@!$'()*~#[]"
    return urlunsplit((parts.scheme, netloc, quote(parts.path, safe), quote(parts.query, safe),
                       quote(parts.fragment, safe)))


def _retry_after(value: str) -> float | None:
    value = value.strip()
    return float(value) if value.isdigit() else None


def _reason(exc: BaseException, host: str, deadline: _Deadline, limit_s: float) -> str:
    if deadline.expired or isinstance(exc, TimeoutError):
        return deadline.timed_out(limit_s)
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return f"TLS/certificate problem with {host} ({exc.__class__.__name__}: {exc})"[:200]
    if deadline.phase == "while connecting":
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused by {host}"
        if isinstance(exc, OSError) and exc.strerror:
            return f"cannot connect to {host} ({exc.strerror})"
        return f"cannot connect to {host} ({exc})"[:200]
    return f"connection failed ({exc.__class__.__name__}: {exc})"[:200]
