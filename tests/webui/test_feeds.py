"""The Feeds tab's helpers: escaped HTML, one-line messages, one poll at a time, and the
background poller that indexes a loopback feed and stops when asked."""

from __future__ import annotations

import time

import pytest

import embeddings.build
import qa
from embeddings import load_index
from feeds import add_feed, list_feeds
from feeds.poll import state_path
from feeds.state import Feed, edit_state, poll_lock
from webui import feeds

from ..fakes import FakeEmbedder
from ..feed_site import LOOPBACK, FeedSite, fake_dns, feed_env
from ..feeds.test_poll import BRIDGE, FERRY

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def settings(settings, monkeypatch):
    monkeypatch.setattr(embeddings.build, "get_embedder", lambda *a, **kw: FakeEmbedder())
    fake_dns(monkeypatch, {"example.com": ["93.184.215.14"], "intranet.example": ["192.168.4.4"]})
    feed_env(monkeypatch, feed_host_delay_s=0.0, feed_timeout_s=1.0, feed_allow_networks=LOOPBACK)
    return settings.replace(embedder="fake-embedder")


@pytest.fixture
def site():
    with FeedSite() as site:
        site.article("/a/bridge.html", "Glass footbridge opens in Torun", BRIDGE)
        site.rss("/rss.xml", "Baltic Courier", [{"title": "Glass footbridge opens in Torun",
                                                 "link": site.url("/a/bridge.html"), "guid": "1"}])
        yield site


def test_an_empty_list_says_how_to_start(settings):
    html = feeds.feeds_panel(settings)
    assert "No feeds yet" in html and "Poll now" in html and "--watch" in html
    assert feeds.feed_urls(settings) == []


def test_the_table_escapes_what_a_feed_says(settings):
    add_feed("https://example.com/rss?a=1&b=2", settings)
    with edit_state(state_path(settings)) as state:
        state.feeds[0].title = f"Courier {XSS}"
        state.feeds[0].last_error = f"HTTP 500 {XSS}"
        state.feeds[0].next_retry = "2026-02-14T10:05:00Z"
        state.feeds[0].last_poll = "2026-02-14T10:00:00Z"
        state.feeds[0].new_items = 3
    html = feeds.feeds_panel(settings)
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="https://example.com/rss?a=1&amp;b=2"' in html
    assert "2026-02-14 10:00 UTC" in html and "retry after 2026-02-14 10:05 UTC" in html and "<td" in html


def test_add_and_remove_say_what_happened(settings):
    added, message = feeds.add("file:///etc/passwd", settings)
    assert added == "" and message.startswith("Not added: only http:// and https:// feed URLs")
    added, message = feeds.add(" https://example.com/rss ", settings)
    assert added == "https://example.com/rss" and message.startswith("Following https://example.com/rss")
    assert feeds.feed_urls(settings) == ["https://example.com/rss"]
    assert feeds.remove(None, settings) == "Choose a feed to remove first."
    assert feeds.remove("https://example.com/rss", settings).startswith("Stopped following https://example.com/rss")
    assert feeds.remove("https://example.com/rss", settings).startswith("Not removed: ")


def test_a_damaged_list_is_shown_not_raised(settings):
    path = state_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text("[1, 2")
    assert "feeds.json is damaged" in feeds.feeds_panel(settings) and 'role="alert"' in feeds.feeds_panel(settings)
    assert feeds.feed_urls(settings) == []
    assert feeds.poll_now(settings).startswith("Poll failed: the feed list")


def test_poll_now_indexes_after_a_running_poll(settings, site):
    add_feed(site.url("/rss.xml"), settings)
    with feeds._poll_lock:  # a poll (the background one) is running
        assert feeds.poll_now(settings, wait_s=0.2).startswith("A poll is still running")
    summary = feeds.poll_now(settings)
    assert "1 new article" in summary and "+ Glass footbridge opens in Torun" in summary
    assert "Baltic Courier" in feeds.feeds_panel(settings)


def test_the_background_poller_indexes_and_stops(settings, site, tmp_path):
    desk = tmp_path / "desk"
    desk.mkdir()
    (desk / "ferry.txt").write_text("Electric ferry starts island service\n\n" + " ".join(FERRY))
    qa.add_articles([desk], settings)
    assert qa.index_info(settings).articles == 1  # the chat's cached index, as it answers from it
    add_feed(site.url("/rss.xml"), settings)
    watcher = feeds.start_watching(settings, "10s")
    try:
        assert feeds.watching() and "every 10 s" in feeds.watch_status()
        deadline = time.monotonic() + 30
        while not watcher.last_poll and time.monotonic() < deadline:  # set once a poll has ended
            time.sleep(0.1)
        assert list_feeds(settings)[0].new_items == 1 and "last poll" in feeds.watch_status()
        # The chat's index is the new one as soon as the poll has ended: no restart, no reload.
        assert qa.index_info(settings).articles == 2
        index = load_index(settings, embedder=FakeEmbedder())
        try:
            assert {a.title for a in index.articles()} == {"Glass footbridge opens in Torun",
                                                           "Electric ferry starts island service"}
        finally:
            index.close()
    finally:
        watcher.stop()
        watcher.join(timeout=10)
    assert not watcher.is_alive() and not feeds.watching()
    assert "start the app with --watch" in feeds.watch_status()


def test_a_bad_interval_is_refused(settings):
    with pytest.raises(Exception, match="not an interval"):
        feeds.start_watching(settings, "often")


@pytest.mark.parametrize("url, shown", [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://intranet.example/rss", "intranet.example resolves to 192.168.4.4, a private address"),
    ("http://10.0.0.1/rss", "10.0.0.1 is a private address"),
])
def test_add_refuses_an_address_inside_the_network_before_saving(settings, url, shown):
    added, message = feeds.add(url, settings)
    assert added == "" and message == (f"Not added: refused: {shown}; Newsdesk does not fetch from inside the "
                                       "network unless NEWSDESK_FEED_ALLOW_NETWORKS lists it")
    assert feeds.feed_urls(settings) == [] and "No feeds yet" in feeds.feeds_panel(settings)


def test_no_password_is_shown(settings):
    added, message = feeds.add("https://editor:s3cret@example.com/rss", settings)
    assert added == "" and "holds a user name or password" in message and "s3cret" not in message
    with edit_state(state_path(settings)) as state:  # saved by an older version
        state.feeds.append(Feed(url="https://editor:s3cret@example.com/rss", last_error="HTTP 401 Unauthorized"))
    assert "s3cret" not in feeds.feeds_panel(settings) and "https://***@example.com/rss" in feeds.feeds_panel(settings)
    assert feeds.feed_urls(settings) == ["https://***@example.com/rss"]
    message = feeds.remove("https://***@example.com/rss", settings)  # as the menu offers it
    assert message.startswith("Stopped following https://***@example.com/rss") and "s3cret" not in message


def test_poll_now_while_another_process_polls_says_so(settings, site):
    add_feed(site.url("/rss.xml"), settings)
    with poll_lock(state_path(settings)):  # a `watch` in a terminal
        message = feeds.poll_now(settings)
    assert message.startswith("Not polled: another poll is running (since ") and site.requests == []
