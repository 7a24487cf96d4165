"""How well ``qa.stories`` groups articles into stories, on labelled pairs, and how long it takes.

    python -m benchmarks.stories_eval --index /work/idx/y2025 \
        --questions ../shared/eval/realtimeqa-2025/questions.jsonl --since 2025-04-01

Labels (RealTime QA has no story ids, so they are made from its questions): for each
answerable question of the tuning split, the articles that answer it are those among its
10 best search results published from 10 days before to 3 days after its date whose text
holds a gold answer; every pair of them is a "same story" pair (same question, same event).
"Different story" pairs are random pairs of tuning articles published in the same ISO week
(a few of them are really one story, so the precision printed is a lower bound). The
grouping itself runs on every article of the index, through ``update_stories`` (vectors
kept in a temporary data folder: the index is only read), then again per threshold.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from embeddings import SearchFilters, Settings, load_index
from qa._search import search
from qa.stories import (REWRITE_JACCARD, STORY_THRESHOLD, STORY_WINDOW_DAYS, _read_vectors, assign, index_items,
                        stories_dir, update_stories)

from ._common import log, machine_note, table
from .eval_qa import contains, load_questions, question_date


def labelled_pairs(index, questions: list[dict], since: str, negatives: int, seed: int = 0):
    positives: set[tuple[str, str]] = set()
    for q in questions:
        if not q.get("answerable"):
            continue
        day = question_date(q)
        filters = SearchFilters(str(day - timedelta(days=10)), str(day + timedelta(days=3)))
        try:
            hits = search(q["question"], k=10, filters=filters, index=index).hits
        except Exception as exc:  # a question the validator refuses (HTML in it): skipped
            log(f"skipped {q['id']}: {exc}")
            continue
        found = sorted({h.article_id for h in hits if contains(index.article(h.article_id).text, q["answers"])})
        positives.update(itertools.combinations(found, 2))
    weeks: dict[tuple[int, int], list[str]] = {}
    for row in index.article_dates():
        if row.publish_date and row.publish_date >= since:
            iso = _iso_week(row.publish_date)
            weeks.setdefault(iso, []).append(row.id)
    rng = random.Random(seed)
    pools = [sorted(ids) for _, ids in sorted(weeks.items()) if len(ids) > 1]
    weights = [len(p) * (len(p) - 1) for p in pools]
    negative: set[tuple[str, str]] = set()
    while len(negative) < negatives:
        pool = rng.choices(pools, weights)[0]
        a, b = sorted(rng.sample(pool, 2))
        if (a, b) not in positives:
            negative.add((a, b))
    return sorted(positives), sorted(negative)


def _iso_week(iso: str) -> tuple[int, int]:
    from datetime import date
    year, week, _ = date.fromisoformat(iso[:10]).isocalendar()
    return year, week


def score(assignment: dict[str, str], positives, negatives) -> dict:
    same = lambda a, b: assignment.get(a) is not None and assignment.get(a) == assignment.get(b)  # noqa: E731
    tp = sum(same(a, b) for a, b in positives)
    fp = sum(same(a, b) for a, b in negatives)
    recall = tp / max(1, len(positives))
    precision = tp / max(1, tp + fp)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return {"recall": recall, "precision": precision, "false_merge": fp / max(1, len(negatives)), "f1": f1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, type=Path, help="an index of the tuning corpus (read only)")
    parser.add_argument("--questions", required=True)
    parser.add_argument("--since", default="2025-04-01", help="tuning split: questions and weeks from this date")
    parser.add_argument("--negatives", type=int, default=3000, help="random same-week pairs")
    parser.add_argument("--thresholds", default="0.45,0.5,0.55,0.6,0.65,0.7,0.75,0.8")
    parser.add_argument("--windows", default="1,3,7")
    parser.add_argument("--poll", type=int, default=30, help="articles taken out, then placed again, to time an "
                                                               "update after a poll")
    parser.add_argument("--data-dir", type=Path, help="keep the stories here (default: a temporary folder), e.g. "
                                                      "for benchmarks.briefing_speed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=args.data_dir or Path(tmp), index_dir=args.index)
        index = load_index(settings)
        log(machine_note())
        started = time.perf_counter()
        update_stories(settings, index)
        first_s = time.perf_counter() - started
        # An update after a poll: the newest articles were never placed nor embedded.
        folder = stories_dir(settings)
        data = json.loads((folder / "stories.json").read_text())
        items = index_items(index)
        newest = {i.id for i in sorted((i for i in items if i.date), key=lambda i: (i.date, i.id))[-args.poll:]}
        data["stories"] = {a: s for a, s in data["stories"].items() if a not in newest}
        (folder / "stories.json").write_text(json.dumps(data))
        vectors = _read_vectors(folder / "vectors.npz", index.manifest.embedder)
        with np.load(folder / "vectors.npz") as raw:
            embedder = str(raw["embedder"])
        kept = {a: v for a, v in vectors.items() if a not in newest}
        ids = sorted(kept)
        np.savez(folder / "vectors.npz", ids=np.array(ids, dtype=str), vectors=np.stack([kept[a] for a in ids]),
                 embedder=np.array(embedder))
        started = time.perf_counter()
        update_stories(settings, index)
        poll_s = time.perf_counter() - started
        log(f"grouping {len(items)} articles from scratch: {first_s:.1f} s; placing {args.poll} new ones: "
            f"{poll_s:.2f} s")

        questions = load_questions(args.questions, since=args.since)
        positives, negatives = labelled_pairs(index, questions, args.since, args.negatives)
        log(f"{len(positives)} same-story pairs from {len(questions)} tuning questions, {len(negatives)} random "
            f"same-week pairs")
        matrix = np.stack([vectors[i.id] for i in items])
        signatures = dict(index.store.minhashes())
        sigs = [signatures.get(i.id) for i in items]
        rows, results = [], []
        for window in [int(w) for w in args.windows.split(",")]:
            for threshold in [float(t) for t in args.thresholds.split(",")]:
                assignment = assign(items, matrix, sigs, threshold=threshold, window_days=window,
                                    rewrite_jaccard=REWRITE_JACCARD)
                result = {"threshold": threshold, "window_days": window, **score(assignment, positives, negatives),
                          "stories": len(set(assignment.values()))}
                results.append(result)
                rows.append([threshold, window, f"{result['precision']:.3f}", f"{result['recall']:.3f}",
                             f"{result['false_merge']:.4f}", f"{result['f1']:.3f}", result["stories"]])
        best = max(results, key=lambda r: (round(r["f1"], 3), r["threshold"]))
        print(table(["threshold", "window (days)", "precision", "recall", "false merges", "F1", "stories"], rows,
                    title=f"Stories on the tuning split ({len(positives)} same-story pairs, {len(negatives)} "
                          f"random same-week pairs; shipped: {STORY_THRESHOLD}, {STORY_WINDOW_DAYS} days)"))
        print(f"\nbest F1: threshold {best['threshold']}, window {best['window_days']} days; "
              f"full grouping {first_s:.1f} s, update after {args.poll} new articles {poll_s:.2f} s")
        if args.json:
            print(json.dumps({"results": results, "first_s": first_s, "poll_s": poll_s}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
