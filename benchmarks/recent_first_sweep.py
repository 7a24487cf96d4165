"""Replay the tuning questions' candidate pools with each "recent first" share (issue 18).

    python -m benchmarks.recent_first_sweep --index /work/idx/y2025 \
        --questions ../shared/eval/realtimeqa-2025/questions.jsonl \
        --corpus ../shared/eval/realtimeqa-2025/corpus.jsonl.gz [--recent-candidates 50] [--cache /tmp/pools]

For each answerable tuning question (from 2025-04-01), the pool of ``candidate_pool`` (with
the recent-window candidates) is ranked by ``qa.retrieve.rank`` with each share, as
``retrieve`` does. Prints hit@5 and recent hit@5 for the reachable questions and hit@5 (an old answer
reaching the model) for the answerable, not reachable ones. No model runs: a minute once the
pools are cached (``--cache``, shared with ``train_ranker``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from embeddings import Settings
from qa.ranker import load_ranker
from qa.recency import in_window
from qa.retrieve import rank

from ._common import machine_note, table
from .eval_qa import load_questions, question_date
from .reachability import BEFORE_DAYS, REACHABLE, question_groups
from .train_ranker import pools_for

SHARES = (None, 0.9, 0.75, 0.5, 0.3, 0.0)  # None: no reordering


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--corpus", required=True, help="the split's corpus.jsonl.gz (for the groups)")
    parser.add_argument("--since", default="2025-04-01")
    parser.add_argument("--recent-candidates", type=int, default=50)
    parser.add_argument("--recent-days", type=int, default=Settings().recent_days)
    parser.add_argument("--cache")
    args = parser.parse_args(argv)
    since = load_questions(args.questions, args.since)
    questions = [q for q in since if q["answerable"]]
    groups = question_groups(since, Path(args.corpus))
    pools = pools_for(args.index, questions, Settings().candidates, args.cache,
                      (args.recent_days, args.recent_candidates))
    ranker = load_ranker()

    rows = []
    for share in SHARES:
        reach, reach_recent, stale = [], [], []
        for q, pool, labels in pools:
            asked = question_date(q)
            answer_in = {c.chunk.id for c, y in zip(pool.candidates, labels) if y}
            top = rank(pool, 5, ranker, share)
            found = any(h.chunk.id in answer_in for h in top)
            if groups[q["id"]] == REACHABLE:
                reach.append(found)
                reach_recent.append(any(h.chunk.id in answer_in and in_window(h.chunk.publish_date, asked, BEFORE_DAYS)
                                        for h in top))  # the reachability window, -1 .. 30 days
            else:
                stale.append(found)
        rows.append(["off" if share is None else share, np.mean(reach), np.mean(reach_recent), np.mean(stale)])
    print(table(["share", "reachable hit@5", "reachable recent hit@5", "not reachable hit@5"], rows,
                title=f"{len(pools)} answerable tuning questions since {args.since}, recent candidates "
                      f"{args.recent_candidates}; {machine_note()}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
