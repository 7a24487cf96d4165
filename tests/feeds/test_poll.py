"""Live feeds against a real HTTP server on a loopback port (tests/feed_site.py): items are
fetched, extracted and indexed; repeat polls are conditional; every failure stays one feed's
or one item's, is retried with backoff, and never costs an indexed article."""

from __future__ import annotations

import json
import time

import pytest

import feeds.poll as feeds_module
from embeddings import InvalidInputError, build_index, load_index
from embeddings.build import build_lock
from feeds import FeedSettings, FeedStateError, PollBusyError, add_feed, list_feeds, poll_feeds, remove_feed
from feeds.poll import articles_dir, state_path
from feeds.state import edit_state

from ..feed_site import LOOPBACK, FeedSite, fake_dns, feed_env, http_date, no_dns_for_invalid

BRIDGE = ["Torun opened a glass footbridge over the Vistula river on Saturday, the city's mayor said.",
          "The 310-metre bridge cost 48 million zloty and took three years to build, according to the city.",
          "About 12,000 people crossed the bridge on its first day, and cyclists must dismount on the glass."]
FERRY = ["A new electric ferry began service between Kelvik and the outer islands on Monday morning.",
         "The ferry carries 300 passengers and charges its batteries in twenty minutes at each end.",
         "Islanders said the quieter crossing was welcome after years of diesel fumes on the old boat."]
ORCHARD = ["Apple growers in the Vale reported a record harvest this autumn after a mild, wet spring.",
           "The cooperative said it picked 41,000 tonnes, a fifth more than last year's crop.",
           "Prices at the farm gate fell by about ten percent as the cold stores filled up quickly."]
LIBRARY = ["The city library reopened on Tuesday after a two-year renovation of its reading rooms.",
           "Its new children's wing holds 20,000 books and a small theatre for weekend story hours.",
           "Librarians said more than 3,000 people visited on the first day, twice what they expected."]
MODIFIED = http_date(1_770_000_000)


@pytest.fixture
def settings(settings, monkeypatch):
    """No per-host wait, short timeouts, retries from 60 s, loopback opened for the test
    site: fast and still real. (The feeds' knobs, ``FeedSettings``, are read from the
    environment where a test passes none.)"""
    feed_env(monkeypatch, feed_host_delay_s=0.0, feed_timeout_s=1.0, feed_retry_s=60.0, feed_allow_networks=LOOPBACK)
    return settings


@pytest.fixture
def public_dns(monkeypatch):
    """example.com and example.org resolve outside, without asking a DNS server."""
    return fake_dns(monkeypatch, {"example.com": ["93.184.215.14"], "example.org": ["93.184.215.15"]})


@pytest.fixture
def site():
    with FeedSite() as site:
        yield site


@pytest.fixture
def poll(settings, embedder):
    def run(**kw):
        return poll_feeds(settings, embedder=embedder, **kw)
    return run


def serve_courier(site, guids=("1", "2"), **validators) -> str:
    """The Baltic Courier: two articles and their RSS feed at /rss.xml (ETag "v1", plus any
    other ``validators`` such as ``last_modified``); returns the feed's URL."""
    site.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
    site.article("/a/ferry.html", "Electric ferry starts island service", FERRY)
    return site.rss("/rss.xml", "Baltic Courier", [
        {"title": "Glass footbridge opens in Torun", "link": site.url("/a/bridge.html"), "guid": guids[0],
         "date": "Sat, 14 Feb 2026 09:00:00 GMT"},
        {"title": "Electric ferry starts island service", "link": site.url("/a/ferry.html"), "guid": guids[1],
         "date": "Mon, 16 Feb 2026 07:30:00 GMT"}], etag='"v1"', **validators)


def serve_news(site):
    """An RSS feed (ETag + Last-Modified) with two items and an Atom feed (Last-Modified) with one."""
    rss = serve_courier(site, ("bc-1", "bc-2"), last_modified=MODIFIED)
    site.article("/b/orchard.html", "Record apple harvest in the Vale", ORCHARD)
    atom = site.atom("/atom.xml", "Vale Gazette", [
        {"title": "Record apple harvest in the Vale", "link": site.url("/b/orchard.html"), "id": "urn:vg:1",
         "updated": "2026-02-10T12:00:00Z"}], last_modified=MODIFIED)
    return rss, atom


def articles_by_title(settings, embedder):
    index = load_index(settings, embedder=embedder)
    try:
        return {a.title: a for a in index.articles()}
    finally:
        index.close()


# --- what a poll indexes -----------------------------------------------------------------

def test_rss_and_atom_items_are_indexed_with_title_date_source_and_url(site, settings, embedder, poll):
    rss, atom = serve_news(site)
    add_feed(rss, settings)
    add_feed(atom, settings)
    report = poll()
    assert report.new == 3 and report.failed == 0, report.summary()
    assert report.build is not None and len(report.build.added) == 3
    found = articles_by_title(settings, embedder)
    bridge, orchard = found["Glass footbridge opens in Torun"], found["Record apple harvest in the Vale"]
    assert (bridge.publish_date, bridge.byline, bridge.url) == ("2026-02-14", "Baltic Courier",
                                                               site.url("/a/bridge.html"))
    assert (orchard.publish_date, orchard.byline, orchard.url) == ("2026-02-10", "Vale Gazette",
                                                                 site.url("/b/orchard.html"))
    assert "48 million zloty" in bridge.text and "Copyright" not in bridge.text  # the body, not the chrome
    assert found["Electric ferry starts island service"].publish_date == "2026-02-16"
    # The feeds report what they hold, and the state remembers it.
    listed = {f.url: f for f in list_feeds(settings)}
    assert listed[rss].title == "Baltic Courier" and listed[rss].new_items == 2 and listed[rss].total_items == 2
    assert listed[rss].etag == '"v1"' and listed[rss].modified == MODIFIED and listed[rss].last_error == ""
    assert "Baltic Courier" in report.summary() and "+ Glass footbridge opens in Torun" in report.summary()
    # Every request said who is asking.
    assert {r.headers["user-agent"] for r in site.requests} == {"Newsdesk/0.1 (+feed reader)"}


def test_a_second_poll_is_conditional_and_fetches_nothing_again(site, settings, embedder, poll):
    rss, atom = serve_news(site)
    add_feed(rss, settings)
    add_feed(atom, settings)
    poll()
    generation = (settings.index_dir / "CURRENT").read_text()
    report = poll()
    assert report.new == 0 and report.build is None
    assert [f.status for f in report.feeds] == ["not modified", "not modified"]
    second_rss, second_atom = site.hits("/rss.xml")[1], site.hits("/atom.xml")[1]
    assert second_rss.headers["if-none-match"] == '"v1"' and second_rss.status == 304
    assert second_atom.headers["if-modified-since"] == MODIFIED and second_atom.status == 304
    assert len(site.hits("/a/bridge.html")) == 1 and len(site.hits("/b/orchard.html")) == 1
    assert (settings.index_dir / "CURRENT").read_text() == generation  # no build either

    # The feed changes: only its new item is fetched; the known ones are not, though listed again.
    site.article("/a/library.html", "City library reopens", LIBRARY)
    site.rss("/rss.xml", "Baltic Courier", [
        {"title": "City library reopens", "link": site.url("/a/library.html"), "guid": "bc-3",
         "date": "Tue, 17 Feb 2026 10:00:00 GMT"},
        {"title": "Glass footbridge opens in Torun", "link": site.url("/a/bridge.html"), "guid": "bc-1"},
        {"title": "Electric ferry starts island service", "link": site.url("/a/ferry.html"), "guid": "bc-2"}],
        etag='"v2"')
    report = poll()
    assert report.new == 1 and report.build.added and len(site.hits("/a/bridge.html")) == 1
    assert set(articles_by_title(settings, embedder)) == {
        "Glass footbridge opens in Torun", "Electric ferry starts island service",
        "Record apple harvest in the Vale", "City library reopens"}


def test_at_most_max_items_per_poll_and_the_rest_next_time(site, settings, embedder):
    rss, _ = serve_news(site)
    add_feed(rss, settings)
    few = FeedSettings.from_env(feed_max_items=1)
    first = poll_feeds(settings, embedder=embedder, feed_settings=few)
    assert first.new == 1 and "1 more new items are fetched at the next poll" in first.summary()
    second = poll_feeds(settings, embedder=embedder, feed_settings=few)
    # Not a 304: the feed was asked unconditionally, since one item was still waiting.
    assert "if-none-match" not in site.hits("/rss.xml")[1].headers
    assert second.new == 1
    assert len(articles_by_title(settings, embedder)) == 2


# --- failures ----------------------------------------------------------------------------

def slow(site):
    site.rss("/slow.xml", "Slow", [])
    site.routes["/slow.xml"].delay_s = 3.0
    return site.url("/slow.xml")


FEED_FAILURES = {
    "404": (lambda s: s.failing("/gone.xml", 404), "HTTP 404"),
    "500": (lambda s: s.failing("/boom.xml", 500), "HTTP 500"),
    "timeout": (slow, "timed out after 1."),
    "not a feed": (lambda s: s.article("/home.html", "Front page", BRIDGE), "not an RSS or Atom feed"),
    "malformed XML": (lambda s: s.page("/broken.xml", '<?xml version="1.0"?><rss version="2.0"><channel>'
                                                      "<title>Broken</title><item><title>x</ti",
                                       "application/rss+xml"), "malformed XML"),
    "DNS": (lambda s: "http://no-such-host.invalid/rss.xml", "cannot find the host no-such-host.invalid"),
    "refused": (lambda s: "http://127.0.0.1:9/rss.xml", "127.0.0.1"),
    "redirect loop": (lambda s: (s.redirect("/loop1", "/loop2"), s.redirect("/loop2", "/loop1"))[0],
                      "redirect loop"),
    "redirect to file:": (lambda s: s.redirect("/tofile", "file:///etc/passwd"), "redirected to a file: URL"),
    "oversize": (lambda s: s.page("/huge.xml", b"<rss>" + b" " * 3_000_000, "application/rss+xml"),
                 "over the 2.0 MB cap"),
}


@pytest.mark.parametrize("case", FEED_FAILURES, ids=list(FEED_FAILURES))
def test_a_failing_feed_is_reported_backs_off_and_does_not_stop_the_others(case, site, settings, embedder,
                                                                           monkeypatch):
    no_dns_for_invalid(monkeypatch)
    make, reason = FEED_FAILURES[case]
    monkeypatch.setenv("NEWSDESK_FEED_MAX_MB", "2.0")
    bad = make(site)
    rss, _ = serve_news(site)
    add_feed(bad, settings)  # first in the list: the good feed after it is still polled
    add_feed(rss, settings)
    clock = [time.time()]
    report = poll_feeds(settings, embedder=embedder, now=lambda: clock[0])
    failed, good = report.feeds
    assert failed.status == "failed" and reason in failed.error, failed.error
    assert good.status == "ok" and len(good.new) == 2
    assert report.build is not None and len(report.build.added) == 2
    feed = {f.url: f for f in list_feeds(settings)}[bad]
    assert feed.failures == 1 and reason in feed.last_error
    assert feed.next_retry == feeds_module._iso(clock[0] + 60)  # feed_retry_s
    assert f"failed: {failed.error}; retry after {feed.next_retry}" in report.summary()

    # Before its retry time it is left alone; after it, tried again and the wait doubles.
    requests_before = len(site.requests)
    clock[0] += 30
    waiting = poll_feeds(settings, embedder=embedder, now=lambda: clock[0]).feeds[0]
    assert waiting.status == "waiting"
    assert all(r.path == "/rss.xml" for r in site.requests[requests_before:])
    clock[0] += 31
    assert poll_feeds(settings, embedder=embedder, now=lambda: clock[0]).feeds[0].status == "failed"
    feed = {f.url: f for f in list_feeds(settings)}[bad]
    assert feed.failures == 2 and feed.next_retry == feeds_module._iso(clock[0] + 120)


def test_a_server_that_asks_for_a_later_retry_is_obeyed(site, settings, poll):
    site.failing("/busy.xml", 503)
    site.routes["/busy.xml"].headers = {"Retry-After": "3600"}
    add_feed(site.url("/busy.xml"), settings)
    start = time.time()
    poll(now=lambda: start)
    assert list_feeds(settings)[0].next_retry == feeds_module._iso(start + 3600)


def test_a_recovered_feed_clears_its_error(site, settings, poll):
    url = site.failing("/flaky.xml", 500)
    add_feed(url, settings)
    clock = [time.time()]
    poll(now=lambda: clock[0])
    site.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
    site.rss("/flaky.xml", "Flaky", [{"title": "Bridge", "link": site.url("/a/bridge.html")}])
    clock[0] += 61
    assert poll(now=lambda: clock[0]).new == 1
    feed = list_feeds(settings)[0]
    assert (feed.failures, feed.last_error, feed.next_retry) == (0, "", "")


def test_bad_items_are_skipped_or_retried_and_the_good_one_indexed(site, settings, embedder, monkeypatch):
    monkeypatch.setenv("NEWSDESK_FEED_MAX_MB", "1.0")
    site.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
    site.page("/a/empty.html", "<html><body><nav><a href='/'>Home</a></nav></body></html>")
    site.page("/a/stub.html", "<html><body><article><p>Subscribe now.</p></article></body></html>")
    site.page("/a/huge.html", "<html><body><p>" + "word " * 300_000 + "</p></body></html>")
    site.failing("/a/gone.html", 404)
    site.redirect("/a/r1", "/a/r2")
    site.redirect("/a/r2", "/a/r1")
    items = [{"title": "Good", "link": site.url("/a/bridge.html"), "guid": "good"},
             {"title": "Local file", "link": "file:///etc/passwd", "guid": "file"},
             {"title": "Script", "link": "javascript:alert(1)", "guid": "js"},
             {"title": "No body", "link": site.url("/a/empty.html"), "guid": "empty"},
             {"title": "Stub", "link": site.url("/a/stub.html"), "guid": "stub"},
             {"title": "Huge", "link": site.url("/a/huge.html"), "guid": "huge"},
             {"title": "Gone", "link": site.url("/a/gone.html"), "guid": "gone"},
             {"title": "Loop", "link": site.url("/a/r1"), "guid": "loop"},
             {"title": "No link at all", "guid": "nolink"}]
    url = site.rss("/mixed.xml", "Mixed", items)
    add_feed(url, settings)
    clock = [time.time()]
    report = poll_feeds(settings, embedder=embedder, now=lambda: clock[0])
    result = report.feeds[0]
    assert result.status == "ok" and result.new == ["Good"]
    problems = "\n".join(result.problems)
    # (feedparser writes file:///etc/passwd as file://etc/passwd)
    for expected in ("etc/passwd: skipped: only http:// and https:// item links are fetched, not file:",
                     "javascript:alert(1): skipped", "empty.html: no article on the page", "stub.html: no article on the page",
                     "huge.html: response is 1.5 MB, over the 1.0 MB cap", "gone.html: HTTP 404",
                     "r1: redirect loop", "No link at all: skipped: the item has no link"):
        assert expected in problems, problems
    assert set(articles_by_title(settings, embedder)) == {"Good"}
    feed = list_feeds(settings)[0]
    assert set(feed.retries) == {"empty", "stub", "huge", "gone", "loop"}  # file:, javascript:, no link: for good
    assert {"good", "file", "js", "nolink"} <= set(feed.seen)
    assert feed.retries["gone"].next_retry == feeds_module._iso(clock[0] + 60)

    # A failed page is retried when due, even though the feed itself is unchanged; a fixed
    # one is indexed, and one that keeps failing is given up after MAX_ITEM_TRIES.
    site.article("/a/gone.html", "Electric ferry starts island service", FERRY)
    for _ in range(feeds_module.MAX_ITEM_TRIES - 1):
        clock[0] += 6 * 3600 + 1
        report = poll_feeds(settings, embedder=embedder, now=lambda: clock[0])
    found = articles_by_title(settings, embedder)
    assert set(found) == {"Good", "Gone"} and "electric ferry" in found["Gone"].text  # the feed's title wins
    feed = list_feeds(settings)[0]
    assert feed.retries == {} and "gave up after 5 tries" in "\n".join(report.feeds[0].problems)
    assert not any(r.path.startswith("/etc") for r in site.requests)


# --- nothing indexed is lost ---------------------------------------------------------------

def test_feed_articles_survive_failed_polls_and_builds_of_other_inputs(site, settings, embedder, poll, tmp_path):
    other = tmp_path / "desk"
    other.mkdir()
    (other / "library.txt").write_text("City library reopens\n\nBy Desk\n2026-02-17\n\n" + " ".join(LIBRARY))
    build_index([other], settings, embedder=embedder, progress=False)
    rss, _ = serve_news(site)
    add_feed(rss, settings)
    poll()
    before = set(articles_by_title(settings, embedder))
    assert len(before) == 3

    site.failing("/rss.xml", 500)  # the feed breaks, its pages vanish
    del site.routes["/a/bridge.html"]
    report = poll(now=lambda: time.time() + 10_000)
    assert report.failed == 1 and report.build is None
    assert set(articles_by_title(settings, embedder)) == before

    # Re-syncing every input, or only the other one, keeps the feed's articles.
    build_index([], settings, embedder=embedder, progress=False)
    assert set(articles_by_title(settings, embedder)) == before
    (other / "library.txt").unlink()
    build_index([other], settings, embedder=embedder, progress=False)
    assert set(articles_by_title(settings, embedder)) == before - {"City library reopens"}
    # And a rebuild from the recorded inputs reads the fetched articles again.
    build_index([], settings, embedder=embedder, rebuild=True, progress=False)
    assert len(articles_by_title(settings, embedder)) == 2


def test_a_busy_index_keeps_the_articles_for_the_next_poll(site, settings, embedder, poll, monkeypatch):
    monkeypatch.setattr(feeds_module, "BUSY_WAIT_S", 0.0)
    rss, _ = serve_news(site)
    add_feed(rss, settings)
    with build_lock(settings.index_dir):
        report = poll()
    assert report.new == 2 and "another build is writing" in report.build_error
    assert "the next poll indexes them" in report.summary()
    assert json.loads(state_path(settings).read_text())["index_pending"] is True
    assert len(list(articles_dir(settings).rglob("*.json"))) == 2
    report = poll()
    assert report.new == 0 and len(report.build.added) == 2
    assert json.loads(state_path(settings).read_text())["index_pending"] is False


# --- the feed list -------------------------------------------------------------------------

def test_add_list_remove(settings, public_dns):
    add_feed(" https://example.com/rss.xml ", settings)
    add_feed("http://example.org/atom", settings)
    with pytest.raises(InvalidInputError, match="already followed"):
        add_feed("https://example.com/rss.xml", settings)
    assert [f.url for f in list_feeds(settings)] == ["https://example.com/rss.xml", "http://example.org/atom"]
    remove_feed("https://example.com/rss.xml", settings)
    assert [f.url for f in list_feeds(settings)] == ["http://example.org/atom"]
    with pytest.raises(InvalidInputError, match="not followed.*feed list"):
        remove_feed("https://example.com/rss.xml", settings)


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "only http:// and https:// feed URLs are fetched, not file"),
    ("ftp://example.com/feed.xml", "not ftp"),
    ("javascript:alert(1)", "not javascript"),
    ("example.com/rss.xml", "enter it as https://example.com/rss.xml"),
    ("https:///rss.xml", "names no host"),
    ("http://exa mple.com/rss", "spaces or control characters"),
    ("", "enter a feed URL"),
    ("http://example.com:port/rss", "not a valid URL"),
])
def test_only_http_urls_can_be_added(settings, url, message):
    with pytest.raises(InvalidInputError, match=message):
        add_feed(url, settings)
    assert list_feeds(settings) == []


@pytest.mark.parametrize("content", ["{not json", '{"format": 1}', '{"format": 7, "feeds": []}',
                                     '{"format": 1, "feeds": [{"url": 3}]}',
                                     '{"format": 1, "feeds": [{"url": "http://a/", "seen": "x"}]}',
                                     '{"format": 1, "feeds": [{"url": "http://a/", "failures": "many"}]}'])
def test_a_damaged_state_file_is_one_message_naming_the_fix(settings, content, poll, public_dns):
    path = state_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    for action in (lambda: list_feeds(settings), lambda: add_feed("http://example.com/", settings), poll):
        with pytest.raises(FeedStateError, match=r"feeds.json is damaged .*`python -m feeds feed add URL`"):
            action()
    assert path.read_text() == content  # left as it was, for whoever mends it


def test_an_unexpected_error_in_one_feed_is_that_feeds_failure(site, settings, poll, monkeypatch):
    rss, atom = serve_news(site)
    add_feed(atom, settings)
    add_feed(rss, settings)
    parse = feeds_module._parse

    def fragile(response):
        if response.url == atom:
            raise RuntimeError("parser bug")
        return parse(response)

    monkeypatch.setattr(feeds_module, "_parse", fragile)
    report = poll()
    assert [f.status for f in report.feeds] == ["failed", "ok"] and report.new == 2
    assert report.feeds[0].error == "RuntimeError: parser bug"
    assert list_feeds(settings)[0].failures == 1


def test_an_item_listed_twice_is_fetched_once(site, settings, poll):
    site.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
    item = {"title": "Bridge", "link": site.url("/a/bridge.html"), "guid": "same"}
    add_feed(site.rss("/rss.xml", "Twice", [item, item]), settings)
    assert poll().new == 1 and len(site.hits("/a/bridge.html")) == 1


def test_watch_polls_until_stopped_and_survives_a_damaged_list(site, settings, embedder):
    import threading

    from feeds import watch

    rss, _ = serve_news(site)
    add_feed(rss, settings)
    stop, reports, errors = threading.Event(), [], []

    def on_report(report):
        reports.append(report)
        state_path(settings).write_text("{damaged")  # mended by nobody: each later poll says so

    def on_error(exc):
        errors.append(exc)
        stop.set()

    started = time.monotonic()
    assert watch(settings, every_s=0.2, stop=stop, on_report=on_report, on_error=on_error, embedder=embedder) is None
    assert len(reports) == 1 and reports[0].new == 2
    assert len(errors) == 1 and isinstance(errors[0], FeedStateError)
    assert time.monotonic() - started < 10


def test_a_web_page_that_names_its_feed_says_which_to_follow(site, settings, poll):
    site.page("/", '<!doctype html><html><head><title>Courier</title>'
                   '<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss.xml"></head>'
                   "<body><h1>Courier</h1></body></html>")
    add_feed(site.url("/"), settings)
    assert poll().feeds[0].error == (f"not an RSS or Atom feed but a web page, which names its feed: "
                                     f"{site.url('/rss.xml')}; follow that address instead")



# --- nothing inside the network ------------------------------------------------------------

INSIDE_URLS = ["http://127.0.0.1:8080/rss", "http://[::1]/rss", "http://0.0.0.0:8080/rss", "http://localhost/rss",
               "http://2130706433/rss", "http://0x7f.1/rss", "http://169.254.169.254/latest/meta-data/",
               "http://10.0.0.1/rss", "http://192.168.1.1/rss", "http://[fe80::1]/rss",
               "http://[::ffff:127.0.0.1]/rss", "https://feed.example/rss"]


@pytest.mark.parametrize("url", INSIDE_URLS)
def test_a_feed_inside_the_network_is_refused_before_it_is_saved(settings, url, monkeypatch):
    fake_dns(monkeypatch, {"feed.example": ["10.0.0.1"]})
    with pytest.raises(InvalidInputError, match=r"^refused: .* (is|resolves to) .*; Newsdesk does not fetch from "
                                                 r"inside the network unless NEWSDESK_FEED_ALLOW_NETWORKS lists it$"):
        add_feed(url, settings, feed_settings=FeedSettings(feed_allow_networks=""))
    assert list_feeds(settings) == [] and not state_path(settings).exists()


def test_the_refusal_names_host_address_and_kind(settings, monkeypatch):
    fake_dns(monkeypatch, {"feed.example": ["10.0.0.1"]})
    with pytest.raises(InvalidInputError) as caught:
        add_feed("https://feed.example/rss", settings, feed_settings=FeedSettings(feed_allow_networks=""))
    assert str(caught.value) == ("refused: feed.example resolves to 10.0.0.1, a private address; Newsdesk does not "
                                 "fetch from inside the network unless NEWSDESK_FEED_ALLOW_NETWORKS lists it")
    # Listed, the network is followed; a name that does not resolve yet is added (the poll reports it).
    add_feed("https://feed.example/rss", settings, feed_settings=FeedSettings(feed_allow_networks="10.0.0.0/8"))
    no_dns_for_invalid(monkeypatch)
    add_feed("https://not-yet.invalid/rss", settings)
    assert [f.url for f in list_feeds(settings)] == ["https://feed.example/rss", "https://not-yet.invalid/rss"]


@pytest.fixture
def outside(settings, monkeypatch):
    """The news site on 127.0.0.2, the one loopback address the poll may reach (it plays a
    public site), and on 127.0.0.1, same port, the inside: nothing may ever reach it."""
    with FeedSite("127.0.0.2") as public:
        with FeedSite("127.0.0.1", port=public.port) as inside:
            inside.article("/secret.html", "Internal memo", ORCHARD)
            inside.rss("/rss.xml", "Internal feed", [{"title": "Memo", "link": inside.url("/secret.html")}])
            monkeypatch.setenv("NEWSDESK_FEED_ALLOW_NETWORKS", "127.0.0.2/32")
            yield public, inside, settings


def test_item_links_and_redirects_into_the_network_are_skipped_for_good(outside, embedder):
    public, inside, settings = outside
    public.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
    public.redirect("/a/moved.html", inside.url("/secret.html"))
    internal = [inside.url("/secret.html"), f"http://localhost:{public.port}/secret.html",
                f"http://2130706433:{public.port}/secret.html", "http://169.254.169.254/latest/meta-data/",
                public.url("/a/moved.html")]
    items = [{"title": "Good", "link": public.url("/a/bridge.html"), "guid": "good"}] + [
        {"title": f"Inside {n}", "link": link, "guid": f"in-{n}"} for n, link in enumerate(internal)]
    add_feed(public.rss("/rss.xml", "Courier", items), settings)
    clock = [time.time()]
    report = poll_feeds(settings, embedder=embedder, now=lambda: clock[0])
    result = report.feeds[0]
    assert result.new == ["Good"], report.summary()
    problems = "\n".join(result.problems)
    assert problems.count("skipped: refused: ") == 4 and problems.count("skipped: redirected to ") == 1, problems
    assert "NEWSDESK_FEED_ALLOW_NETWORKS" in problems and "169.254.169.254 is a link-local address" in problems
    feed = list_feeds(settings)[0]
    assert feed.retries == {} and {f"in-{n}" for n in range(5)} <= set(feed.seen)  # never asked again
    clock[0] += 7 * 3600
    poll_feeds(settings, embedder=embedder, now=lambda: clock[0])
    assert inside.requests == [] and len(public.hits("/a/moved.html")) == 1


def test_a_feed_that_redirects_into_the_network_fails_and_fetches_nothing(outside, embedder):
    public, inside, settings = outside
    public.redirect("/rss.xml", inside.url("/rss.xml"))
    add_feed(public.url("/rss.xml"), settings)
    report = poll_feeds(settings, embedder=embedder)
    assert report.feeds[0].status == "failed"
    assert report.feeds[0].error == (f"redirected to {inside.url('/rss.xml')}: refused: 127.0.0.1 is a loopback "
                                     "address; Newsdesk does not fetch from inside the network unless "
                                     "NEWSDESK_FEED_ALLOW_NETWORKS lists it")
    assert inside.requests == []


def test_a_feed_whose_name_turns_inside_after_it_was_added_is_refused_at_the_poll(outside, embedder, monkeypatch):
    """DNS rebinding between `feed add` and the poll: the poll checks again."""
    public, inside, settings = outside
    serve_courier(public)
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])
    fake_dns(monkeypatch, {"courier.example": lambda: next(answers)})
    add_feed(f"http://courier.example:{public.port}/rss.xml", settings)
    report = poll_feeds(settings, embedder=embedder)
    assert "courier.example resolves to 127.0.0.1, a loopback address" in report.feeds[0].error
    assert inside.requests == [] and public.requests == []


# --- robots.txt -------------------------------------------------------------------------------

def test_pages_robots_txt_disallows_are_counted_and_never_fetched(site, settings, embedder):
    site.page("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    site.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
    site.article("/private/ferry.html", "Electric ferry starts island service", FERRY)
    add_feed(site.rss("/rss.xml", "Courier", [
        {"title": "Bridge", "link": site.url("/a/bridge.html"), "guid": "1"},
        {"title": "Ferry", "link": site.url("/private/ferry.html"), "guid": "2"}]), settings)
    report = poll_feeds(settings, embedder=embedder)
    assert report.new == 1 and report.disallowed == 1
    assert report.summary().splitlines()[0].endswith(": 1 new article, 0 failed, 1 disallowed by robots.txt")
    assert f"Courier ({site.url('/rss.xml')}): 1 new, 1 disallowed by robots.txt" in report.summary()
    assert f"{site.url('/private/ferry.html')}: not fetched: its site's robots.txt disallows it" in report.summary()
    assert report.to_dict()["disallowed"] == 1
    assert len(site.hits("/robots.txt")) == 1  # once for the site, not per item
    feed = list_feeds(settings)[0]
    assert "2" in feed.seen and feed.retries == {}
    poll_feeds(settings, embedder=embedder, now=lambda: time.time() + 7 * 3600)
    assert site.hits("/private/ferry.html") == []


def test_an_unreachable_robots_txt_holds_the_pages_back_for_a_retry(site, settings, embedder):
    site.failing("/robots.txt", 503)
    serve_courier(site)
    add_feed(site.url("/rss.xml"), settings)
    clock = [time.time()]
    report = poll_feeds(settings, embedder=embedder, now=lambda: clock[0])
    assert report.new == 0 and report.disallowed == 0
    assert "robots.txt of http://127.0.0.1:" in report.summary() and "is unreachable (HTTP 503" in report.summary()
    assert set(list_feeds(settings)[0].retries) == {"1", "2"} and site.hits("/a/bridge.html") == []
    assert len(site.hits("/robots.txt")) == 1
    site.page("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")  # back: the retries fetch the pages
    clock[0] += 61
    assert poll_feeds(settings, embedder=embedder, now=lambda: clock[0]).new == 2


# --- one poll at a time ------------------------------------------------------------------------

def test_a_second_poll_while_one_runs_is_refused_and_fetches_nothing(site, settings, embedder, monkeypatch):
    import threading

    serve_courier(site)
    site.routes["/rss.xml"].gate = threading.Event()  # the first poll is still fetching the feed
    monkeypatch.setenv("NEWSDESK_FEED_TIMEOUT_S", "60.0")  # ... for as long as the test needs, under any load
    add_feed(site.url("/rss.xml"), settings)
    first = []
    running = threading.Thread(target=lambda: first.append(poll_feeds(settings, embedder=embedder)))
    running.start()
    deadline = time.monotonic() + 30
    while not site.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        with pytest.raises(PollBusyError, match=r"^another poll is running \(since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, "
                                                r"process \d+\); try again when it ends$"):
            poll_feeds(settings, embedder=embedder)
    finally:
        site.routes["/rss.xml"].gate.set()
    running.join(timeout=120)
    assert first[0].new == 2 and len(site.hits("/rss.xml")) == 1  # the second asked nothing
    assert poll_feeds(settings, embedder=embedder).feeds[0].status == "not modified"  # free again


def test_the_poll_lock_is_another_processes_too(site, settings, embedder):
    import subprocess
    import sys

    serve_courier(site)
    add_feed(site.url("/rss.xml"), settings)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from feeds.state import poll_lock\n"
        f"with poll_lock({str(state_path(settings))!r}):\n    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(PollBusyError, match=f"process {holder.pid}\\)"):
            poll_feeds(settings, embedder=embedder)
        assert site.requests == []
    finally:
        holder.kill()
        holder.wait()
    assert poll_feeds(settings, embedder=embedder).new == 2  # a killed poller leaves no lock behind


# --- passwords ---------------------------------------------------------------------------------

def test_a_feed_with_a_password_is_refused_and_an_old_one_never_shown(settings, public_dns):
    refused = "holds a user name or password; Newsdesk keeps no passwords"
    with pytest.raises(InvalidInputError, match=refused) as caught:
        add_feed("https://editor:s3cret@example.com/rss", settings)
    assert "s3cret" not in str(caught.value) and list_feeds(settings) == []
    with edit_state(state_path(settings)) as state:  # saved by an older version
        state.feeds.append(feeds_module.Feed(url="https://editor:s3cret@example.com/rss"))
    report = poll_feeds(settings, embedder=None)
    assert "s3cret" not in report.summary() and "https://***@example.com/rss" in report.summary()
    assert "s3cret" not in json.dumps(report.to_dict())
    removed = remove_feed("https://***@example.com/rss", settings)  # by the name it is shown with
    assert removed.url == "https://editor:s3cret@example.com/rss" and list_feeds(settings) == []
