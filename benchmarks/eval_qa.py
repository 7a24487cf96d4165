"""End-to-end QA evaluation on a RealTime QA split (see ../shared/eval/README.md).

    python -m benchmarks.eval_qa --corpus ../shared/eval/realtimeqa-2025-q1/corpus.jsonl.gz \
        --questions ../shared/eval/realtimeqa-2025-q1/questions.jsonl --index /tmp/q1idx \
        --out bench-out/q1.jsonl [--limit N] [--model qwen2.5-0.5b] [--retrieval-only]

Builds (or reuses) the index, answers every question from its text alone (never the
choices) as of the question's own date, writes one JSON line per question, and prints the
metrics table and where the answerable questions were lost, then every metric per group
(reachable / answerable, not reachable / unanswerable: ``benchmarks/reachability.py``) and
where the reachable ones were lost. With ``--min-relevance 0`` it
also prints the abstention sweep used to calibrate the threshold. ``--retrieval-only``
stops before the model: hit@5 and answer-in-the-prompt in a minute instead of half an hour.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import statistics
import string
import subprocess
import sys
import time
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

from benchmarks.reachability import AFTER_DAYS, BEFORE_DAYS, GROUPS, NOT_STATED, REACHABLE, STATED, group_labels
from embeddings import Settings, build_index
from embeddings.index import current_generation
from qa import Answer, Retrieved, Timings, stream_answer
from qa.cite import strip_markers
from qa.collection import INDEXES
from qa.generators import get_generator
from qa.prompt import select_from_index
from qa.question import validate_question
from qa.retrieve import default_as_of, prompt_hits, relevance, retrieve_deeper
from qa.timing import STAGES, StageClock


def answer_probability(hits) -> float:
    """The ranker's best probability among the hits (reported, and swept as an abstention signal)."""
    return max((h.score for h in hits), default=0.0)


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


def loosely_contains(text: str, golds: list[str]) -> bool:
    """``contains`` with the gold's spelling forgiven, as whole words: accents folded ("Doncic"
    for "Dončić"), "&" read as "and", a gold "Central Intelligence Agency (CIA)" matched by
    either name, and amounts written out ("$5 million" for "$5,000,000"). The split's
    "unanswerable" questions are those whose gold string is nowhere in the corpus, and on
    q1 most of the answers given to them are right but spelled as the articles spell them.
    A second column, never the headline metric: every rule is a spelling, none a paraphrase."""
    plain = f" {_loose(text)} "
    return any(g and f" {g} " in plain for gold in golds for g in map(_loose, _gold_forms(gold)))


# "Name (ABBR)": the parenthesis is another name only when it looks like an abbreviation
# ("Paris (France)" is not "France").
_ABBREVIATION = re.compile(r"^(.+?)\s*\(([A-Z][A-Z0-9&.]{1,9})\)$")
_AMOUNT = re.compile(r"\b(\d+(?:\.\d+)?) (thousand|million|billion|trillion)\b", re.IGNORECASE)
_SCALE = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12}


def _gold_forms(gold: str) -> list[str]:
    named = _ABBREVIATION.match(gold.strip())
    return [gold, *named.groups()] if named else [gold]


def _loose(text: str) -> str:
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.replace("&", " and "))  # 5,000,000 -> 5000000
    # Amounts before normalize(), which drops the decimal point ("2.5 billion")
    text = _AMOUNT.sub(lambda m: str(int(Decimal(m.group(1)).scaleb(_SCALE[m.group(2).lower()]))), text)
    return normalize(text)


def holds_answer(row: dict, key: str) -> bool:
    """Whether any passage listed under ``row[key]`` holds a gold answer."""
    return any(contains(p["text"], row["gold"]) for p in row.get(key, []))


def question_date(q: dict) -> date:
    """A question's date (the split files write both 2025/01/03 and 2025-01-03)."""
    return date.fromisoformat(q["date"].replace("/", "-")[:10])


def load_questions(path: str, since: str | None = None, until: str | None = None) -> list[dict]:
    """Questions of a split, optionally only those dated in [since, until]."""
    questions = [json.loads(line) for line in open(path) if line.strip()]
    if since:
        questions = [q for q in questions if question_date(q) >= date.fromisoformat(since)]
    if until:
        questions = [q for q in questions if question_date(q) <= date.fromisoformat(until)]
    return questions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eval_qa")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--index", dest="index_dir", default="bench-out/index")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--sample", type=int, help="only N questions spread evenly over the split")
    parser.add_argument("--out", required=True)
    parser.add_argument("--model")
    parser.add_argument("--k", type=int)
    parser.add_argument("--min-relevance", type=float)
    parser.add_argument("--recent-candidates", type=int, help="per retriever, in the recent window (0: off)")
    parser.add_argument("--recent-prompt-depth", type=int,
                        help="a question about now with a recent passage this deep is shown no older ones (0: off)")
    parser.add_argument("--recent-days", type=int, help="the recent window, in days before the question")
    parser.add_argument("--since", help="only questions dated on or after (YYYY-MM-DD): the tuning split is 2025-04-01 on")
    parser.add_argument("--until", help="only questions dated on or before (YYYY-MM-DD)")
    parser.add_argument("--no-as-of", action="store_true",
                        help="answer as of the collection's newest article, not the question's date")
    parser.add_argument("--retrieval-only", action="store_true",
                        help="stop before generation: retrieval and prompt metrics only")
    parser.add_argument("--report-only", action="store_true",
                        help="print the metrics of an existing --out file (e.g. a run cut short) and exit")
    args = parser.parse_args(argv)
    if args.report_only:
        rows = [json.loads(line) for line in open(args.out)]
        threshold = args.min_relevance if args.min_relevance is not None else Settings.from_env().min_relevance
        settings = Settings.from_env(model=args.model, min_relevance=threshold)
        print_metrics(with_threshold(rows, threshold), float("nan"), args, settings)
        print_losses(with_threshold(rows, threshold))
        print_groups(with_threshold(rows, threshold), Path(args.corpus), args.questions)
        print_sweep(rows)
        print_sweep(rows, "ranker_p")
        return 0

    settings = Settings.from_env(index_dir=args.index_dir, model=args.model, min_relevance=args.min_relevance,
                                 recent_candidates=args.recent_candidates, recent_days=args.recent_days,
                                 recent_prompt_depth=args.recent_prompt_depth)
    if current_generation(Path(settings.index_dir)) is None:
        print(f"building the index in {settings.index_dir} ...", file=sys.stderr)
        print(build_index([args.corpus], settings).summary(), file=sys.stderr)
    cold_s = float("nan") if args.retrieval_only else measure_cold_start(settings)
    questions = load_questions(args.questions, args.since, args.until)[: args.limit]
    if args.sample and args.sample < len(questions):
        questions = [questions[i * len(questions) // args.sample] for i in range(args.sample)]
    index = INDEXES.get(settings)
    generator = get_generator(settings.model, settings)
    k = args.k or settings.passages
    rows = []
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as fh:
        for i, q in enumerate(questions, 1):
            as_of = None if args.no_as_of else question_date(q)
            clock = StageClock()
            # The text answer() searches with: a question pasted with markup is searched by its words
            asked = validate_question(q["question"], settings.max_question_chars)
            hits, ranked = retrieve_deeper(index, asked, max(5, k), settings.recent_prompt_depth,
                                           settings.candidates, as_of=as_of, clock=clock,
                                           recent_days=settings.recent_days,
                                           recent_candidates=settings.recent_candidates)
            rel = relevance(hits[:k])
            if args.retrieval_only:
                with clock.stage("prompt"):
                    shown = select_from_index(index, asked,
                                              prompt_hits(hits[:k], ranked, asked, as_of or default_as_of(index),
                                                          settings),
                                              settings.prompt_token_budget, generator.count_tokens)
                result = Answer(question=q["question"], text="", citations=(), passages=(),
                                abstained=rel < settings.min_relevance, model="",
                                timings=Timings(stages=clock.stages()))
                retrieved = [{"url": s.hit.chunk.url, "text": s.text} for s in shown]
            else:
                result, raw, passages = None, [], ()
                for event in stream_answer(q["question"], k=k, settings=settings, generator=generator,
                                           index=index, as_of=as_of):
                    if isinstance(event, Answer):
                        result = event
                    elif isinstance(event, Retrieved):
                        passages = event.passages
                    else:
                        raw.append(event)
                retrieved = [{"url": p.url, "text": p.shown} for p in result.passages]
                # What the model wrote and saw, so a change to the citation check can be
                # measured on the same answers without running the model again.
                extra = {"raw": "".join(raw), "passages": [dataclasses.asdict(p) for p in passages]}
                result = _charged_for_the_question_vector(result, clock.stages().get("embed_query", 0.0))
            row = {
                "id": q["id"], "date": q["date"], "question": q["question"], "gold": q["answers"],
                "answerable": q["answerable"], "answer": result.text, "dated": result.dated, "abstained": result.abstained,
                "relevance": round(rel, 4), "ranker_p": round(answer_probability(hits[:k]), 4),
                "citations": [{"n": c.n, "url": c.url, "title": c.title, "passage": c.passage} for c in result.citations],
                "retrieved": retrieved,
                "top5": [{"url": h.chunk.url, "date": h.chunk.publish_date, "text": h.chunk.text} for h in hits[:5]],
                "topk": [{"url": h.chunk.url, "text": h.chunk.text} for h in hits[:k]],
                "ttft_s": round(result.timings.first_token_s, 3), "total_s": round(result.timings.total_s, 3),
                "stages": result.timings.stages,
            }
            if not args.retrieval_only:
                row.update(extra)
            rows.append(row)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            print(f"[{i}/{len(questions)}] {'ABSTAIN' if result.abstained else 'ok':7} "
                  f"{result.timings.total_s:5.1f}s {q['question'][:60]!r} -> {result.text[:80]!r}", file=sys.stderr)
    print_metrics(rows, cold_s, args, settings)
    print_budget(rows, index)
    if not args.retrieval_only:
        print_losses(rows)
    print_groups(rows, Path(args.corpus), args.questions, args.retrieval_only)
    if args.min_relevance == 0:
        print_sweep(rows)
        print_sweep(rows, "ranker_p")
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
    hit = holds_answer
    correct = [r for r in rows if not r["abstained"] and contains(r["answer"], r["gold"])]
    cited = [c for r in correct for c in r["citations"]]
    short = lambda r: strip_markers(r["answer"].removesuffix(r.get("dated", "")).strip())
    ttft = [r["ttft_s"] for r in rows if r["ttft_s"] > 0]
    total = [r["total_s"] for r in rows]
    table = [
        ("questions (answerable / not)", f"{len(rows)} ({len(answerable)} / {len(unanswerable)})", ""),
        ("retrieval hit@5 (answerable)", f"{_mean([hit(r, 'top5') for r in answerable]):.3f}", ">= 0.75"),
        ("hit@passages shown (answerable)", f"{_mean([hit(r, 'topk' if 'topk' in r else 'top5') for r in answerable]):.3f}", ""),
        ("answer in the prompt (answerable)", f"{_mean([hit(r, 'retrieved') for r in answerable]):.3f}", ">= 0.65"),
        ("contains accuracy (all)", f"{len(correct) / max(1, len(rows)):.3f}", ">= 0.45"),
        ("contains accuracy (answerable)", f"{_mean([r in correct for r in answerable]):.3f}", ""),
        ("exact match", f"{_mean([any(normalize(short(r)) == normalize(g) for g in r['gold']) for r in rows]):.3f}", ""),
        ("token F1", f"{_mean([max(token_f1(short(r), g) for g in r['gold']) for r in rows]):.3f}", ""),
        ("citation precision (correct answers)",
         f"{_mean([any(normalize(g) in normalize(c['passage']) for g in r['gold']) for r in correct for c in r['citations']]):.3f}"
         f" of {len(cited)}", ">= 0.95"),
        ("correct answers with >= 1 citation", f"{_mean([bool(r['citations']) for r in correct]):.3f}", ""),
        ("abstain on non-answerable", f"{_mean([r['abstained'] for r in unanswerable]):.3f}", ">= 0.50"),
        ("abstain on answerable", f"{_mean([r['abstained'] for r in answerable]):.3f}", "<= 0.10"),
        ("time to first token median / p95 (s)", f"{_pct(ttft, .5):.2f} / {_pct(ttft, .95):.2f}", "<= 4"),
        ("total median / p95 (s)", f"{_pct(total, .5):.2f} / {_pct(total, .95):.2f}", "<= 8"),
        ("cold first answer() in a new process (s)", f"{cold_s:.1f}", "<= 20"),
    ]
    if getattr(args, "retrieval_only", False):
        keep = ("questions", "retrieval hit@5", "hit@passages", "answer in the prompt", "abstain on")
        table = [t for t in table if t[0].startswith(keep)]
    print(f"\nmodel {settings.model}, passages {args.k or settings.passages}, budget "
          f"{settings.prompt_token_budget} tokens, min relevance {settings.min_relevance}")
    width = max(len(t[0]) for t in table)
    print(f"{'metric':{width}}  {'value':>16}  target")
    for name, value, target in table:
        print(f"{name:{width}}  {value:>16}  {target}")


BUDGET_TARGET_MS = 150  # median of everything but prefill and decoding, at 40k chunks


def print_budget(rows: list[dict], index) -> None:
    """Where an answer's time goes: median and p95 per stage (``Timings.stages``), in ms."""
    rows = [r for r in rows if r.get("stages")]
    if not rows:
        return
    print(f"\ntime budget of an answer ({len(rows)} questions, {index.manifest.chunks:,} chunks, ms)")
    print(f"{'stage':28}  {'median':>8}  {'p95':>8}  {'answers':>7}")
    for stage in STAGES:
        values = [r["stages"][stage] * 1000 for r in rows if stage in r["stages"]]
        if values:
            print(f"{stage:28}  {_pct(values, .5):8.1f}  {_pct(values, .95):8.1f}  {len(values):7}")
    overhead = [sum(v for s, v in r["stages"].items() if s not in ("prefill", "decode")) * 1000 for r in rows]
    median = _pct(overhead, .5)
    print(f"{'all but prefill and decode':28}  {median:8.1f}  {_pct(overhead, .95):8.1f}  {len(overhead):7}"
          f"  target <= {BUDGET_TARGET_MS} median: {'met' if median <= BUDGET_TARGET_MS else 'MISSED'}")


def _charged_for_the_question_vector(result: Answer, embed_s: float) -> Answer:
    """The answer's timings as if it had embedded its question itself. The retrieval above (for
    hit@5) embedded it first, and ``NewsIndex.embed_query`` keeps recent vectors, so the
    answer's own embed_query took ~0 ms; a user's question pays it once."""
    timings = result.timings
    if timings.stages.get("embed_query", 0.0) >= embed_s:
        return result
    stages = {**timings.stages, "embed_query": embed_s}
    extra = embed_s - timings.stages.get("embed_query", 0.0)
    return dataclasses.replace(result, timings=dataclasses.replace(
        timings, retrieval_s=timings.retrieval_s + extra,
        first_token_s=timings.first_token_s + extra if timings.first_token_s else 0.0,  # 0: no model ran
        total_s=timings.total_s + extra, stages=stages))


def print_groups(rows: list[dict], corpus: Path, questions: str, retrieval_only: bool = False) -> None:
    """Every metric per group (issue 18): only reachable questions can be answered from
    recent coverage; for the others, abstaining or saying the news is old is right."""
    if not corpus.is_file():  # a folder of articles: the groups are defined on a split's JSONL
        print(f"\nper group: skipped, {corpus} is not a split's corpus.jsonl(.gz)")
        return
    labels = group_labels(load_questions(questions), corpus)
    hit = holds_answer
    print(f"\nper group ({len(rows)} questions)")
    head = ["group", "n", "hit@5", "recent hit@5", "in prompt", "contains", "abstains", "abstains or flags old",
            "cite prec", "contains, lenient", "abstains, flags old or right (lenient)"]
    widths = [26, *(max(9, len(h)) for h in head[1:])]
    print("  ".join(f"{h:>{w}}" if i else f"{h:{w}}" for i, (h, w) in enumerate(zip(head, widths))))
    retrieval_only = retrieval_only or not any(r["answer"] for r in rows)  # a --retrieval-only file
    for group in (*GROUPS, STATED, NOT_STATED):
        mine = [r for r in rows if group in labels.get(r["id"], ())]
        correct = [r for r in mine if not r["abstained"] and contains(r["answer"], r["gold"])]
        flagged = [r["abstained"] or bool(r.get("dated")) for r in mine]
        precision = [any(normalize(g) in normalize(c["passage"]) for g in r["gold"])
                     for r in correct for c in r["citations"]]
        values = [len(mine), _mean([hit(r, "top5") for r in mine]), _mean([recent_hit(r) for r in mine]),
                  _mean([hit(r, "retrieved") for r in mine])]
        lenient = [not r["abstained"] and loosely_contains(r["answer"], r["gold"]) for r in mine]
        values += [float("nan")] * 6 if retrieval_only else [
            len(correct) / max(1, len(mine)), _mean([r["abstained"] for r in mine]), _mean(flagged), _mean(precision),
            _mean(lenient), _mean([f or right for f, right in zip(flagged, lenient)])]
        cells = [f"{v:>{w}}" if isinstance(v, int) else f"{v:>{w}.3f}" for v, w in zip(values, widths[1:])]
        name = f"  {group}" if group in (STATED, NOT_STATED) else group  # indented: rows of the reachable one
        print(f"{name:26}  " + "  ".join(cells))
    if not retrieval_only:
        print_losses([r for r in rows if REACHABLE in labels.get(r["id"], ())], "reachable")



def recent_hit(row: dict) -> bool:
    """A top-5 passage from an article of the question's reachability window holds a gold
    answer: the recent coverage was found, not an old article that happens to name it."""
    asked = question_date(row)
    for p in row.get("top5", []):
        try:
            published = date.fromisoformat(str(p.get("date") or "")[:10])
        except ValueError:
            continue
        if -AFTER_DAYS <= (asked - published).days <= BEFORE_DAYS and contains(p["text"], row["gold"]):
            return True
    return False


def print_losses(rows: list[dict], which: str = "answerable") -> None:
    """Where the answerable questions were lost, first stage that lost each one."""
    answerable = [r for r in rows if r["answerable"]]
    hit = holds_answer
    stages = {"answered right": 0, "not in the top 5": 0, "in the top 5, cut from the prompt": 0,
              "in the prompt, abstained": 0, "in the prompt, answered wrong": 0,
              "in the top 5, past the passages shown": 0}
    for r in answerable:
        if not r["abstained"] and contains(r["answer"], r["gold"]):
            stages["answered right"] += 1
        elif hit(r, "retrieved"):
            stages["in the prompt, abstained" if r["abstained"] else "in the prompt, answered wrong"] += 1
        elif not hit(r, "top5"):
            stages["not in the top 5"] += 1
        elif hit(r, "topk" if "topk" in r else "top5"):
            stages["in the top 5, cut from the prompt"] += 1
        else:  # in the top 5 but past the k passages shown
            stages["in the top 5, past the passages shown"] += 1
    print(f"\nwhere the {len(answerable)} {which} questions went")
    for name, n in stages.items():
        print(f"  {name:40} {n:4}  {n / max(1, len(answerable)):6.1%}")


def with_threshold(rows: list[dict], threshold: float) -> list[dict]:
    """Rows as a run at ``threshold`` would have given them: below it, an early abstention
    (no citations, no generation time)."""
    out = []
    for r in rows:
        if r["relevance"] < threshold and not r["abstained"]:
            r = {**r, "abstained": True, "citations": [], "answer": "", "ttft_s": 0.0, "total_s": r["total_s"] - r["ttft_s"]}
        out.append(r)
    return out


def print_sweep(rows: list[dict], signal: str = "relevance") -> None:
    """Abstention rates if answers below each threshold of ``signal`` had abstained
    (thresholds at quantiles of the observed values, so the table fits any scale)."""
    rows = [r for r in rows if signal in r]
    if not rows:
        return
    print(f"\n{signal} threshold sweep (abstain = below threshold or model abstained)")
    print(f"{'threshold':>9}  {'abstain|non-ans':>15}  {'abstain|ans':>11}  {'contains acc':>12}")
    values = sorted(r[signal] for r in rows)
    thresholds = sorted({0.0, *(round(values[int(q * (len(values) - 1))], 3) for q in
                                (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5))}) if values else [0.0]
    for t in thresholds:
        abst = lambda r: r["abstained"] or r[signal] < t
        non = [abst(r) for r in rows if not r["answerable"]]
        ans = [abst(r) for r in rows if r["answerable"]]
        acc = _mean([not abst(r) and contains(r["answer"], r["gold"]) for r in rows])
        print(f"{t:>9.3f}  {_mean(non):>15.3f}  {_mean(ans):>11.3f}  {acc:>12.3f}")


def _mean(values) -> float:
    values = list(values)
    return statistics.fmean(values) if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
