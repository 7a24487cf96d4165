"""How far can retrieval reach? Where a question's recent answer sits in the candidate pool.

    python -m benchmarks.recent_ceiling --corpus ../shared/eval/realtimeqa-2025-q1/corpus.jsonl.gz \
        --questions ../shared/eval/realtimeqa-2025-q1/questions.jsonl --index IDX [--sample 100] \
        [--since 2025-04-01] [--pools bench-out/pools]

No model runs. For each reachable question (``benchmarks.reachability``) the product's own
100-deep candidate pool is ranked as ``answer()`` ranks it, and the table says where the
first chunk from the reachability window that holds a gold answer (as whole words, the
reachability rule) lands: in the first 5, 6-12, further down, in the pool but left out of the
ranking (a near-duplicate, or an article's third chunk), or nowhere in the pool. A question
none of whose recent chunks is in the pool cannot be answered from *recent* coverage by any
ranker or prompt (an old article may still name the answer: ``eval_qa``'s "in prompt"
counts those too).

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
from qa.retrieve import rank, score_pool

from ._common import machine_note, table
from .eval_qa import load_questions, question_date
from .reachability import BEFORE_DAYS, REACHABLE, STATED, group_labels, holds_gold
from .train_ranker import pools_for

BUCKETS = ("1-5", "6-12", "13-100", "left out of the ranking", "not in the pool")


def bucket(question: dict, pool, ranker) -> str:
    """Where the first window chunk holding a gold answer ranks (``BUCKETS``)."""
    asked = question_date(question)

    def recent_answer(hit) -> bool:
        # in_window takes the day after as_of too, as the reachability window does
        return in_window(hit.chunk.publish_date, asked, BEFORE_DAYS) and holds_gold(hit.chunk.text, question["answers"])

    ranked = rank(pool, len(pool.candidates), ranker, None)
    position = next((i for i, hit in enumerate(ranked) if recent_answer(hit)), None)
    if position is not None:
        return BUCKETS[0] if position < 5 else BUCKETS[1] if position < 12 else BUCKETS[2]
    return BUCKETS[3] if any(recent_answer(hit) for hit in score_pool(pool, ranker)) else BUCKETS[4]


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
    questions = load_questions(args.questions, args.since, args.until)
    if args.sample and args.sample < len(questions):
        questions = [questions[i * len(questions) // args.sample] for i in range(args.sample)]
    labels = group_labels(questions, Path(args.corpus))  # a question's group depends on it alone
    reachable = [q for q in questions if REACHABLE in labels[q["id"]]]
    ranker = load_ranker()
    counts: dict[bool, Counter] = {True: Counter(), False: Counter()}
    for q, pool, _ in pools_for(args.index, reachable, args.depth, args.pools):
        counts[STATED in labels[q["id"]]][bucket(q, pool, ranker)] += 1
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
