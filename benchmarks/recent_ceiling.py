"""How far can retrieval reach? Where a question's recent answer sits in the candidate pool.

    python -m benchmarks.recent_ceiling --corpus ../shared/eval/realtimeqa-2025-q1/corpus.jsonl.gz \
        --questions ../shared/eval/realtimeqa-2025-q1/questions.jsonl --index IDX [--sample 100] \
        [--since 2025-04-01] [--pools bench-out/pools]

No model runs. For each reachable question (``benchmarks.reachability``) the product's own
100-deep candidate pool is ranked as ``answer()`` ranks it, and the table says where the
first chunk from the reachability window that holds a gold answer lands: in the first 5, 6-12,
further down, or nowhere in the pool. A question none of whose recent chunks is in the pool
cannot be answered from recent coverage by any ranker or prompt.

The reachability rule accepts an article that names the answer anywhere and shares one word
with the question, so the table also splits the group into questions whose answer is
**stated** in a window article's sentence about the question (``benchmarks.reachability``)
and the rest. The issue's groups stay as defined.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from qa.ranker import load_ranker
from qa.recency import in_window
from qa.retrieve import rank

from ._common import machine_note, table
from .eval_qa import contains, load_questions, question_date
from .reachability import BEFORE_DAYS, REACHABLE, dated_articles, question_groups, stated
from .train_ranker import pools_for

BUCKETS = ("1-5", "6-12", "13-100", "not in the pool")


def bucket(position: int | None) -> str:
    if position is None:
        return BUCKETS[3]
    return BUCKETS[0] if position < 5 else BUCKETS[1] if position < 12 else BUCKETS[2]


def first_recent_answer(question: dict, pool, ranker) -> int | None:
    """Rank (0-based) of the first window chunk holding a gold answer, or None."""
    asked = question_date(question)
    hits = rank(pool, len(pool.candidates), ranker, None)
    for position, hit in enumerate(hits):
        # in_window takes the day after as_of too, as the reachability window does
        if in_window(hit.chunk.publish_date, asked, BEFORE_DAYS) and contains(hit.chunk.text, question["answers"]):
            return position
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recent_ceiling")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--index", required=True)
    parser.add_argument("--sample", type=int, help="the same N questions eval_qa --sample N takes")
    parser.add_argument("--since")
    parser.add_argument("--until")
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--pools", help="cache folder for the candidate pools")
    args = parser.parse_args(argv)
    everything = load_questions(args.questions)
    questions = load_questions(args.questions, args.since, args.until)
    if args.sample and args.sample < len(questions):
        questions = [questions[i * len(questions) // args.sample] for i in range(args.sample)]
    groups = question_groups(everything, Path(args.corpus))
    reachable = [q for q in questions if groups[q["id"]] == REACHABLE]
    articles = dated_articles(Path(args.corpus))
    ranker = load_ranker()
    counts: dict[bool, Counter] = {True: Counter(), False: Counter()}
    for q, pool, _ in pools_for(args.index, reachable, args.depth, args.pools):
        counts[stated(q, articles)][bucket(first_recent_answer(q, pool, ranker))] += 1
    rows = []
    for label, which in (("stated", [True]), ("not stated", [False]), ("all reachable", [True, False])):
        total = sum(sum(counts[w].values()) for w in which)
        shares = [sum(counts[w][b] for w in which) / max(1, total) for b in BUCKETS]
        rows.append([label, total, *(f"{s:.3f}" for s in shares)])
    print(f"where the first recent answer-holding chunk ranks, {args.depth}-deep pool "
          f"({len(questions)} questions, {len(reachable)} reachable; {machine_note()})")
    print(table(["reachable questions", "n", *BUCKETS], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
