"""The polite fetcher against a real loopback server: who it says it is, how long it waits
between requests to one address, how far it follows redirects, the size cap and the
whole-request deadline; and what it refuses to reach: every address inside the network,
however spelled, named, redirected to or rebound, unless NEWSDESK_FEED_ALLOW_NETWORKS opens it."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
import time

import pytest

from embeddings import InvalidInputError
from feeds import AddressRefusedError, FeedSettings, FetchError, Fetcher, check_url, redact_url

from ..feed_site import LOOPBACK, FeedSite, fake_dns, no_dns_for_invalid


@pytest.fixture
def site():
    with FeedSite() as site:
        yield site


def Fetcher_(**kw) -> Fetcher:  # noqa: N802 - the tests' Fetcher: no wait, loopback opened
    kw.setdefault("host_delay_s", 0)
    kw.setdefault("allow_networks", LOOPBACK)
    return Fetcher(**kw)


def test_a_clear_user_agent_and_conditional_headers(site):
    url = site.page("/feed.xml", "<rss/>", etag='"e1"', last_modified="Mon, 02 Feb 2026 10:00:00 GMT")
    fetcher = Fetcher_()
    first = fetcher.get(url)
    assert first.status == 200 and first.headers["etag"] == '"e1"'
    again = fetcher.get(url, etag='"e1"', modified="Mon, 02 Feb 2026 10:00:00 GMT")
    assert again.not_modified and again.body == b""
    sent = site.hits("/feed.xml")[1].headers
    assert sent["user-agent"] == "Newsdesk/0.1 (+feed reader)"
    assert sent["if-none-match"] == '"e1"' and sent["if-modified-since"] == "Mon, 02 Feb 2026 10:00:00 GMT"


def test_requests_to_one_host_wait_their_turn(site):
    url = site.page("/a", "a")
    fetcher = Fetcher_(host_delay_s=0.4)
    started = time.monotonic()
    for _ in range(3):
        fetcher.get(url)
    assert time.monotonic() - started >= 0.8  # two waits between three requests


def test_redirects_are_followed_within_limits(site):
    site.page("/end", "arrived")
    for n in range(5):  # /r0 -> /r1 -> ... -> /r4 -> /end: five redirects, the limit
        site.redirect(f"/r{n}", f"/r{n + 1}" if n < 4 else "/end", status=301 if n % 2 else 302)
    response = Fetcher_().get(site.url("/r0"))
    assert response.body == b"arrived" and response.url == site.url("/end")
    site.redirect("/r-1", "/r0")  # one more is one too many
    with pytest.raises(FetchError, match="more than 5 redirects"):
        Fetcher_().get(site.url("/r-1"))


@pytest.mark.parametrize("target, message", [
    ("file:///etc/passwd", "redirected to a file: URL"),
    ("ftp://example.com/x", "redirected to a ftp: URL"),
    ("javascript:alert(1)", "redirected to a javascript: URL"),
])
def test_a_redirect_to_another_scheme_is_refused(site, target, message):
    site.redirect("/r", target)
    with pytest.raises(FetchError, match=message):
        Fetcher_().get(site.url("/r"))


@pytest.mark.parametrize("send_length", [True, False], ids=["declared", "streamed"])
def test_a_body_over_the_cap_is_refused(site, send_length):
    url = site.page("/big", b"x" * 200_000)
    site.routes["/big"].send_length = send_length
    with pytest.raises(FetchError, match="over the 0.1 MB cap"):
        Fetcher_(max_bytes=100_000).get(url)
    assert Fetcher_(max_bytes=300_000).get(url).body == b"x" * 200_000


def test_a_slow_server_times_out(site):
    url = site.page("/slow", "late")
    site.routes["/slow"].delay_s = 2.0
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 0\.[5-9] s while waiting for the reply \(the limit is "
                                         r"0.5 s, NEWSDESK_FEED_TIMEOUT_S\)$"):
        Fetcher_(timeout_s=0.5).get(url)
    assert time.monotonic() - started < 1.5


def test_http_errors_and_unreachable_hosts_are_one_line(site, monkeypatch):
    no_dns_for_invalid(monkeypatch)
    with pytest.raises(FetchError, match="^HTTP 500 Internal Server Error$"):
        Fetcher_().get(site.failing("/e", 500))
    with pytest.raises(FetchError, match="cannot find the host no-such-host.invalid"):
        Fetcher_(timeout_s=2).get("http://no-such-host.invalid/feed")
    with pytest.raises(FetchError, match="only http:// and https:// URLs are fetched, not file"):
        Fetcher_().get("file:///etc/passwd")


def test_check_url_keeps_good_urls():
    assert check_url("  https://example.com/feed?x=1  ") == "https://example.com/feed?x=1"
    assert check_url("HTTP://Example.com:8080/rss") == "HTTP://Example.com:8080/rss"
    with pytest.raises(InvalidInputError, match="at most 2,000"):
        check_url("https://example.com/" + "a" * 3000)


def test_a_link_with_non_ascii_characters_is_sent_percent_encoded(site):
    site.page("/news/%C3%BCber-d%C3%BCsseldorf.html", "ok")
    response = Fetcher_().get(site.url("/news/über-düsseldorf.html"))
    assert response.status == 200 and response.body == b"ok"


# --- the whole-request deadline --------------------------------------------------------------

@pytest.mark.parametrize("headers_too", [False, True], ids=["body", "headers and body"])
def test_a_server_trickling_a_byte_at_a_time_is_cut_at_the_deadline(site, headers_too):
    # A socket timeout alone would never fire: each byte comes 0.2 s after the last.
    url = site.page("/trickle", b"x" * 200)
    site.routes["/trickle"].trickle_s = 0.2
    site.routes["/trickle"].trickle_headers = headers_too
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        Fetcher_(timeout_s=1.0).get(url)
    took = time.monotonic() - started
    assert took < 1.5
    phase = "while waiting for the reply" if headers_too else "while reading the response"
    said = re.match(rf"^timed out after (\d+\.\d) s {phase} \(the limit is 1 s, NEWSDESK_FEED_TIMEOUT_S\)$",
                    str(caught.value))
    assert said and 1.0 <= float(said.group(1)) <= took + 0.05, caught.value  # the real time it took


# --- politeness, per address ----------------------------------------------------------------

def test_one_address_is_one_host_however_it_is_named(site):
    site.page("/a", "a")
    fetcher = Fetcher_(host_delay_s=0.3)
    started = time.monotonic()
    for host in ("127.0.0.1", "localhost", "2130706433"):  # three names of one address
        fetcher.get(f"http://{host}:{site.port}/a")
    assert time.monotonic() - started >= 0.6  # two waits between three requests


def test_two_addresses_do_not_wait_for_each_other(site):
    with FeedSite("127.0.0.2") as other:
        urls = [site.page("/a", "a"), other.page("/a", "a")]
        fetcher = Fetcher_(host_delay_s=1.0)
        started = time.monotonic()
        for url in urls:
            fetcher.get(url)
        assert time.monotonic() - started < 0.9


# --- nothing inside the network --------------------------------------------------------------

INSIDE = {  # URL (PORT: the loopback site's) -> the refusal's start
    "127.0.0.1": ("http://127.0.0.1:PORT/secret", "127.0.0.1 is a loopback address"),
    "[::1]": ("http://[::1]:PORT/secret", "::1 is a loopback address"),
    "0.0.0.0": ("http://0.0.0.0:PORT/secret", "0.0.0.0 is the unspecified address"),
    "localhost": ("http://localhost:PORT/secret", "localhost resolves to "),
    "2130706433": ("http://2130706433:PORT/secret", "2130706433 is 127.0.0.1, a loopback address"),
    "0x7f.1": ("http://0x7f.1:PORT/secret", "0x7f.1 is 127.0.0.1, a loopback address"),
    "0177.0.0.1": ("http://0177.0.0.1:PORT/secret", "0177.0.0.1 is 127.0.0.1, a loopback address"),
    "127.1": ("http://127.1:PORT/secret", "127.1 is 127.0.0.1, a loopback address"),
    "[::ffff:127.0.0.1]": ("http://[::ffff:127.0.0.1]:PORT/secret", "::ffff:127.0.0.1 is 127.0.0.1, a loopback"),
    "169.254.169.254": ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    "10.0.0.1": ("http://10.0.0.1/rss", "10.0.0.1 is a private address"),
    "172.16.5.4": ("http://172.16.5.4/rss", "172.16.5.4 is a private address"),
    "192.168.1.1": ("https://192.168.1.1/rss", "192.168.1.1 is a private address"),
    "100.64.0.1": ("http://100.64.0.1/rss", "100.64.0.1 is a shared (carrier-grade NAT) address"),
    "[fe80::1]": ("http://[fe80::1]/rss", "fe80::1 is a link-local address"),
    "[fc00::1]": ("http://[fc00::1]/rss", "fc00::1 is a private address"),
    "224.0.0.1": ("http://224.0.0.1/rss", "224.0.0.1 is a multicast address"),
    "[ff02::1]": ("http://[ff02::1]/rss", "ff02::1 is a multicast address"),
    "240.0.0.1": ("http://240.0.0.1/rss", "240.0.0.1 is a reserved address"),
    "NAT64 of 10.0.0.1": ("http://[64:ff9b::a00:1]/rss", "64:ff9b::a00:1 is a private address inside an IPv6"),
    "a name inside": ("http://intranet.example/rss", "intranet.example resolves to 10.1.2.3, a private address"),
    "a name inside and out": ("http://both.example/rss", "both.example resolves to 192.168.0.7, a private"),
}


@pytest.fixture
def inside_dns(monkeypatch):
    return fake_dns(monkeypatch, {"intranet.example": ["10.1.2.3"], "both.example": ["93.184.215.14", "192.168.0.7"]})


@pytest.mark.parametrize("case", INSIDE, ids=list(INSIDE))
def test_every_address_inside_the_network_is_refused_before_connecting(case, site, inside_dns):
    site.page("/secret", "the server's own secrets")
    url, message = INSIDE[case]
    url = url.replace("PORT", str(site.port))
    with pytest.raises(AddressRefusedError) as caught:
        Fetcher(host_delay_s=0).get(url)  # no allow-list: the default
    assert str(caught.value).startswith(f"refused: {message}"), caught.value
    assert str(caught.value).endswith("; Newsdesk does not fetch from inside the network unless "
                                      "NEWSDESK_FEED_ALLOW_NETWORKS lists it")
    assert site.requests == []


def test_the_allow_list_opens_exactly_its_networks(site):
    site.page("/a", "inside, allowed")
    assert Fetcher(host_delay_s=0, allow_networks="10.0.0.0/8, 127.0.0.1/32").get(site.url("/a")).body == \
        b"inside, allowed"
    for narrower in ("127.0.0.2/32", "10.0.0.0/8", "::1/128"):
        with pytest.raises(AddressRefusedError):
            Fetcher(host_delay_s=0, allow_networks=narrower).get(site.url("/a"))
    # An IPv4 address written in IPv6 is the IPv4 one, for the allow-list too.
    assert Fetcher(host_delay_s=0, allow_networks="127.0.0.0/8").get(
        f"http://[::ffff:127.0.0.1]:{site.port}/a").body == b"inside, allowed"


@pytest.mark.parametrize("value, message", [
    ("10.0.0.0/33", "'10.0.0.0/33' is not a network"),
    ("10.1.2.3/16", "has host bits set"),
    ("intranet", "'intranet' is not a network"),
])
def test_a_bad_allow_list_is_one_error_naming_the_setting(value, message):
    with pytest.raises(InvalidInputError, match=f"^NEWSDESK_FEED_ALLOW_NETWORKS: .*{message}.*e.g. 127.0.0.0/8"):
        FeedSettings.from_env({"NEWSDESK_FEED_ALLOW_NETWORKS": value})
    settings = FeedSettings.from_env({"NEWSDESK_FEED_ALLOW_NETWORKS": " 127.0.0.0/8 ,10.1.0.0/16,"})
    assert Fetcher.from_settings(settings).allow_networks[1].exploded == "10.1.0.0/16"


@pytest.fixture
def outside():
    """A site on 127.0.0.2, the only loopback address its fetcher may reach: it plays a public
    site, and 127.0.0.1 (a second site on the same port) plays the inside."""
    with FeedSite("127.0.0.2") as public:
        with FeedSite("127.0.0.1", port=public.port) as inside:
            inside.page("/secret", "the server's own secrets")
            yield public, inside, Fetcher(host_delay_s=0, allow_networks="127.0.0.2/32")


@pytest.mark.parametrize("location", ["http://127.0.0.1:PORT/secret", "http://localhost:PORT/secret",
                                      "http://2130706433:PORT/secret", "http://169.254.169.254/latest/meta-data/"])
def test_a_redirect_into_the_network_is_refused(outside, location):
    public, inside, fetcher = outside
    public.redirect("/feed", location.replace("PORT", str(public.port)))
    with pytest.raises(AddressRefusedError, match=r"^redirected to http://\S+: refused: .*(loopback|link-local)"):
        fetcher.get(public.url("/feed"))
    assert inside.requests == [] and len(public.requests) == 1


def test_a_name_is_resolved_once_and_the_checked_address_connected(outside, monkeypatch):
    """DNS rebinding: the name answers outside for the check, inside a moment later. The
    connection goes to the address checked (http.client never asks again), and the next
    request, which asks again, is refused."""
    public, inside, fetcher = outside
    public.page("/feed", "public feed")
    answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]])
    asked = fake_dns(monkeypatch, {"rebind.example": lambda: next(answers)})
    url = f"http://rebind.example:{public.port}/feed"
    assert fetcher.get(url).body == b"public feed"
    assert asked == ["rebind.example"]  # one look-up for the request
    assert public.requests[0].headers["host"] == f"rebind.example:{public.port}"  # the name, not the address
    with pytest.raises(AddressRefusedError, match="rebind.example resolves to 127.0.0.1, a loopback address"):
        fetcher.get(url)
    assert inside.requests == []


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for news.example (and nothing else), and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", folder / "key.pem", "-out", folder / "cert.pem", "-days", "2",
                    "-subj", "/CN=news.example", "-addext", "subjectAltName=DNS:news.example"],
                   check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


def test_https_connects_to_the_checked_address_and_checks_the_certificate_against_the_name(certificate, monkeypatch):
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    fake_dns(monkeypatch, {"news.example": ["127.0.0.2"], "other.example": ["127.0.0.2"]})
    with FeedSite("127.0.0.2", tls=server) as site:
        site.page("/feed", "over TLS")
        fetcher = Fetcher(host_delay_s=0, allow_networks="127.0.0.2/32", ssl_context=client)
        response = fetcher.get(f"https://news.example:{site.port}/feed")
        assert response.body == b"over TLS" and site.requests[0].headers["host"] == f"news.example:{site.port}"
        with pytest.raises(FetchError, match="TLS/certificate problem with other.example"):
            fetcher.get(f"https://other.example:{site.port}/feed")  # same address, a name the certificate lacks


# --- credentials -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://user:s3cret@example.com/rss", "https://s3cret@example.com/rss",
                                 "http://user:s3cret@exa mple.com/rss", "http://user:s3cr@t@example.com/rss"])
def test_a_url_with_a_password_is_refused_without_repeating_it(url):
    with pytest.raises(InvalidInputError) as caught:
        check_url(url)
    assert "s3cr" not in str(caught.value) and "***@" in str(caught.value)


def test_a_redirect_to_a_url_with_a_password_never_shows_it(site):
    site.redirect("/r", "http://user:s3cret@127.0.0.1:1/x")
    with pytest.raises(FetchError) as caught:
        Fetcher_().get(site.url("/r"))
    assert "holds a user name or password" in str(caught.value) and "s3cret" not in str(caught.value)


def test_redact_url():
    assert redact_url("http://user:pw@host/feed?a=b@c") == "http://***@host/feed?a=b@c"
    assert redact_url("http://host/path@x") == "http://host/path@x"


# --- robots.txt ---------------------------------------------------------------------------------

def test_robots_txt_is_asked_once_per_site(site):
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n\nUser-agent: Newsdesk\nDisallow: /drafts/\n",
              "text/plain")
    fetcher = Fetcher_()
    assert fetcher.allowed_by_robots(site.url("/a/story.html"))
    assert not fetcher.allowed_by_robots(site.url("/drafts/story.html"))  # the rules for Newsdesk, not *'s
    assert fetcher.allowed_by_robots(site.url("/private/story.html"))
    assert len(site.hits("/robots.txt")) == 1


@pytest.mark.parametrize("status, allowed", [(404, True), (410, True), (503, False), (429, False)])
def test_a_missing_robots_txt_allows_and_an_unreachable_one_does_not(site, status, allowed):
    site.failing("/robots.txt", status)
    fetcher = Fetcher_()
    for _ in range(2):
        if allowed:
            assert fetcher.allowed_by_robots(site.url("/a.html"))
        else:
            with pytest.raises(FetchError, match=f"robots.txt of {site.url('')} is unreachable \\(HTTP {status}"):
                fetcher.allowed_by_robots(site.url("/a.html"))
    assert len(site.hits("/robots.txt")) == 1  # kept, not asked for each item
