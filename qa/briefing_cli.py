"""`python -m qa briefing [--since D] [--json|--md] [--limit N] [--no-summaries]`: the stories
with new articles, biggest first, each with a cited summary."""

from __future__ import annotations

import argparse
import os
import sys

from embeddings import InvalidInputError, NewsdeskError, Settings

from .briefing import PENDING, UNSUPPORTED, Briefing, briefing, briefing_markdown, summarise_pending
from .dates import DATE_RULE, parse_date
from .stories import update_stories
from .text import plural

DEFAULT_LIMIT = 20


def briefing_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa briefing",
        description="The stories with new articles since a date, biggest first, with cited summaries.")
    parser.add_argument("--since", help=f"stories with articles published on or after this date ({DATE_RULE}; "
                                        "default: the last 24 hours, or the newest day of an older collection)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the briefing as JSON")
    out.add_argument("--md", action="store_true", help="print the briefing as Markdown, with references")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"stories at most (default {DEFAULT_LIMIT})")
    parser.add_argument("--no-summaries", action="store_true",
                        help="do not run the model: stories not summarised before show as pending")
    parser.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    parser.add_argument("--model", help="the model that writes the summaries (NEWSDESK_MODEL)")
    parser.add_argument("--llm-url", help="summarise with an OpenAI-compatible server at this API root")
    args = parser.parse_args(argv)
    try:
        if not 1 <= args.limit <= 500:
            raise InvalidInputError(f"--limit {args.limit} is out of range: give 1 to 500 stories")
        settings = Settings.from_env(index_dir=args.index_dir, model=args.model, llm_url=args.llm_url)
        since = parse_date(args.since, "--since") or None
        update_stories(settings)
        result = briefing(since, settings=settings, limit=args.limit)
        if not args.no_summaries and any(s.summary is None for s in result.stories):
            pending = sum(s.summary is None for s in result.stories)
            print(f"summarising {pending} stor{'y' if pending == 1 else 'ies'}…", file=sys.stderr)
            summarise_pending(result, settings=settings)
            result = briefing(since, settings=settings, limit=args.limit)
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        print(result.to_json(indent=2) if args.json else briefing_markdown(result) if args.md else plain(result))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def plain(b: Briefing) -> str:
    """The briefing as plain text for a terminal."""
    if not b.stories:
        return f"No stories with articles since {b.since} (newest article: {b.newest or 'none'})."
    lines = [f"Stories since {b.since} (newest article {b.newest}):", ""]
    for n, item in enumerate(b.stories, 1):
        s = item.story
        lines.append(f"{n}. {s.headline or 'Untitled story'}")
        lines.append(f"   {s.size} {plural(s.size, 'article')} ({item.new} new) from "
                     f"{', '.join(s.sources) or 'unknown outlets'}; first {s.first}, latest {s.latest}")
        if item.status == PENDING:
            lines.append("   Summary pending.")
        elif item.status == UNSUPPORTED:
            lines.append("   No verified summary.")
        else:
            lines.append(f"   {item.summary.text}")
            lines += [f"     [{c.n}] {c.title} ({c.source}, {c.date})" for c in item.summary.citations]
        lines.append("")
    return "\n".join(lines).rstrip()
