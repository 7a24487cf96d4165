"""`python -m qa watchlist add|list|remove|seen|check ...`: saved searches and what is new for
them; `python -m qa watch [--every 15m] [--once] [--json]`: poll the feeds, then check every
saved search after each poll (and POST the new articles to NEWSDESK_WATCH_WEBHOOK, if set)."""

from __future__ import annotations

import argparse
import json
import sys
import threading

from embeddings import NewsdeskError, Settings
from feeds import parse_duration, watch as watch_feeds

from .dates import DATE_RULE
from .watchlist import Watch, WatchCheck, add_watch, check_watches, list_watches, mark_seen, notify, remove_watch
from .text import plural


def watchlist_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa watchlist",
                                     description="Saved searches: be told which new articles match them.")
    parser.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="save a search; what it finds now is not new")
    add.add_argument("query")
    add.add_argument("--from", dest="date_from", default="", help=f"published on or after ({DATE_RULE})")
    add.add_argument("--to", dest="date_to", default="", help=f"published on or before ({DATE_RULE})")
    add.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    listed = sub.add_parser("list", help="the saved searches and their new articles")
    listed.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="forget a saved search")
    remove.add_argument("id")
    seen = sub.add_parser("seen", help="mark the new articles of one saved search (or all) as seen")
    seen.add_argument("id", nargs="?")
    check = sub.add_parser("check", help="search again now; list what is new (and POST it to the webhook)")
    check.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(index_dir=args.index_dir)
        if args.command == "add":
            w = add_watch(args.query, date_from=args.date_from, date_to=args.date_to, sources=args.source,
                          settings=settings)
            print(f"saved {w.id}: “{w.query}” ({len(w.known)} {plural(len(w.known), 'article')} found now; "
                  "new ones will be listed after each build or poll)")
        elif args.command == "list":
            watches = list_watches(settings)
            print(json.dumps([w.to_dict() for w in watches], ensure_ascii=False, indent=2) if args.json
                  else "\n".join(_line(w) for w in watches)
                  or "No saved searches: `python -m qa watchlist add \"words\"`.")
        elif args.command == "remove":
            print(f"removed {remove_watch(args.id, settings).id}")
        elif args.command == "seen":
            print(f"{mark_seen(args.id, settings)} new article(s) marked as seen")
        else:
            checks = check_watches(settings)
            sent = notify(checks, settings)
            print(json.dumps([c.to_dict() for c in checks], ensure_ascii=False, indent=2) if args.json
                  else _checked(checks, sent))
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def watch_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa watch",
                                     description="Poll the feeds; after each poll, check every saved search.")
    parser.add_argument("--every", help="how often (15m, 1h ...; default NEWSDESK_FEED_POLL_S)")
    parser.add_argument("--once", action="store_true", help="poll and check once, then exit")
    parser.add_argument("--json", action="store_true", help="one JSON object per poll: the poll and the new articles")
    parser.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(index_dir=args.index_dir)
        every = parse_duration(args.every) if args.every else None

        def after_poll(report) -> None:
            checks = check_watches(settings) if list_watches(settings) else []
            problem = ""
            try:
                notify(checks, settings)
            except NewsdeskError as exc:  # the webhook's failure must not stop the watching
                problem = str(exc)
                print(f"error: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"poll": report.to_dict(), "saved_searches": [c.to_dict() for c in checks],
                                  "webhook_error": problem}, ensure_ascii=False), flush=True)
            else:
                print(report.summary(), file=sys.stderr)
                print(_checked(checks, 0), flush=True)

        watch_feeds(settings, every, once=args.once, stop=threading.Event(), on_report=after_poll,
                    on_error=lambda exc: print(f"error: {exc}", file=sys.stderr))
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def _line(w: Watch) -> str:
    scope = ", ".join(x for x in (f"from {w.date_from}" if w.date_from else "", f"to {w.date_to}" if w.date_to else "",
                                   ", ".join(w.sources)) if x)
    head = f"{w.id}  “{w.query}”" + (f" ({scope})" if scope else "") + f": {len(w.unseen)} new"
    return "\n".join([head] + [f"    {a.date} {a.title} ({a.source}) id {a.article_id}" for a in w.unseen])


def _checked(checks: list[WatchCheck], sent: int) -> str:
    lines = [f"{c.watch.id}  “{c.watch.query}”: {len(c.new)} new, {len(c.watch.unseen)} unseen" for c in checks]
    if sent:
        lines.append(f"sent {sent} saved search(es) to the webhook")
    return "\n".join(lines) or "No saved searches."
