"""`python -m feeds feed add|list|remove` and `watch --once`, as a user types them; and the same
commands typed the old way, `python -m embeddings feed|watch`, handed over with a note."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import embeddings.build
from feeds.cli import main

from feeds.state import Feed, edit_state, poll_lock

from ..fakes import FakeEmbedder
from ..feed_site import LOOPBACK, FeedSite, fake_dns
from .test_poll import serve_courier

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch, tmp_path):
    """In-process runs build with the FakeEmbedder, in this test's data directory, politely fast,
    with the loopback test site's network opened and example.com resolved without DNS."""
    monkeypatch.setattr(embeddings.build, "get_embedder", lambda *a, **kw: FakeEmbedder())
    for name in [n for n in os.environ if n.startswith("NEWSDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake-embedder")
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEWSDESK_FEED_HOST_DELAY_S", "0")
    monkeypatch.setenv("NEWSDESK_FEED_ALLOW_NETWORKS", LOOPBACK)
    fake_dns(monkeypatch, {"example.com": ["93.184.215.14"], "intranet.example": ["10.20.30.40"]})


@pytest.fixture
def site():
    with FeedSite() as site:
        serve_courier(site)
        site.failing("/gone.xml", 404)
        yield site


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_list_remove(site, capsys):
    url = site.url("/rss.xml")
    code, out, err = run(capsys, "feed", "add", url)
    assert code == 0 and out == f"following {url}; `python -m feeds watch --once` fetches it now\n"
    code, out, _ = run(capsys, "feed", "list")
    assert code == 0 and out == f"{url}\n  (not polled yet); last poll never; 0 new then, 0 in all\n"
    code, _, err = run(capsys, "feed", "add", url)
    assert code == 2 and err == f"error: {url} is already followed; `python -m feeds feed list` shows the feeds\n"
    code, out, _ = run(capsys, "feed", "remove", url)
    assert code == 0 and out.startswith(f"stopped following {url}; its 0 indexed articles stay")
    code, out, _ = run(capsys, "feed", "list")
    assert out == "no feeds yet: add one with `python -m feeds feed add URL`\n"


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "only http:// and https:// feed URLs are fetched, not file: (file:///etc/passwd); "
                           "enter the feed's web address"),
    ("ftp://example.com/rss", "not ftp:"),
    ("example.com/rss", "has no http:// or https:// in front; enter it as https://example.com/rss"),
])
def test_feed_add_refuses_anything_but_http(capsys, url, message):
    code, out, err = run(capsys, "feed", "add", url)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_watch_once_polls_indexes_and_prints_the_summary(site, capsys):
    run(capsys, "feed", "add", site.url("/rss.xml"))
    run(capsys, "feed", "add", site.url("/gone.xml"))
    code, out, err = run(capsys, "watch", "--once", "--no-progress")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("polled 2 feeds in ") and lines[0].endswith(": 2 new articles, 1 failed")
    assert f"  Baltic Courier ({site.url('/rss.xml')}): 2 new" in lines
    assert "    + Glass footbridge opens in Torun" in lines
    assert any(line.startswith(f"  {site.url('/gone.xml')}: failed: HTTP 404 Not Found; retry after ")
               for line in lines)
    assert any(line.startswith("2 added, 0 updated, 0 removed") for line in lines)

    code, out, _ = run(capsys, "watch", "--once", "--json")
    report = json.loads(out)
    assert code == 0 and report["new"] == 0 and report["index"] is None
    assert [f["status"] for f in report["feeds"]] == ["not modified", "waiting"]

    code, out, _ = run(capsys, "feed", "list", "--json")
    listed = {f["url"]: f for f in json.loads(out)}
    assert listed[site.url("/rss.xml")]["total_items"] == 2
    assert listed[site.url("/gone.xml")]["last_error"] == "HTTP 404 Not Found"


def test_a_damaged_feed_list_is_one_line_naming_the_fix(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "feeds.json").write_text("{garbled")
    for argv in (["feed", "list"], ["feed", "add", "https://example.com/rss"], ["watch", "--once"]):
        code, out, err = run(capsys, *argv)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
        assert "feeds.json is damaged (not valid JSON" in err and "`python -m feeds feed add URL`" in err


@pytest.mark.parametrize("every, message", [("soon", "'soon' is not an interval: write e.g. 15m"),
                                            ("2s", "too short to be polite")])
def test_watch_refuses_a_bad_interval(capsys, every, message):
    code, _, err = run(capsys, "watch", "--every", every)
    assert code == 2 and message in err


def test_watch_with_no_feeds_says_how_to_add_one(capsys):
    code, out, _ = run(capsys, "watch", "--once")
    assert code == 0 and out == "no feeds to poll: add one with `python -m feeds feed add URL`\n"


@pytest.mark.parametrize("url, message", [
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
    ("http://intranet.example/rss", "refused: intranet.example resolves to 10.20.30.40, a private address"),
    ("http://[::1]:8080/rss", "refused: ::1 is a loopback address"),
])
def test_feed_add_refuses_an_address_inside_the_network(capsys, monkeypatch, url, message):
    monkeypatch.setenv("NEWSDESK_FEED_ALLOW_NETWORKS", "")
    code, out, err = run(capsys, "feed", "add", url)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err == f"error: {message}; Newsdesk does not fetch from inside the network unless " \
                  "NEWSDESK_FEED_ALLOW_NETWORKS lists it\n"
    assert run(capsys, "feed", "list")[1].startswith("no feeds yet")


def test_a_bad_allow_list_is_one_line_naming_it(capsys, monkeypatch):
    monkeypatch.setenv("NEWSDESK_FEED_ALLOW_NETWORKS", "10.0.0.0/8,intranet")
    code, out, err = run(capsys, "feed", "list")
    assert code == 2 and err.startswith("error: NEWSDESK_FEED_ALLOW_NETWORKS: 'intranet' is not a network")


def test_no_password_is_ever_printed(capsys, tmp_path):
    code, out, err = run(capsys, "feed", "add", "https://editor:s3cret@example.com/rss")
    assert code == 2 and "holds a user name or password" in err and "s3cret" not in out + err
    with edit_state(tmp_path / "data" / "feeds.json") as state:  # saved by an older version
        state.feeds.append(Feed(url="https://editor:s3cret@example.com/rss", last_error="HTTP 401 Unauthorized"))
    for argv in (["feed", "list"], ["feed", "list", "--json"], ["watch", "--once", "--no-progress"],
                 ["feed", "remove", "https://***@example.com/rss"]):
        code, out, err = run(capsys, *argv)
        assert code == 0 and "s3cret" not in out + err and "https://***@example.com/rss" in out, (argv, out, err)


def test_watch_once_while_another_poll_runs_says_so(site, capsys, tmp_path):
    run(capsys, "feed", "add", site.url("/rss.xml"))
    with poll_lock(tmp_path / "data" / "feeds.json"):
        code, out, err = run(capsys, "watch", "--once", "--no-progress")
    assert code == 2 and out == "" and site.requests == []
    assert err.startswith("error: another poll is running (since ") and err.endswith("; try again when it ends\n")


# --- the old home: `python -m embeddings feed|watch` -------------------------------------------

MOVED = "note: `python -m embeddings {}` moved to `python -m feeds {}`\n"


def test_the_old_feed_commands_are_handed_over_with_a_note(site, capsys):
    from embeddings.cli import main as embeddings_main

    url = site.url("/rss.xml")
    code = embeddings_main(["feed", "add", url])
    out, err = capsys.readouterr()
    assert code == 0 and out == f"following {url}; `python -m feeds watch --once` fetches it now\n"
    assert err == MOVED.format("feed", "feed")
    code = embeddings_main(["feed", "add", url])  # a failure keeps its exit status and its one line
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err == MOVED.format("feed", "feed") + \
        f"error: {url} is already followed; `python -m feeds feed list` shows the feeds\n"


def test_python_m_embeddings_watch_once_still_polls_and_says_where_it_moved(site, tmp_path):
    """As a script written before the move runs it: a fresh process, the same summary on stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env |= {"NEWSDESK_DATA_DIR": str(tmp_path / "old"), "NEWSDESK_FEED_HOST_DELAY_S": "0",
            "NEWSDESK_FEED_ALLOW_NETWORKS": LOOPBACK}
    old = [sys.executable, "-m", "embeddings"]
    added = subprocess.run([*old, "feed", "add", site.url("/nothing.xml")], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=120)
    assert added.returncode == 0 and added.stderr == MOVED.format("feed", "feed"), added.stderr
    done = subprocess.run([*old, "watch", "--once", "--no-progress"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == MOVED.format("watch", "watch"), done.stderr
    assert done.stdout.startswith("polled 1 feed in ") and ": 0 new articles, 1 failed" in done.stdout
    assert f"{site.url('/nothing.xml')}: failed: HTTP 404 Not Found" in done.stdout


def test_importing_embeddings_does_not_import_feeds():
    code = "import sys, embeddings, embeddings.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'feeds'))"
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


@pytest.mark.slow
def test_watch_once_end_to_end_in_a_subprocess_with_the_real_embedder(site, tmp_path):
    """As a user runs it: a fresh process, the packaged embedder, then the index answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env |= {"NEWSDESK_DATA_DIR": str(tmp_path / "real"), "NEWSDESK_FEED_HOST_DELAY_S": "0.2",
            "NEWSDESK_FEED_ALLOW_NETWORKS": LOOPBACK}

    def cli(*argv):
        return subprocess.run([sys.executable, "-m", "feeds", *argv], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=600)

    assert cli("feed", "add", site.url("/rss.xml")).returncode == 0
    done = cli("watch", "--once", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("polled 1 feed in ") and ": 2 new articles, 0 failed" in done.stdout
    assert "+ Electric ferry starts island service" in done.stdout and "2 added" in done.stdout
    assert "Traceback" not in done.stderr
    again = cli("watch", "--once", "--no-progress")
    assert again.returncode == 0 and f"Baltic Courier ({site.url('/rss.xml')}): not modified" in again.stdout
    assert site.hits("/rss.xml")[-1].status == 304

    from embeddings import Settings, load_index

    index = load_index(Settings.from_env({}, data_dir=tmp_path / "real"))
    try:
        ids, _ = index.dense_search("Which boat to the islands runs on batteries?", 1)  # the real embedder
        best = index.chunks([int(ids[0])])[0]
    finally:
        index.close()
    assert best.title == "Electric ferry starts island service" and best.byline == "Baltic Courier"
