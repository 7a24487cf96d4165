"""A real HTTP server on a loopback port that plays a news site: RSS and Atom feeds, article
pages, and every way a site fails (404, 500, a slow reply, a reply trickled a byte at a time,
HTML instead of a feed, broken XML, a page without a story, redirect loops, a redirect to
``file:``, an oversize page).

Loopback is inside the network, which the fetcher refuses by default: a test opens it with
``LOOPBACK`` (``NEWSDESK_FEED_ALLOW_NETWORKS``), or only one address of it, serving on another
loopback address (``FeedSite("127.0.0.2")``) to show 127.0.0.1 still refused. ``fake_dns``
stands in for DNS, so no test sends a query off the machine.

Tests change what it serves while it runs (``site.page(...)``, ``site.feed(...)``) and read
back what it was asked (``site.requests``), e.g. to assert a poll sent ``If-None-Match``.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Callable
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    delay_s: float = 0.0
    # Set: the reply waits until the test sets it (an order of events no machine's load can
    # change, where a delay only makes it likely).
    gate: threading.Event | None = None
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    trickle_s: float = 0.0  # > 0: the body is sent one byte at a time, this far apart
    trickle_headers: bool = False  # with trickle_s: the status line and headers too


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]  # lower-cased names
    status: int


LOOPBACK = "127.0.0.0/8"  # NEWSDESK_FEED_ALLOW_NETWORKS for tests that fetch from a FeedSite


class FeedSite:
    """``with FeedSite() as site: site.url("/rss.xml")``; ``FeedSite("127.0.0.2")`` serves on
    another loopback address (Linux answers on all of 127.0.0.0/8)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.scheme = "https" if tls else "http"
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest's output clean
                pass

            def do_GET(self):
                route = site.routes.get(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = 404 if route is None else route.status
                if route is not None and route.status == 200 and (
                        (route.etag and headers.get("if-none-match") == route.etag)
                        or (route.last_modified and headers.get("if-modified-since") == route.last_modified)):
                    status = 304
                site.requests.append(Request(self.path, headers, status))
                if route is not None and route.delay_s:
                    time.sleep(route.delay_s)
                if route is not None and route.gate is not None:
                    route.gate.wait(timeout=60)
                if route is not None and route.trickle_s:
                    self._trickle(route)
                    return
                body = b"" if status == 304 else (route.body if route else b"<h1>Not found</h1>")
                try:
                    self.send_response(status)
                    for name, value in (route.headers if route else {}).items():
                        self.send_header(name, value)
                    if route is not None and route.etag:
                        self.send_header("ETag", route.etag)
                    if route is not None and route.last_modified:
                        self.send_header("Last-Modified", route.last_modified)
                    if status != 304:
                        self.send_header("Content-Type", route.content_type if route else "text/html")
                    if route is None or route.send_length:
                        self.send_header("Content-Length", str(len(body)))
                    else:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout, size cap)
                    pass

            def _trickle(self, route: Route) -> None:
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: {route.content_type}\r\n"
                        f"Content-Length: {len(route.body)}\r\nConnection: close\r\n\r\n").encode()
                self.close_connection = True
                try:
                    if not route.trickle_headers:
                        self.wfile.write(head)
                    for byte in (head if route.trickle_headers else b"") + route.body:
                        self.wfile.write(bytes([byte]))
                        time.sleep(route.trickle_s)
                except (BrokenPipeError, ConnectionResetError, OSError):  # the client gave up
                    pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        # Polled every 50 ms, not 0.5 s: each test's shutdown waits for one poll.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> "FeedSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    # --- what it serves

    def page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", **kw) -> str:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, content_type, **kw)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = Route(b"", status=status, headers={"Location": location})
        return self.url(path)

    def failing(self, path: str, status: int) -> str:
        self.routes[path] = Route(f"<h1>error {status}</h1>".encode(), status=status)
        return self.url(path)

    def article(self, path: str, title: str, paragraphs: list[str]) -> str:
        return self.page(path, article_html(title, paragraphs))

    def rss(self, path: str, title: str, items: list[dict], etag: str = "", last_modified: str = "") -> str:
        return self.page(path, rss_xml(title, items), "application/rss+xml; charset=utf-8", etag=etag,
                         last_modified=last_modified)

    def atom(self, path: str, title: str, entries: list[dict], etag: str = "", last_modified: str = "") -> str:
        return self.page(path, atom_xml(title, entries), "application/atom+xml; charset=utf-8", etag=etag,
                         last_modified=last_modified)

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]


def no_dns_for_invalid(monkeypatch) -> None:
    """Make ``*.invalid`` names fail to resolve here, as a resolver would say, without asking
    one: a test must not send even a DNS query off the machine."""
    fake_dns(monkeypatch, {})


def fake_dns(monkeypatch, answers: dict[str, list[str] | Callable[[], list[str]]]) -> list[str]:
    """Stand in for DNS (``socket.getaddrinfo``): each name of ``answers`` resolves to its
    addresses (a list, or a function asked at each lookup: a rebinding server), ``*.invalid``
    to nothing; other names (localhost, literals) as the machine resolves them.

    Returns:
        The names of ``answers`` looked up, in order, one entry per lookup.
    """
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if isinstance(host, str) and host in answers:
            asked.append(host)
            found = answers[host]
            found = found() if callable(found) else found
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)) if ":" in ip
                    else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in found]
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def feed_env(monkeypatch, **fields) -> "FeedSettings":
    """Set every ``NEWSDESK_FEED_*`` variable: ``fields`` as given, the rest at their defaults.

    Where no ``FeedSettings`` is passed (the web page, the CLI, ``add_feed(url, settings)``),
    the feeds read their knobs from the environment; setting each one keeps a test's fetches
    as it says whatever the shell that runs it holds. Returns the settings it stands for.
    """
    from feeds import FeedSettings

    wanted = FeedSettings(**fields)  # a misspelt field fails here
    for f in dataclasses.fields(FeedSettings):
        monkeypatch.setenv(f"NEWSDESK_{f.name.upper()}", str(getattr(wanted, f.name)))
    return wanted


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


def article_html(title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>{escape(title)}</h1>{body}</article>"
            f"<footer>Copyright the site</footer></body></html>")


def rss_xml(title: str, items: list[dict]) -> str:
    """``items``: dicts of title, link, guid, date (RFC 822), in the order listed."""
    parts = []
    for item in items:
        fields = [f"<title>{escape(item['title'])}</title>"]
        if "link" in item:
            fields.append(f"<link>{escape(item['link'])}</link>")
        if "guid" in item:
            fields.append(f'<guid isPermaLink="false">{escape(item["guid"])}</guid>')
        if "date" in item:
            fields.append(f"<pubDate>{item['date']}</pubDate>")
        parts.append(f"<item>{''.join(fields)}</item>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>http://example.invalid/</link><description>news</description>{''.join(parts)}</channel></rss>")


def atom_xml(title: str, entries: list[dict]) -> str:
    """``entries``: dicts of title, link, id, updated (ISO 8601)."""
    parts = "".join(f"<entry><title>{escape(e['title'])}</title><link href=\"{escape(e['link'])}\"/>"
                    f"<id>{escape(e['id'])}</id><updated>{e['updated']}</updated></entry>" for e in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>urn:feed</id><updated>2026-02-03T10:00:00Z</updated>{parts}</feed>")
