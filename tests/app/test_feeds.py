"""`app.py --watch`: the flag, and a bad interval refused before the app starts; the Feeds tab's
Add refusing an address inside the network."""

from __future__ import annotations

import os

import pytest

import app
import qa
from webui import WebSettings

from tests.feed_site import FeedSite, feed_env
from tests.page_protocol import free_port, queue_event


def test_watch_takes_an_optional_interval():
    assert app.parse_args([]).watch is None
    assert app.parse_args(["--watch"]).watch == ""
    assert app.parse_args(["--watch", "30m"]).watch == "30m"


def test_a_bad_interval_is_one_line_and_nothing_is_served(capsys, monkeypatch, tmp_path):
    for name in [n for n in os.environ if n.startswith("NEWSDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(app, "launch_app", lambda *a, **kw: pytest.fail("the app was served"))
    assert app.main(["--watch", "often", "--no-warm-up", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: 'often' is not an interval: write e.g. 15m, 90s, 1h or 900 (seconds)" in err


def test_the_feeds_tab_refuses_an_internal_address_before_saving_it(tmp_path, monkeypatch):
    """The Add feed button of a running app, as the page sends it: a link-local (cloud metadata)
    address and a loopback one are refused with the reason, and nothing is saved or fetched."""
    feed_env(monkeypatch)  # the feeds' settings as shipped (read from the environment): nothing inside opened
    settings = qa.Settings.from_env({}, data_dir=tmp_path / "data")
    web = WebSettings(port=free_port())
    demo = app.build_app(settings, web)
    (add_btn,) = [b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "nd-feed-add"]
    (add_fn,) = [d._id for d in demo.fns.values() if (add_btn._id, "click") in d.targets]
    app.launch_app(demo, web, prevent_thread_lock=True, quiet=True)
    try:
        with FeedSite() as site:  # on loopback, which the app's settings do not open
            site.page("/rss.xml", "<rss/>", "application/rss+xml")
            base = f"http://127.0.0.1:{web.port}"
            for url, refusal in [
                    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
                    (site.url("/rss.xml"), "127.0.0.1 is a loopback address")]:
                outputs = queue_event(base, "feeds-test", add_fn, [url])
                assert outputs[0] == (f"Not added: refused: {refusal}; Newsdesk does not fetch from inside the "
                                      "network unless NEWSDESK_FEED_ALLOW_NETWORKS lists it")
                assert "No feeds yet" in outputs[1]
            assert site.requests == []
    finally:
        demo.close()
    assert not (tmp_path / "data" / "feeds.json").exists()
