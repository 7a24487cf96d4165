"""How long the briefing takes: listing it (no model), drawing the Briefing tab's HTML, and the
model summarising one story; and how many of those summaries pass the citation check.

    python -m benchmarks.stories_eval --index /work/idx/y2025 --questions ... --data-dir DIR   # groups, keeps
    python -m benchmarks.briefing_speed --index /work/idx/y2025 --data-dir DIR [--model qwen2.5-0.5b] [--stories 5]

The index is only read; the stories and summaries are written under ``--data-dir``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from embeddings import Settings
from qa.briefing import briefing, summarise
from qa.collection import INDEXES
from qa.generators import get_generator
from webui.briefing import briefing_html

from ._common import log, machine_note, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--data-dir", required=True, type=Path, help="where benchmarks.stories_eval kept the stories")
    parser.add_argument("--model", default="qwen2.5-0.5b")
    parser.add_argument("--since", help="the period's start (default: the briefing's own)")
    parser.add_argument("--stories", type=int, default=5, help="stories summarised, biggest first")
    args = parser.parse_args(argv)
    settings = Settings.from_env(data_dir=args.data_dir, index_dir=args.index, model=args.model)
    log(machine_note())
    started = time.perf_counter()
    index = INDEXES.get(settings)
    load_s = time.perf_counter() - started
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        b = briefing(args.since, settings=settings, index=index, limit=30)
        html = briefing_html(b)
        timings.append(time.perf_counter() - started)
    log(f"index loaded in {load_s:.1f} s; briefing since {b.since}: {len(b.stories)} stories, "
        f"{len(html):,} bytes of HTML")
    started = time.perf_counter()
    generator = get_generator(settings.model, settings)
    model_s = time.perf_counter() - started
    rows, seconds = [], []
    for item in b.stories[:args.stories]:
        started = time.perf_counter()
        summary = summarise(item.story, settings=settings, generator=generator, index=index)
        seconds.append(time.perf_counter() - started)
        rows.append([item.story.size, item.story.headline[:60], f"{seconds[-1]:.1f}",
                     "verified" if summary and summary.supported else "no verified sentence",
                     (summary.text if summary else "")[:160]])
    print(table(["articles", "headline", "seconds", "citation check", "summary"], rows,
                title=f"Summaries by {settings.model} ({machine_note()})"))
    verified = sum(r[3] == "verified" for r in rows)
    print(f"\nbriefing listed and drawn (no model): median {statistics.median(timings) * 1000:.0f} ms over 5 "
          f"(first {timings[0] * 1000:.0f} ms); model loaded in {model_s:.1f} s; one story summarised: median "
          f"{statistics.median(seconds):.1f} s, max {max(seconds):.1f} s; {verified}/{len(rows)} summaries verified")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
