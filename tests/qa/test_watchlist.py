"""qa.watchlist: saved searches, what is new for them after a build, the webhook, the CLI."""

from __future__ import annotations

import importlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from embeddings import InvalidInputError, Settings, build_index, load_index
from feeds import AddressRefusedError, FeedSettings, Fetcher
from qa.cli import main
from qa.watchlist import add_watch, check_watches, list_watches, mark_seen, notify, remove_watch
from tests.fakes import FakeEmbedder
from tests.feed_site import feed_env
from tests.story_news import write_corpus

watchlist_module = importlib.import_module("qa.watchlist")
search_module = importlib.import_module("qa._search")

LATER = [("flood", "Dresden flood: Elbe old town residents return home", "DW", "2026-03-05",
          "Residents of the Dresden old town returned home as the Elbe flood receded, the city said."),
         ("other", "Tram line opens in Bergen", "NRK", "2026-03-05",
          "A new tram line opened in Bergen on Thursday, linking the airport with the centre.")]


class FixedIndex:
    def __init__(self, index) -> None:
        self.index = index

    def get(self, settings):
        return self.index


@pytest.fixture
def desk(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "data"))
    settings = Settings(data_dir=tmp_path / "data", chunk_tokens=60, chunk_overlap_tokens=10)
    embedder = FakeEmbedder(dim=64)
    write_corpus(tmp_path / "corpus")
    build_index([tmp_path / "corpus"], settings, embedder=embedder, progress=False)
    holder = FixedIndex(load_index(settings, embedder=embedder))
    monkeypatch.setattr(watchlist_module, "INDEXES", holder)
    monkeypatch.setattr(search_module, "INDEXES", holder)

    def add_later():
        write_corpus(tmp_path / "corpus", LATER, name="later.jsonl")
        build_index([tmp_path / "corpus"], settings, embedder=embedder, progress=False)
        holder.index.close()
        holder.index = load_index(settings, embedder=embedder)

    yield settings, add_later
    holder.index.close()


def test_a_saved_search_starts_from_what_it_finds_now_and_lists_only_later_matches(desk):
    settings, add_later = desk
    w = add_watch("Elbe flood Dresden", settings=settings)
    assert len(w.known) >= 3 and w.unseen == ()
    assert [c.new for c in check_watches(settings)] == [()]  # nothing new yet
    add_later()
    (check,) = check_watches(settings)
    assert [a.title for a in check.new] == [LATER[0][1]]  # the tram is no match
    assert check.new[0].source == "DW" and check.new[0].date == "2026-03-05"
    assert [a.title for a in list_watches(settings)[0].unseen] == [LATER[0][1]]
    assert check_watches(settings)[0].new == ()  # found once, new once
    assert list_watches(settings)[0].unseen  # ... and still unseen until looked at
    assert mark_seen(w.id, settings) == 1 and list_watches(settings)[0].unseen == ()


def test_filters_apply_to_what_is_new(desk):
    settings, add_later = desk
    add_watch("Elbe flood Dresden", sources=["BBC"], settings=settings)
    add_later()
    assert check_watches(settings)[0].new == ()  # the new article is from DW


@pytest.mark.parametrize("query, kwargs, message", [
    ("", {}, "search"),
    ("x" * 3000, {}, "characters"),
    ("flood", {"date_from": "2026-13-01"}, "not a real date|YYYY-MM-DD"),
    ("flood", {"date_from": "2026-03-05", "date_to": "2026-03-01"}, "empty"),
    ("flood", {"sources": [f"s{i}" for i in range(30)]}, "at most 20"),
])
def test_bad_saved_searches_are_refused(desk, query, kwargs, message):
    settings, _ = desk
    with pytest.raises(InvalidInputError, match=message):
        add_watch(query, settings=settings, **kwargs)
    assert list_watches(settings) == []


def test_the_same_search_is_saved_once_and_unknown_ids_are_named(desk):
    settings, _ = desk
    w = add_watch("Elbe flood", settings=settings)
    with pytest.raises(InvalidInputError, match="saved already"):
        add_watch("elbe flood", settings=settings)
    with pytest.raises(InvalidInputError, match="watchlist list"):
        remove_watch("nope", settings)
    assert remove_watch(w.id, settings).id == w.id and list_watches(settings) == []


def test_a_damaged_watchlist_file_says_what_to_do(desk):
    settings, _ = desk
    (settings.data_dir / "watchlist.json").write_text("{not json")
    with pytest.raises(InvalidInputError, match="fix or delete") as info:
        list_watches(settings)
    assert isinstance(info.value.__cause__, ValueError)  # kept for the server log's traceback


class Receiver:
    """A loopback HTTP server that keeps every POSTed body."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                received.append({"type": self.headers.get("Content-Type"),
                                 "body": json.loads(self.rfile.read(length))})
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?token=abc"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_new_articles_are_posted_to_the_webhook_under_the_feeds_network_rules(desk, receiver, monkeypatch):
    settings, add_later = desk
    feed_env(monkeypatch)  # the feeds' network rules as shipped, whatever the shell says
    add_watch("Elbe flood Dresden", settings=settings)
    add_later()
    checks = check_watches(settings)
    with pytest.raises(AddressRefusedError):  # loopback is inside the network: refused by default
        notify(checks, settings.replace(watch_webhook=receiver.url))
    assert receiver.bodies == []
    allowed = settings.replace(watch_webhook=receiver.url)
    loopback = Fetcher.from_settings(FeedSettings(feed_allow_networks="127.0.0.0/8", feed_host_delay_s=0))
    assert notify(checks, allowed, loopback) == 1
    (sent,) = receiver.bodies
    assert sent["type"] == "application/json"
    assert sent["body"]["saved_searches"][0]["query"] == "Elbe flood Dresden"
    assert [a["title"] for a in sent["body"]["saved_searches"][0]["new"]] == [LATER[0][1]]
    assert notify(check_watches(settings), allowed, loopback) == 0  # nothing new: nothing sent
    assert notify(checks, settings) == 0  # no webhook set
    with pytest.raises(InvalidInputError, match="http"):
        notify(checks, settings.replace(watch_webhook="file:///etc/passwd"))


def test_cli_watchlist(desk, capsys):
    settings, add_later = desk
    assert main(["watchlist", "add", "Elbe flood Dresden", "--from", "2026-03-01"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("saved ") and "found now" in out
    watch_id = out.split()[1].rstrip(":")
    add_later()
    assert main(["watchlist", "check", "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked[0]["id"] == watch_id and [a["title"] for a in checked[0]["new"]] == [LATER[0][1]]
    assert main(["watchlist", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["new"] == 1 and "known" not in listed[0]
    assert main(["watchlist", "seen"]) == 0 and "1 new article(s) marked" in capsys.readouterr().out
    assert main(["watchlist", "remove", watch_id]) == 0
    assert main(["watchlist", "remove", watch_id]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["watchlist", "add", ""]) == 2


def test_cli_watch_checks_the_saved_searches_after_each_poll(desk, capsys, monkeypatch):
    settings, add_later = desk
    cli = importlib.import_module("qa.watchlist_cli")
    add_watch("Elbe flood Dresden", settings=settings)

    class Report:
        def to_dict(self):
            return {"new": 1}

        def summary(self):
            return "1 new article"

    def fake_watch(settings, every, once, stop, on_report, on_error):
        assert once
        add_later()  # what a poll's build does
        on_report(Report())

    monkeypatch.setattr(cli, "watch_feeds", fake_watch)
    assert main(["watch", "--once", "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["poll"] == {"new": 1} and line["webhook_error"] == ""
    assert [a["title"] for a in line["saved_searches"][0]["new"]] == [LATER[0][1]]
