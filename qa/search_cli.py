"""`python -m qa search "terms" [--json] [--from D] [--to D] [--source S] [-k N]` and
`python -m qa article ID [--json]`: find articles without asking a question, and read one."""

from __future__ import annotations

import argparse
import json
import os
import sys

from embeddings import InvalidInputError, NewsdeskError, Settings

from ._article import ArticleText, article
from .cli import make_filters, parse_as_of  # the ask command's filter rules, shared
from .dates import DATE_RULE
from ._search import DEFAULT_RESULTS, MAX_RESULTS, SearchResults, search
from .text import UNTITLED, plural

BOLD, PLAIN = "\033[1m", "\033[0m"


def search_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa search", description="List the indexed articles that best match some words (no model runs).")
    parser.add_argument("query", help="words or a phrase to look for")
    parser.add_argument("--json", action="store_true",
                        help="print the results as JSON (passages with the character spans of the matched terms)")
    parser.add_argument("-k", "--k", type=int, default=DEFAULT_RESULTS,
                        help=f"how many articles at most (default {DEFAULT_RESULTS}, at most {MAX_RESULTS})")
    parser.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    parser.add_argument("--from", dest="date_from", help=f"only articles published on or after this date ({DATE_RULE})")
    parser.add_argument("--to", dest="date_to", help=f"only articles published on or before this date ({DATE_RULE})")
    parser.add_argument("--source", action="append", default=[], help="only articles from this source (repeatable)")
    parser.add_argument("--newest", action="store_true",
                        help="list the matching articles newest first instead of best match first")
    parser.add_argument("--as-of", dest="as_of",
                        help=f"the date searched from ({DATE_RULE}): articles near it rank a little higher")
    args = parser.parse_args(argv)
    try:
        if not 1 <= args.k <= MAX_RESULTS:
            raise InvalidInputError(f"-k {args.k} is out of range: give 1 to {MAX_RESULTS} articles")
        settings = Settings.from_env(index_dir=args.index_dir)
        results = search(args.query, k=args.k, filters=make_filters(args.date_from, args.date_to, args.source),
                         settings=settings, as_of=parse_as_of(args.as_of), newest_first=args.newest)
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _emit(lambda: print(results.to_json(indent=1) if args.json else format_results(results, _bold())))


def article_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa article",
                                     description="Print an indexed article's cleaned text (an id from `search --json` "
                                                 "or a citation's article_id).")
    parser.add_argument("article_id")
    parser.add_argument("--json", action="store_true", help="print title, source, date, url, path and text as JSON")
    parser.add_argument("--index", dest="index_dir", help="index directory (default: data/index)")
    args = parser.parse_args(argv)
    try:
        found = article(args.article_id, settings=Settings.from_env(index_dir=args.index_dir))
    except NewsdeskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        return _emit(lambda: print(json.dumps(found.to_dict(), ensure_ascii=False, indent=1)))
    return _emit(lambda: print(format_article(found)))


def format_results(results: SearchResults, bold: tuple[str, str] = ("**", "**")) -> str:
    """The results as text: title, byline and address, the passage with the matched terms
    between ``bold``'s two strings, and the id to open the article with."""
    if not results.hits:
        return f"No article matches “{results.query}”."
    n = len(results.hits)
    lines = [f"{n} {plural(n, 'article')} for “{results.query}” ({results.seconds:.2f} s)"]
    for i, hit in enumerate(results.hits, 1):
        lines += ["", f"{i}. {hit.title or UNTITLED}",
                  f"   {' · '.join(x for x in (hit.source, hit.date[:10], hit.url or hit.path) if x)}",
                  f"   {emphasise(hit.passage, hit.highlights, bold)}",
                  f"   id: {hit.article_id}"]
    return "\n".join(lines)


def emphasise(text: str, spans, bold: tuple[str, str]) -> str:
    out, pos = [], 0
    for start, end in spans:
        out += [text[pos:start], bold[0], text[start:end], bold[1]]
        pos = end
    out.append(text[pos:])
    return " ".join("".join(out).split())  # one line per passage


def format_article(found: ArticleText) -> str:
    head = [found.title or UNTITLED,
            " · ".join(x for x in (found.source, found.date[:10], found.url or found.path) if x)]
    return "\n".join([*head, "", found.text])


def _bold() -> tuple[str, str]:
    # ANSI only where a terminal shows it; Markdown's ** elsewhere (a file, a pipe, a document).
    return (BOLD, PLAIN) if sys.stdout.isatty() and os.environ.get("TERM") != "dumb" else ("**", "**")


def _emit(write) -> int:
    try:
        write()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`| head`): see qa.cli
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0

