"""End-to-end QA evaluation on a RealTime QA split (see ../shared/eval/README.md).

    python -m benchmarks.eval_qa --corpus ../shared/eval/realtimeqa-2025-q1/corpus.jsonl.gz \
        --questions ../shared/eval/realtimeqa-2025-q1/questions.jsonl --index /tmp/q1idx \
        --out bench-out/q1.jsonl [--limit N] [--model qwen2.5-0.5b]

Builds (or reuses) the index, answers every question from its text alone (never the
choices), writes one JSON line per question, and prints the metrics table. With
``--min-relevance 0`` it also prints the abstention sweep used to calibrate the threshold.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import string
import subprocess
import sys
import time
from pathlib import Path

from embeddings import Settings, build_index
from embeddings.index import current_generation
from qa import Answer, answer
from qa.collection import INDEXES
from qa.generate import get_generator
from qa.retrieve import relevance, retrieve

_MARKER = re.compile(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]")


def normalize(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"‘", "’", "“", "”"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    p, g = normalize(prediction).split(), normalize(gold).split()
    common = sum(min(p.count(w), g.count(w)) for w in set(p))
    if not p or not g or not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def contains(text: str, golds: list[str]) -> bool:
    plain = normalize(text)
    return any(normalize(g) and normalize(g) in plain for g in golds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_qa")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--index", dest="index_dir", default="bench-out/index")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model")
    parser.add_argument("--k", type=int)
    parser.add_argument("--min-relevance", type=float)
    parser.add_argument("--report-only", action="store_true",
                        help="print the metrics of an existing --out file (e.g. a run cut short) and exit")
    args = parser.parse_args(argv)
    if args.report_only:
        rows = [json.loads(line) for line in open(args.out)]
        threshold = args.min_relevance if args.min_relevance is not None else Settings.from_env().min_relevance
        settings = Settings.from_env(model=args.model, min_relevance=threshold)
        print_metrics(with_threshold(rows, threshold), float("nan"), args, settings)
        print_sweep(rows)
        return 0

    settings = Settings.from_env(index_dir=args.index_dir, model=args.model, min_relevance=args.min_relevance)
    if current_generation(Path(settings.index_dir)) is None:
        print(f"building the index in {settings.index_dir} ...", file=sys.stderr)
        print(build_index([args.corpus], settings).summary(), file=sys.stderr)
    cold_s = measure_cold_start(settings)
    questions = [json.loads(line) for line in open(args.questions)][: args.limit]
    index = INDEXES.get(settings)
    generator = get_generator(settings.model, settings)
    k = args.k or settings.passages
    rows = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as fh:
        for i, q in enumerate(questions, 1):
            top5 = retrieve(index, q["question"], 5, settings.candidates)
            rel = relevance(retrieve(index, q["question"], k, settings.candidates))
            result: Answer = answer(q["question"], k=k, settings=settings, generator=generator, index=index)
            row = {
                "id": q["id"], "question": q["question"], "gold": q["answers"], "answerable": q["answerable"],
                "answer": result.text, "abstained": result.abstained, "relevance": round(rel, 4),
                "citations": [{"n": c.n, "url": c.url, "title": c.title, "passage": c.passage} for c in result.citations],
                "retrieved": [{"url": p.url, "text": p.shown} for p in result.passages],
                "top5": [{"url": h.chunk.url, "text": h.chunk.text} for h in top5],
                "ttft_s": round(result.timings.first_token_s, 3), "total_s": round(result.timings.total_s, 3),
            }
            rows.append(row)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            print(f"[{i}/{len(questions)}] {'ABSTAIN' if result.abstained else 'ok':7} "
                  f"{result.timings.total_s:5.1f}s {q['question'][:60]!r} -> {result.text[:80]!r}", file=sys.stderr)
    print_metrics(rows, cold_s, args, settings)
    if args.min_relevance == 0:
        print_sweep(rows)
    return 0


def measure_cold_start(settings: Settings) -> float:
    """A cold first answer() in a new process, timed from interpreter start."""
    code = ("import time,sys; t=time.perf_counter(); from qa import answer; "
            "answer('Who is the president of the United States?'); print(time.perf_counter()-t)")
    started = time.perf_counter()
    env = {**__import__("os").environ, "NEWSDESK_INDEX_DIR": str(settings.index_dir), "NEWSDESK_MODEL": settings.model}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return float("nan")
    return time.perf_counter() - started


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def print_metrics(rows: list[dict], cold_s: float, args, settings: Settings) -> None:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    hit = lambda r, key: any(contains(p["text"], r["gold"]) for p in r[key])
    correct = [r for r in rows if not r["abstained"] and contains(r["answer"], r["gold"])]
    cited = [c for r in correct for c in r["citations"]]
    short = lambda r: _MARKER.sub("", r["answer"])
    ttft = [r["ttft_s"] for r in rows if r["ttft_s"] > 0]
    total = [r["total_s"] for r in rows]
    table = [
        ("questions (answerable / not)", f"{len(rows)} ({len(answerable)} / {len(unanswerable)})", ""),
        ("retrieval hit@5 (answerable)", f"{_mean([hit(r, 'top5') for r in answerable]):.3f}", ">= 0.80"),
        ("hit@passages shown (answerable)", f"{_mean([hit(r, 'retrieved') for r in answerable]):.3f}", ""),
        ("contains accuracy (all)", f"{len(correct) / max(1, len(rows)):.3f}", ">= 0.40"),
        ("contains accuracy (answerable)", f"{_mean([r in correct for r in answerable]):.3f}", ""),
        ("exact match", f"{_mean([any(normalize(short(r)) == normalize(g) for g in r['gold']) for r in rows]):.3f}", ""),
        ("token F1", f"{_mean([max(token_f1(short(r), g) for g in r['gold']) for r in rows]):.3f}", ""),
        ("citation precision (correct answers)",
         f"{_mean([any(normalize(g) in normalize(c['passage']) for g in r['gold']) for r in correct for c in r['citations']]):.3f}"
         f" of {len(cited)}", ">= 0.90"),
        ("correct answers with >= 1 citation", f"{_mean([bool(r['citations']) for r in correct]):.3f}", ""),
        ("abstain on non-answerable", f"{_mean([r['abstained'] for r in unanswerable]):.3f}", ">= 0.50"),
        ("abstain on answerable", f"{_mean([r['abstained'] for r in answerable]):.3f}", "<= 0.10"),
        ("time to first token median / p95 (s)", f"{_pct(ttft, .5):.2f} / {_pct(ttft, .95):.2f}", "<= 6"),
        ("total median / p95 (s)", f"{_pct(total, .5):.2f} / {_pct(total, .95):.2f}", "<= 15"),
        ("cold first answer() in a new process (s)", f"{cold_s:.1f}", "<= 20"),
    ]
    print(f"\nmodel {settings.model}, passages {args.k or settings.passages}, budget "
          f"{settings.prompt_token_budget} tokens, min relevance {settings.min_relevance}")
    width = max(len(t[0]) for t in table)
    print(f"{'metric':{width}}  {'value':>16}  target")
    for name, value, target in table:
        print(f"{name:{width}}  {value:>16}  {target}")


def with_threshold(rows: list[dict], threshold: float) -> list[dict]:
    """Rows as a run at ``threshold`` would have given them: below it, an early abstention
    (no citations, no generation time)."""
    out = []
    for r in rows:
        if r["relevance"] < threshold and not r["abstained"]:
            r = {**r, "abstained": True, "citations": [], "answer": "", "ttft_s": 0.0, "total_s": r["total_s"] - r["ttft_s"]}
        out.append(r)
    return out


def print_sweep(rows: list[dict]) -> None:
    """Abstention rates if answers below each relevance threshold had abstained."""
    print("\nrelevance threshold sweep (abstain = below threshold or model abstained)")
    print(f"{'threshold':>9}  {'abstain|non-ans':>15}  {'abstain|ans':>11}  {'contains acc':>12}")
    for t in [0.0, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]:
        abst = lambda r: r["abstained"] or r["relevance"] < t
        non = [abst(r) for r in rows if not r["answerable"]]
        ans = [abst(r) for r in rows if r["answerable"]]
        acc = _mean([not abst(r) and contains(r["answer"], r["gold"]) for r in rows])
        print(f"{t:>9.2f}  {_mean(non):>15.3f}  {_mean(ans):>11.3f}  {acc:>12.3f}")


def _mean(values) -> float:
    values = list(values)
    return statistics.fmean(values) if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
