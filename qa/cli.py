"""`python -m qa "question" [--json] [--k N] [--model M]`; `python -m qa search ...` and
`python -m qa article ...` are in ``qa.search_cli``."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from embeddings import NewsdeskError, SearchFilters, Settings

from ._answer import stream_answer
from .dates import DATE_RULE, parse_date, parse_date_range
from .types import Answer, Retrieved


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("watchlist", "watch"):
        from .watchlist_cli import watch_main, watchlist_main

        return (watchlist_main if argv[0] == "watchlist" else watch_main)(argv[1:])
    if argv and argv[0] == "briefing":
        from .briefing_cli import briefing_main

        return briefing_main(argv[1:])
    if argv and argv[0] in ("search", "article"):
        from .search_cli import article_main, search_main

        return (search_main if argv[0] == "search" else article_main)(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m qa", description="Ask the indexed news articles a question.",
                                     epilog='Also: `python -m qa search "words" [--json]` lists the matching articles '
                                            "without a model; `python -m qa article ID` prints one; "
                                            "`python -m qa briefing` "
                                            "lists the latest stories with cited summaries.")
    parser.add_argument("question")
    parser.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    parser.add_argument("--k", type=int, help="passages shown to the model")
    parser.add_argument("--model", help="qwen2.5-1.5b (default), qwen2.5-0.5b, or a Hugging Face checkpoint dir")
    parser.add_argument("--llm-url", help="answer with an OpenAI-compatible server at this API root, e.g. "
                                          "http://127.0.0.1:8080/v1 (NEWSDESK_LLM_URL; key: NEWSDESK_LLM_API_KEY)")
    parser.add_argument("--llm-model", help="the server's model name (NEWSDESK_LLM_MODEL; default: its first)")
    parser.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    parser.add_argument("--from", dest="date_from", help=f"only articles published on or after this date ({DATE_RULE})")
    parser.add_argument("--to", dest="date_to", help=f"only articles published on or before this date ({DATE_RULE})")
    parser.add_argument("--source", action="append", default=[], help="only articles from this source (repeatable)")
    parser.add_argument("--as-of", dest="as_of",
                        help=f"the date the question is asked on ({DATE_RULE}): articles near it rank higher "
                             "(default: today, or the newest article's date)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(index_dir=args.index_dir, model=args.model, llm_url=args.llm_url,
                                     llm_model=args.llm_model)
        filters = make_filters(args.date_from, args.date_to, args.source)
        as_of = parse_as_of(args.as_of)
        final = None
        for event in stream_answer(args.question, k=args.k, filters=filters, settings=settings, as_of=as_of):
            if isinstance(event, Answer):
                final = event
            elif isinstance(event, str) and not args.json and sys.stderr.isatty():
                print(event, end="", file=sys.stderr, flush=True)
            elif isinstance(event, Retrieved) and not args.json and sys.stderr.isatty():
                print(f"(reading {len(event.passages)} passages)", file=sys.stderr)
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if sys.stderr.isatty() and not args.json:
        print(file=sys.stderr)
    try:
        _print_answer(final, args.json)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`--json | head -1`): what it wanted was printed. Point stdout
        # at /dev/null so the interpreter's own flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _print_answer(final: Answer, as_json: bool) -> None:
    if as_json:
        print(final.to_json(indent=1))
        return
    print(final.text)
    if final.citations:
        print("\nSources:")
        for c in final.citations:
            print(f"[{c.n}] {c.title} ({', '.join(x for x in (c.source, c.date) if x)}) {c.url}".rstrip())
            print(f"    “{c.quote}”")
    elif final.related:
        print("\nRelated reading:")
        for r in final.related:
            print(f"- {r.title} ({', '.join(x for x in (r.source, r.date) if x)}) {r.url}".rstrip())


def parse_as_of(value: str | None) -> date | None:
    """``--as-of`` as a date (``qa.dates``' rule: YYYY-MM-DD).

    Raises:
        InvalidInputError: a value that is not a date.
    """
    parsed = parse_date(value, "--as-of")
    return date.fromisoformat(parsed) if parsed else None


def make_filters(date_from: str | None, date_to: str | None, sources) -> SearchFilters | None:
    """Filters from user-typed values (dates by ``qa.dates``' rule: YYYY-MM-DD).

    Raises:
        InvalidInputError: a date that is not YYYY-MM-DD, or a range that ends before it starts.
    """
    start, end = parse_date_range(date_from, date_to, ("--from", "--to"))
    filters = SearchFilters(start, end, tuple(s.strip() for s in sources if s and s.strip()))
    return None if filters.is_empty() else filters
