"""How long a feed poll takes, end to end, as `python -m feeds watch --once` runs it.

A loopback news site (``tests/feed_site.py``) serves one RSS feed of ``--items`` article
pages; a fresh data directory follows it; then two polls run in fresh processes: the first
fetches, extracts and indexes every item (the packaged embedder, loaded by that process),
the second is answered 304 and fetches nothing. Wall times include the process start.

    .venv/bin/python -m benchmarks.feed_poll [--items 20] [--delay 0]

``--delay`` is ``NEWSDESK_FEED_HOST_DELAY_S``: with the default 2 s a first poll of N pages
from one host takes at least 2 x N s, on purpose.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import log, machine_note, table

REPO = Path(__file__).resolve().parents[1]
TOPICS = "council harbour ferry bridge budget school river police festival market museum railway".split()


def serve(site, items: int) -> str:
    listed = []
    for i in range(items):
        topic = TOPICS[i % len(TOPICS)]
        paragraphs = [f"The {topic} project in town {i} moved ahead on Monday, officials said. It will cost "
                      f"{i + 3} million and take {i % 4 + 1} years, according to a plan seen by reporters."]
        paragraphs += [f"Residents of district {i} said the {TOPICS[(i + j) % len(TOPICS)]} work was long "
                       f"overdue and asked the council for update number {j} by the spring." for j in range(6)]
        site.article(f"/a/{i}.html", f"Story {i} about the {topic}", paragraphs)
        listed.append({"title": f"Story {i} about the {topic}", "link": site.url(f"/a/{i}.html"), "guid": str(i),
                       "date": "Mon, 16 Feb 2026 07:30:00 GMT"})
    return site.rss("/rss.xml", "Loopback Times", listed, etag='"1"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.feed_poll", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20, help="articles in the feed (default 20)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between requests to one host (default 0)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from tests.feed_site import FeedSite

    rows, note = [], machine_note()
    with FeedSite() as site, tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
        env |= {"NEWSDESK_DATA_DIR": tmp, "NEWSDESK_FEED_HOST_DELAY_S": str(args.delay),
                "NEWSDESK_FEED_MAX_ITEMS": str(max(args.items, 1))}

        def cli(*words: str) -> subprocess.CompletedProcess:
            return subprocess.run([sys.executable, "-m", "feeds", *words], cwd=REPO, env=env,
                                  capture_output=True, text=True, check=True)

        cli("feed", "add", serve(site, args.items))
        for label in ("first poll", "second poll (304)"):
            log(f"{label}…")
            started = time.perf_counter()
            report = json.loads(cli("watch", "--once", "--no-progress", "--json").stdout)
            wall = time.perf_counter() - started
            rows.append([label, report["new"], round(report["seconds"], 2), round(wall, 2),
                         len(site.requests)])
    if args.json:
        print(json.dumps({"machine": note, "items": args.items, "delay_s": args.delay, "rows": [
            dict(zip(("poll", "new", "poll_s", "wall_s", "requests_so_far"), r)) for r in rows]}, indent=1))
    else:
        print(table(["poll", "new articles", "poll s (fetch+index)", "wall s (process)", "requests so far"], rows,
                    title=f"feed poll, {args.items} items, host delay {args.delay:g} s; {note}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
