"""The polite fetcher against a real loopback server: who it says it is, how long it waits
between requests to one host, how far it follows redirects, and the size and time caps."""

from __future__ import annotations

import time

import pytest

from embeddings import FetchError, Fetcher, InvalidInputError, check_url

from ..feed_site import FeedSite, no_dns_for_invalid


@pytest.fixture
def site():
    with FeedSite() as site:
        yield site


def test_a_clear_user_agent_and_conditional_headers(site):
    url = site.page("/feed.xml", "<rss/>", etag='"e1"', last_modified="Mon, 02 Feb 2026 10:00:00 GMT")
    fetcher = Fetcher(host_delay_s=0)
    first = fetcher.get(url)
    assert first.status == 200 and first.headers["etag"] == '"e1"'
    again = fetcher.get(url, etag='"e1"', modified="Mon, 02 Feb 2026 10:00:00 GMT")
    assert again.not_modified and again.body == b""
    sent = site.hits("/feed.xml")[1].headers
    assert sent["user-agent"] == "Newsdesk/0.1 (+feed reader)"
    assert sent["if-none-match"] == '"e1"' and sent["if-modified-since"] == "Mon, 02 Feb 2026 10:00:00 GMT"


def test_requests_to_one_host_wait_their_turn(site):
    url = site.page("/a", "a")
    fetcher = Fetcher(host_delay_s=0.4)
    started = time.monotonic()
    for _ in range(3):
        fetcher.get(url)
    assert time.monotonic() - started >= 0.8  # two waits between three requests


def test_redirects_are_followed_within_limits(site):
    site.page("/end", "arrived")
    for n in range(5):  # /r0 -> /r1 -> ... -> /r4 -> /end: five redirects, the limit
        site.redirect(f"/r{n}", f"/r{n + 1}" if n < 4 else "/end", status=301 if n % 2 else 302)
    response = Fetcher(host_delay_s=0).get(site.url("/r0"))
    assert response.body == b"arrived" and response.url == site.url("/end")
    site.redirect("/r-1", "/r0")  # one more is one too many
    with pytest.raises(FetchError, match="more than 5 redirects"):
        Fetcher(host_delay_s=0).get(site.url("/r-1"))


@pytest.mark.parametrize("target, message", [
    ("file:///etc/passwd", "redirected to a file: URL"),
    ("ftp://example.com/x", "redirected to a ftp: URL"),
    ("javascript:alert(1)", "redirected to a javascript: URL"),
])
def test_a_redirect_to_another_scheme_is_refused(site, target, message):
    site.redirect("/r", target)
    with pytest.raises(FetchError, match=message):
        Fetcher(host_delay_s=0).get(site.url("/r"))


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_a_body_over_the_cap_is_refused(site, send_length):
    url = site.page("/big", b"x" * 200_000)
    site.routes["/big"].send_length = send_length
    with pytest.raises(FetchError, match="over the 0.1 MB cap"):
        Fetcher(host_delay_s=0, max_bytes=100_000).get(url)
    assert Fetcher(host_delay_s=0, max_bytes=300_000).get(url).body == b"x" * 200_000


def test_a_slow_server_times_out(site):
    url = site.page("/slow", "late")
    site.routes["/slow"].delay_s = 2.0
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        Fetcher(host_delay_s=0, timeout_s=0.5).get(url)
    assert time.monotonic() - started < 1.5


def test_http_errors_and_unreachable_hosts_are_one_line(site, monkeypatch):
    no_dns_for_invalid(monkeypatch)
    with pytest.raises(FetchError, match="^HTTP 500 Internal Server Error$"):
        Fetcher(host_delay_s=0).get(site.failing("/e", 500))
    with pytest.raises(FetchError, match="cannot find the host no-such-host.invalid"):
        Fetcher(host_delay_s=0, timeout_s=2).get("http://no-such-host.invalid/feed")
    with pytest.raises(FetchError, match="only http:// and https:// URLs are fetched, not file"):
        Fetcher(host_delay_s=0).get("file:///etc/passwd")


def test_check_url_keeps_good_urls():
    assert check_url("  https://example.com/feed?x=1  ") == "https://example.com/feed?x=1"
    assert check_url("HTTP://Example.com:8080/rss") == "HTTP://Example.com:8080/rss"
    with pytest.raises(InvalidInputError, match="at most 2,000"):
        check_url("https://example.com/" + "a" * 3000)


def test_a_link_with_non_ascii_characters_is_sent_percent_encoded(site):
    site.page("/news/%C3%BCber-d%C3%BCsseldorf.html", "ok")
    response = Fetcher(host_delay_s=0).get(site.url("/news/über-düsseldorf.html"))
    assert response.status == 200 and response.body == b"ok"
