"""How often the answer survives into the prompt, per passage token budget (issue 18).

    python -m benchmarks.prompt_sweep --index /work/idx/y2025 \
        --questions ../shared/eval/realtimeqa-2025/questions.jsonl \
        --corpus ../shared/eval/realtimeqa-2025/corpus.jsonl.gz --cache /tmp/pools

For each answerable question of the split (tuning: from 2025-04-01), its candidate pool
(cached with ``--cache``, shared with ``train_ranker``) is ranked as ``retrieve`` does and the
top passages are packed into the prompt by ``qa.prompt.select_sentences`` with each budget.
Prints, per budget, the share of questions whose prompt holds a gold answer (reachable, and
answerable but not reachable), the prompt's passage tokens and the whole user turn's (passages
with their headers, and the question: what prefill evaluates, the system turn being cached).
No model runs.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np

from embeddings import Settings
from qa.collection import INDEXES
from qa.generators import get_generator
from qa.prompt import build_messages, select_sentences
from qa.ranker import load_ranker
from qa.retrieve import rank

from ._common import machine_note, table
from .eval_qa import contains, load_questions
from .reachability import REACHABLE, question_groups
from .train_ranker import cached_embed, pools_for

BUDGETS = (200, 230, 260, 320)  # passage tokens


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--corpus", required=True, help="the split's corpus.jsonl.gz (for the groups)")
    parser.add_argument("--since", default="2025-04-01")
    parser.add_argument("--until")
    parser.add_argument("--cache")
    args = parser.parse_args(argv)
    settings = Settings.from_env(index_dir=args.index)
    since = load_questions(args.questions, args.since, args.until)
    groups = question_groups(since, Path(args.corpus))
    pools = pools_for(args.index, [q for q in since if q["answerable"]], settings.candidates, args.cache)
    index = INDEXES.get(settings)
    count = get_generator(settings.model, settings).count_tokens
    embed = cached_embed(args.index)  # each sentence once across all budgets

    ranker = load_ranker()
    ranked = [(q, rank(pool, settings.passages, ranker, None)) for q, pool, _ in pools]
    rows = []
    for budget in BUDGETS:
        found: dict[bool, list[bool]] = {True: [], False: []}
        tokens, whole = [], []
        for q, hits in ranked:
            shown = select_sentences(q["question"], hits, budget, count, embed=embed, idf=index.idf,
                                     stored=index.sentence_vectors)
            found[groups[q["id"]] == REACHABLE].append(any(contains(s.text, q["answers"]) for s in shown))
            tokens.append(sum(count(s.text) for s in shown))
            whole.append(count(build_messages(q["question"], shown)[1]["content"]))
        rows.append([budget, f"{np.mean(found[True]):.3f}", f"{np.mean(found[False]):.3f}",
                     f"{statistics.median(tokens):.0f}", f"{statistics.median(whole):.0f}"])
    print(machine_note())
    print(f"{len(ranked)} answerable questions ({sum(groups[q['id']] == REACHABLE for q, _ in ranked)} reachable), "
          f"{settings.passages} passages")
    print(table(["budget", "in prompt, reachable", "in prompt, not reachable",
                 "passage tokens p50", "user turn tokens p50 (what prefill evaluates)"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
