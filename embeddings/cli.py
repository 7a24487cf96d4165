"""`python -m embeddings build [SOURCES...] [--index DIR] [--rebuild]`"""

from __future__ import annotations

import argparse
import json
import sys

from .build import build_index
from .errors import NewsdeskError
from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m embeddings", description="Build the Newsdesk index.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="add new and changed articles, drop removed ones")
    build.add_argument("sources", nargs="*", help="files or folders (default: those already indexed)")
    build.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    build.add_argument("--rebuild", action="store_true", help="start over (needed after an embedder or format change)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(index_dir=args.index_dir)
        report = build_index(args.sources, settings, rebuild=args.rebuild, progress=not args.no_progress)
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the index directory cannot be created or written
        print(f"error: {exc.strerror or exc}: {exc.filename or args.index_dir}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the previous index is intact", file=sys.stderr)
        return 130
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
