"""`python -m embeddings build [INPUTS...] [--index DIR] [--rebuild] [--ray [ADDRESS]]`; `feed` and
`watch` moved to `python -m feeds` and are handed to it."""

from __future__ import annotations

import argparse
import json
import sys

from .build import build_index
from .errors import NewsdeskError, command_failed
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] in (["feed"], ["watch"]):
        return _moved(argv)
    parser = argparse.ArgumentParser(prog="python -m embeddings", description="Build the Newsdesk index.")
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
    # Listed for --help only: main() hands both to `python -m feeds` before parsing.
    commands.add_parser("feed", help="moved: `python -m feeds feed add|list|remove`")
    commands.add_parser("watch", help="moved: `python -m feeds watch`")
    args = parser.parse_args(argv)
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
        return command_failed(exc, args.index_dir, interrupted="interrupted: the previous index is intact")
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


# --- live feeds: `python -m feeds` since they have a package of their own ---------------------

def _moved(argv: list[str]) -> int:
    """``python -m embeddings feed|watch ...``, as typed before the move: a note on stderr, then
    the same command run by ``python -m feeds``, with its output and exit status."""
    # The one upward edge embeddings keeps, for compatibility: imported here, on use, so that
    # importing embeddings never loads feeds (tests/feeds/test_cli.py holds both to it).
    from feeds.cli import main as feeds_main

    print(f"note: `python -m embeddings {argv[0]}` moved to `python -m feeds {argv[0]}`", file=sys.stderr)
    return feeds_main(argv)
