"""`python -m feeds feed add|remove URL`, `feed list [--json]`, `watch [--every 15m] [--once] [--json]`:
follow RSS/Atom feeds and index their new articles (`python -m embeddings feed|watch` hands over here)."""

from __future__ import annotations

import argparse
import json
import sys

from embeddings import NewsdeskError, Settings, command_failed

from .fetch import redact_url
from .poll import PollReport, add_feed, list_feeds, parse_duration, remove_feed, watch
from .settings import FeedSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m feeds", description="Follow news feeds into the Newsdesk index.")
    commands = parser.add_subparsers(dest="command", required=True)
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--data-dir", help="where the feed list and fetched articles live (default: data)")
    feed = commands.add_parser("feed", help="follow RSS/Atom feeds: add, list, remove")
    actions = feed.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", parents=[where], help="follow a feed (an http(s) URL)")
    add.add_argument("url")
    remove = actions.add_parser("remove", parents=[where], help="stop following a feed (its articles stay indexed)")
    remove.add_argument("url")
    listing = actions.add_parser("list", parents=[where], help="the feeds, their last poll and errors")
    listing.add_argument("--json", action="store_true", help="print the feeds as JSON")
    watching = commands.add_parser("watch", parents=[where],
                                   help="poll every feed and index new articles, again every --every")
    watching.add_argument("--every", help="time between polls: 15m, 90s, 1h ... (default: NEWSDESK_FEED_POLL_S, 15m)")
    watching.add_argument("--once", action="store_true", help="poll every feed once, index, print the summary, exit")
    watching.add_argument("--index", dest="index_dir", help="index directory (default: DATA_DIR/index)")
    watching.add_argument("--no-progress", action="store_true", help="no progress bar")
    watching.add_argument("--json", action="store_true", help="print each poll's report as JSON")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(data_dir=args.data_dir, index_dir=getattr(args, "index_dir", None))
        feed_settings = FeedSettings.from_env()  # read for every command: a typo in one fails any of them
        if args.command == "watch":
            every = parse_duration(args.every) if args.every else None

            def show(report: PollReport) -> None:
                print(json.dumps(report.to_dict(), indent=1) if args.json else report.summary(), flush=True)

            def problem(exc: NewsdeskError) -> None:  # a damaged feed list: say so each poll, keep watching
                print(f"error: {exc}", file=sys.stderr, flush=True)

            watch(settings, every, once=args.once, on_report=show, on_error=problem, progress=not args.no_progress,
                  feed_settings=feed_settings)
        elif args.action == "add":
            followed = add_feed(args.url, settings, feed_settings=feed_settings)
            print(f"following {followed.url}; `python -m feeds watch --once` fetches it now")
        elif args.action == "remove":
            removed = remove_feed(args.url, settings)
            print(f"stopped following {redact_url(removed.url)}; its {removed.total_items} indexed articles stay in "
                  "the index")
        else:
            _print_feeds(list_feeds(settings), args.json)
    except (NewsdeskError, OSError, KeyboardInterrupt) as exc:  # OSError: the data directory is unwritable
        return command_failed(exc, args.data_dir or "data", interrupted="stopped: everything fetched so far is kept")
    return 0


def _print_feeds(found, as_json: bool) -> None:
    # redact_url: a feed saved with a password before they were refused is listed without it.
    if as_json:
        print(json.dumps([{k: v for k, v in vars(f).items() if k not in ("seen", "retries")}
                          | {"url": redact_url(f.url), "waiting_items": len(f.retries)} for f in found], indent=1))
        return
    if not found:
        print("no feeds yet: add one with `python -m feeds feed add URL`")
        return
    for f in found:
        print(redact_url(f.url))
        print(f"  {f.title or '(not polled yet)'}; last poll {f.last_poll or 'never'}; "
              f"{f.new_items} new then, {f.total_items} in all")
        if f.last_error:
            print(f"  error: {f.last_error} (retry after {f.next_retry})")
        if f.retries:
            print(f"  {len(f.retries)} item(s) waiting to retry")
