"""Rerun what follows generation (citation check, abstention, the note on old news) on the
answers an `eval_qa` run stored, and print its per-group table before and after: a change to
those steps is measured on the very same model outputs, in seconds instead of an hour.

    python -m benchmarks.replay_answers --corpus ../shared/eval/realtimeqa-2025/corpus.jsonl.gz \
        --questions ../shared/eval/realtimeqa-2025/questions.jsonl --runs OUT.jsonl [OUT2.jsonl ...]

The runs must come from `eval_qa` without `--retrieval-only` (each row keeps the model's raw
text and the passages it was shown).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks._common import machine_note
from benchmarks.eval_qa import print_groups, question_date
from embeddings import Settings
from embeddings.settings import STALE_ANSWERS
from qa._answer import settle
from qa.types import Passage


def replay(row: dict, settings: Settings) -> dict:
    """``row`` as the current code would have finished it."""
    if "raw" not in row:
        raise SystemExit(f"row {row['id']} has no raw answer: rerun eval_qa (this needs its newer output)")
    if not row["passages"]:  # abstained before the model ran: nothing to replay
        return row
    passages = [Passage(**p) for p in row["passages"]]
    checked, lead = settle(row["raw"], passages, row["question"], question_date(row), settings)
    if checked is None:
        return {**row, "answer": "", "abstained": True, "citations": [], "dated": ""}
    return {**row, "answer": f"{lead} {checked.text}".strip(), "abstained": False, "dated": lead,
            "citations": [{"n": c.n, "url": c.url, "title": c.title, "passage": c.passage} for c in checked.citations]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay_answers")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--runs", nargs="+", required=True, help="eval_qa --out files")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for path in args.runs for line in open(path) if line.strip()]
    print(machine_note())
    print(f"\nas stored ({len(rows)} answers from {', '.join(args.runs)})")
    print_groups(rows, Path(args.corpus), args.questions)
    for policy in STALE_ANSWERS:
        settings = Settings.from_env(stale_answers=policy)
        print(f"\nreplayed with the current citation check, stale answers: {policy}")
        print_groups([replay(r, settings) for r in rows], Path(args.corpus), args.questions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
