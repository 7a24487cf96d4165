"""`python -m embeddings build [INPUTS...] [--index DIR] [--rebuild] [--ray [ADDRESS]]`,
`python -m embeddings feed add|remove URL`, `feed list`, `watch [--every 15m] [--once]`"""

from __future__ import annotations

import argparse
import json
import sys

from .build import build_index
from .errors import NewsdeskError
from .fetch import redact_url
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embeddings",
                                     description="Build the Newsdesk index; follow news feeds into it.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="add new and changed articles, drop removed ones")
    build.add_argument("inputs", nargs="*", help="files or folders (default: those already indexed)")
    build.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    build.add_argument("--rebuild", action="store_true", help="start over (needed after an embedder or format change)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument("--json", action="store_true", help="print the report as JSON")
    build.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                       help="embed on Ray: a cluster address, `auto` (RAY_ADDRESS), or none for a local "
                            "instance (needs `pip install -e \".[ray]\"`)")
    build.add_argument("--ray-actors", type=int, help="embedder actors on Ray (default: as many as fit)")
    build.add_argument("--ray-cpus-per-actor", type=float,
                       help="CPUs (torch threads) per embedder actor (default: a local build's threads with "
                            "`--ray local`, else 1)")
    build.add_argument("--ray-gpus-per-actor", type=float, default=0.0,
                       help="GPUs per embedder actor on Ray, e.g. 1 or 0.25 (default: 0, CPUs only)")
    _add_feed_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ("feed", "watch"):
        return _feeds_main(args)
    try:
        settings = Settings.from_env(index_dir=args.index_dir, ray_address=args.ray)
        embedder = None
        if settings.ray_address and (args.ray_actors or args.ray_cpus_per_actor or args.ray_gpus_per_actor):
            from .build import EMBED_BATCH, _LazyEmbedder
            from .ray_embed import ray_embedder, require_ray

            require_ray()
            embedder = _LazyEmbedder(lambda: ray_embedder(
                settings, progress=not args.no_progress, actors=args.ray_actors,
                cpus_per_actor=args.ray_cpus_per_actor, gpus_per_actor=args.ray_gpus_per_actor,
                group_size=EMBED_BATCH))
        report = build_index(args.inputs, settings, embedder=embedder, rebuild=args.rebuild,
                             progress=not args.no_progress)
    except (NewsdeskError, OSError, KeyboardInterrupt) as exc:  # OSError: the index directory is unwritable
        return _failed(exc, args.index_dir, interrupted="interrupted: the previous index is intact")
    if args.json:
        print(json.dumps({
            "added": report.added, "updated": report.updated, "removed": report.removed,
            "unchanged": report.unchanged, "skipped": [{"path": s.path, "reason": s.reason} for s in report.skipped],
            "warnings": report.warnings, "articles": report.articles, "chunks": report.chunks,
            "generation": report.generation, "seconds": round(report.seconds, 3),
        }, indent=1))
    else:
        print(report.summary())
    return 0


# --- live feeds (embeddings/feeds.py) ------------------------------------------------------

def _add_feed_commands(commands) -> None:
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
    watch = commands.add_parser("watch", parents=[where],
                                help="poll every feed and index new articles, again every --every")
    watch.add_argument("--every", help="time between polls: 15m, 90s, 1h ... (default: NEWSDESK_FEED_POLL_S, 15m)")
    watch.add_argument("--once", action="store_true", help="poll every feed once, index, print the summary, exit")
    watch.add_argument("--index", dest="index_dir", help="index directory (default: DATA_DIR/index)")
    watch.add_argument("--no-progress", action="store_true", help="no progress bar")
    watch.add_argument("--json", action="store_true", help="print each poll's report as JSON")


def _feeds_main(args: argparse.Namespace) -> int:
    from . import feeds

    try:
        settings = Settings.from_env(data_dir=args.data_dir, index_dir=getattr(args, "index_dir", None))
        if args.command == "watch":
            every = feeds.parse_duration(args.every) if args.every else None

            def show(report: feeds.PollReport) -> None:
                print(json.dumps(report.to_dict(), indent=1) if args.json else report.summary(), flush=True)

            def problem(exc: NewsdeskError) -> None:  # a damaged feed list: say so each poll, keep watching
                print(f"error: {exc}", file=sys.stderr, flush=True)

            feeds.watch(settings, every, once=args.once, on_report=show, on_error=problem,
                        progress=not args.no_progress)
        elif args.action == "add":
            feed = feeds.add_feed(args.url, settings)
            print(f"following {feed.url}; `python -m embeddings watch --once` fetches it now")
        elif args.action == "remove":
            feed = feeds.remove_feed(args.url, settings)
            print(f"stopped following {redact_url(feed.url)}; its {feed.total_items} indexed articles stay in "
                  "the index")
        else:
            _print_feeds(feeds.list_feeds(settings), args.json)
    except (NewsdeskError, OSError, KeyboardInterrupt) as exc:  # OSError: the data directory is unwritable
        return _failed(exc, args.data_dir or "data", interrupted="stopped: everything fetched so far is kept")
    return 0


def _failed(exc: BaseException, where: str | None, interrupted: str) -> int:
    """One line on stderr for a command's failure, and its exit status: 2 for what the user
    can fix (a NewsdeskError names how), 1 when ``where`` cannot be written, 130 on Ctrl-C."""
    if isinstance(exc, KeyboardInterrupt):
        print(interrupted, file=sys.stderr)
        return 130
    if isinstance(exc, NewsdeskError):
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"error: {exc.strerror or exc}: {exc.filename or where}", file=sys.stderr)
    return 1


def _print_feeds(found, as_json: bool) -> None:
    # redact_url: a feed saved with a password before they were refused is listed without it.
    if as_json:
        print(json.dumps([{k: v for k, v in vars(f).items() if k not in ("seen", "retries")}
                          | {"url": redact_url(f.url), "waiting_items": len(f.retries)} for f in found], indent=1))
        return
    if not found:
        print("no feeds yet: add one with `python -m embeddings feed add URL`")
        return
    for f in found:
        print(redact_url(f.url))
        print(f"  {f.title or '(not polled yet)'}; last poll {f.last_poll or 'never'}; "
              f"{f.new_items} new then, {f.total_items} in all")
        if f.last_error:
            print(f"  error: {f.last_error} (retry after {f.next_retry})")
        if f.retries:
            print(f"  {len(f.retries)} item(s) waiting to retry")
