"""Train the passage ranker (``qa/ranker.json``) on RealTime QA questions of April-December 2025.

    python -m benchmarks.train_ranker --index /tmp/idx2025 \
        --questions ../shared/eval/realtimeqa-2025/questions.jsonl --since 2025-04-01 \
        [--report-index /tmp/q1idx --report-questions ../shared/eval/realtimeqa-2025-q1/questions.jsonl] \
        [--depth 100] [--write qa/ranker.json]

For each training question (answerable ones: a gold answer string occurs in the corpus) the
product's own ``qa.retrieve.candidate_pool`` gathers the candidates of both retrievers with
their features, the question's date as ``as_of``; a candidate is positive when its text holds
a gold answer (the hit@k rule of ../shared/eval/README.md). Logistic regression is fitted with
months as cross-validation folds, so every number printed for the tuning split is on
questions of months the model did not see. The table compares against reciprocal-rank fusion
of the same candidates. The report split (q1) is only scored, never used to choose anything.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np

from embeddings import Settings
from qa.collection import INDEXES
from qa.features import FEATURES, QuestionTerms
from qa.generators import get_generator
from qa.prompt import (SENTENCE_FEATURES, SENTENCE_RANKER_FILE, select_sentences, sentence_features,
                       sentence_similarities, sentence_spans)
from qa.ranker import RANKER_FILE, LinearRanker, TreeRanker, load_ranker
from qa.retrieve import Pool, candidate_pool, rank
from qa.text import content_terms

from ._common import log, machine_note, table
from .eval_qa import contains, load_questions, question_date


def pools_for(index_dir: str, questions: list[dict], depth: int, cache_dir: str | None = None,
              recent: tuple[int, int] = (0, 0)) -> list[tuple[dict, Pool, np.ndarray]]:
    """Each question's candidate pool and labels; kept in ``cache_dir`` (a pickle) if given,
    keyed by index, questions, depth and feature set, so experiments skip the searches.
    ``recent`` is (days, depth) of the recent-window search (``qa.recency``), (0, 0) for none."""
    import hashlib
    import pickle

    key = hashlib.sha256(json.dumps([str(Path(index_dir).resolve()), [q["id"] for q in questions], depth,
                                     FEATURES, *([list(recent), "pools carry recent_days"] if any(recent) else [])]).encode()).hexdigest()[:16]
    cached = Path(cache_dir) / f"pools-{key}.pkl" if cache_dir else None
    if cached and cached.is_file():
        return pickle.loads(cached.read_bytes())
    out = _pools(index_dir, questions, depth, recent)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps(out))
    return out


def _pools(index_dir: str, questions: list[dict], depth: int, recent: tuple[int, int]
           ) -> list[tuple[dict, Pool, np.ndarray]]:
    index = INDEXES.get(Settings.from_env(index_dir=index_dir))
    out = []
    for i, q in enumerate(questions, 1):
        pool = candidate_pool(index, q["question"], depth, as_of=question_date(q), recent_days=recent[0],
                              recent_depth=recent[1])
        labels = np.asarray([contains(c.chunk.text, q["answers"]) for c in pool.candidates], dtype=bool)
        out.append((q, pool, labels))
        if i % 50 == 0:
            log(f"  pools {i}/{len(questions)}")
    return out


def fit(pools, columns: list[int], c: float, names: tuple[str, ...] = FEATURES) -> LinearRanker:
    """Logistic regression on the rows of ``(question, pool-like, labels)`` triples."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = np.concatenate([p.features for _, p, y in pools if len(y)])[:, columns]
    y = np.concatenate([y for _, p, y in pools if len(y)])
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(x), y, sample_weight=question_weights(pools))
    coef = np.zeros(len(names))
    mean, scale = np.zeros(len(names)), np.ones(len(names))
    coef[columns], mean[columns], scale[columns] = model.coef_[0], scaler.mean_, scaler.scale_
    return LinearRanker(names, mean, scale, coef, float(model.intercept_[0]))


def question_weights(pools) -> np.ndarray:
    """Every question weighs the same, and within it positives and negatives weigh half each:
    a question whose common answer ("Yes", a big name) is in 60 chunks must not outvote one
    whose answer is in a single chunk."""
    weights = []
    for _, _, y in pools:
        if not len(y):
            continue
        n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
        weights.append(np.where(y, 0.5 / max(n_pos, 1), 0.5 / max(n_neg, 1)))
    weights = np.concatenate(weights) if weights else np.zeros(0)
    return weights * len(weights) / max(1.0, float(weights.sum()))  # mean 1: C keeps its usual meaning


def fit_trees(pools, columns: list[int], names: tuple[str, ...] = FEATURES) -> TreeRanker:
    """Gradient-boosted trees on the same rows, exported as arrays (no scikit-learn at run time)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x = np.concatenate([p.features for _, p, y in pools if len(y)])[:, columns]
    y = np.concatenate([y for _, p, y in pools if len(y)])
    model = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                                           l2_regularization=1.0, early_stopping=False, random_state=0).fit(x, y)
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        trees.append({"feature": np.asarray(columns)[nodes["feature_idx"]], "threshold": nodes["num_threshold"],
                      "left": nodes["left"].astype(np.int64), "right": nodes["right"].astype(np.int64),
                      "leaf": nodes["is_leaf"].astype(bool), "value": nodes["value"],
                      "depth": int(nodes["depth"].max()) + 1})
    return TreeRanker(names, float(np.ravel(model._baseline_prediction)[0]), tuple(trees))


class CachedEmbed:
    """The index's embedder, remembering every text: the sentence stage scores the same
    sentences under many settings."""

    def __init__(self, embedder) -> None:
        self.embedder, self.vectors = embedder, {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.embedder.embed(missing)))
        return np.stack([self.vectors[t] for t in texts])


_EMBEDS: dict[str, CachedEmbed] = {}


def cached_embed(index_dir: str) -> CachedEmbed:
    if index_dir not in _EMBEDS:
        _EMBEDS[index_dir] = CachedEmbed(INDEXES.get(Settings.from_env(index_dir=index_dir)).embedder)
    return _EMBEDS[index_dir]


class SentenceRows:
    """One question's candidate sentences in the top passages, as ``fit`` reads them."""

    def __init__(self, hits, features: np.ndarray) -> None:
        self.hits, self.features = hits, features


def sentence_rows(index_dir: str, pools, ranker: LinearRanker, k: int) -> list[tuple[dict, SentenceRows, np.ndarray]]:
    """For each question, the sentences of its top ``k`` passages with features and labels."""
    index = INDEXES.get(Settings.from_env(index_dir=index_dir))
    out = []
    for q, pool, _ in pools:
        hits = rank(pool, k, ranker)
        spans = sentence_spans(hits)
        texts = [hits[i].chunk.text[a:b] for i, a, b in spans]
        similarities = sentence_similarities(q["question"], hits, spans, cached_embed(index_dir),
                                             index.sentence_vectors) if texts else None
        terms = tuple(dict.fromkeys(content_terms(q["question"])))
        matrix = sentence_features(QuestionTerms(terms, tuple(index.idf(terms))), hits, spans, similarities)
        labels = np.asarray([contains(t, q["answers"]) for t in texts], dtype=bool)
        out.append((q, SentenceRows(hits, matrix), labels))
    return out


def in_prompt(rows, scorer: LinearRanker, k: int, budget: int, count_tokens, index_dir: str) -> float:
    """Share of questions whose gold answer survives sentence selection into the prompt."""
    index = INDEXES.get(Settings.from_env(index_dir=index_dir))
    found = []
    for q, r, _ in rows:
        shown = select_sentences(q["question"], r.hits[:k], budget, count_tokens, embed=cached_embed(index_dir),
                                 idf=index.idf, scorer=scorer, stored=index.sentence_vectors)
        found.append(any(contains(s.text, q["answers"]) for s in shown))
    return float(np.mean(found)) if found else float("nan")


def rrf_ranker() -> LinearRanker:
    """Reciprocal-rank fusion as a 'ranker': the baseline the learned one must beat."""
    coef = np.asarray([1.0 if f == "rrf" else 0.0 for f in FEATURES])
    return LinearRanker(FEATURES, np.zeros(len(FEATURES)), np.ones(len(FEATURES)) / 10, coef, -5.0)


def hit_at(pools, ranker: LinearRanker, k: int) -> float:
    hits = [any(contains(h.chunk.text, q["answers"]) for h in rank(p, k, ranker)) for q, p, _ in pools]
    return float(np.mean(hits)) if hits else float("nan")


def cross_validated(pools, columns, c, k_values=(1, 5, 10), trees: bool = False) -> dict[int, float]:
    """Hit@k with months as folds: each month scored by a model fitted on the others."""
    months = sorted({question_date(q).strftime("%Y-%m") for q, _, _ in pools})
    found = {k: [] for k in k_values}
    for month in months:
        train = [t for t in pools if question_date(t[0]).strftime("%Y-%m") != month]
        test = [t for t in pools if question_date(t[0]).strftime("%Y-%m") == month]
        ranker = fit_trees(train, columns) if trees else fit(train, columns, c)
        for k in k_values:
            found[k] += [any(contains(h.chunk.text, q["answers"]) for h in rank(p, k, ranker)) for q, p, _ in test]
    return {k: float(np.mean(v)) for k, v in found.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.train_ranker")
    parser.add_argument("--index", required=True, help="index over the tuning corpus (realtimeqa-2025)")
    parser.add_argument("--questions", required=True)
    parser.add_argument("--since", default="2025-04-01", help="tune on questions dated on or after this")
    parser.add_argument("--depth", type=int, default=Settings().candidates)
    parser.add_argument("--recent-candidates", type=int, default=Settings().recent_candidates,
                        help="per retriever in the recent window of a question about now (qa.recency)")
    parser.add_argument("--recent-days", type=int, default=Settings().recent_days)
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--report-index")
    parser.add_argument("--report-questions")
    parser.add_argument("--cache", help="folder to keep candidate pools in between runs")
    parser.add_argument("--kind", choices=("logistic", "trees"), default="trees", help="the ranker to ship")
    parser.add_argument("--no-sentences", action="store_true", help="skip the sentence-scorer stage")
    parser.add_argument("--sentences-only", action="store_true",
                        help="keep the packaged passage ranker and train (and --write) the sentence scorer only")
    parser.add_argument("--sentence-k", type=int, nargs="+", default=[4, 6], help="passages shown (sentence stage)")
    parser.add_argument("--budgets", type=int, nargs="+", default=[200, 260, 350], help="prompt token budgets")
    parser.add_argument("--write", nargs="?", const=str(RANKER_FILE), help="save the ranker fitted on all tuning questions")
    args = parser.parse_args(argv)

    since = date.fromisoformat(args.since)
    questions = [q for q in load_questions(args.questions) if q["answerable"] and question_date(q) >= since]
    log(f"{machine_note()}; {len(questions)} answerable tuning questions since {since}, depth {args.depth}")
    recent = (args.recent_days, args.recent_candidates) if args.recent_candidates else (0, 0)
    pools = pools_for(args.index, questions, args.depth, args.cache, recent)
    if args.sentences_only:
        report_pools = (pools_for(args.report_index, [q for q in load_questions(args.report_questions)
                                                      if q["answerable"]], args.depth, args.cache, recent)
                        if args.report_index and args.report_questions else [])
        return train_sentences(args, argv, since, pools, load_ranker(), report_pools)
    in_pool = np.mean([y.any() for _, _, y in pools])
    all_columns = list(range(len(FEATURES)))
    groups = {
        "all features": all_columns,
        "no date features": [i for i, f in enumerate(FEATURES) if f not in
                             ("age_log", "future_log", "undated", "within_week", "within_month")],
        "retriever scores only": [FEATURES.index(f) for f in
                                  ("dense", "dense_gap", "dense_rank", "bm25_norm", "bm25_rank", "rrf")],
    }
    rows = [("RRF of the same candidates", "", *[hit_at(pools, rrf_ranker(), k) for k in (1, 5, 10)])]
    for name, columns in groups.items():
        for c in (0.1, 1.0) if name == "all features" else (args.c,):
            cv = cross_validated(pools, columns, c)
            rows.append((f"logistic, {name}", c, cv[1], cv[5], cv[10]))
        cv = cross_validated(pools, columns, 0, trees=True)
        rows.append((f"boosted trees, {name}", "", cv[1], cv[5], cv[10]))
    print(table(["ranker (tuning split, months held out)", "C", "hit@1", "hit@5", "hit@10"], rows,
                title=f"{len(pools)} answerable questions since {since}; answer in the candidate pool: {in_pool:.3f}"))

    final = fit_trees(pools, all_columns) if args.kind == "trees" else fit(pools, all_columns, args.c)
    if args.kind == "logistic":
        print("\nweights (standardised features):")
        for f, w in sorted(zip(FEATURES, final.coef), key=lambda t: -abs(t[1])):
            print(f"  {f:20} {w:+.3f}")
    if args.report_index and args.report_questions:
        report = [q for q in load_questions(args.report_questions) if q["answerable"]]
        report_pools = pools_for(args.report_index, report, args.depth, args.cache, recent)
        print(table(["ranker (report split)", "hit@1", "hit@5", "hit@10"], [
            ("RRF", *[hit_at(report_pools, rrf_ranker(), k) for k in (1, 5, 10)]),
            (f"learned ({args.kind}), all features", *[hit_at(report_pools, final, k) for k in (1, 5, 10)]),
        ], title=f"\n{len(report)} answerable report questions; answer in the candidate pool: "
                 f"{np.mean([y.any() for _, _, y in report_pools]):.3f}"))
    if args.write:
        Path(args.write).write_text(json.dumps(final.to_dict(
            trained_on=f"{args.questions} answerable questions since {since}", questions=len(pools),
            depth=args.depth, c=args.c, command="python -m benchmarks.train_ranker " + " ".join(argv or sys.argv[1:])),
            indent=1) + "\n")
        log(f"wrote {args.write}")

    if args.no_sentences:
        return 0
    return train_sentences(args, argv, since, pools, final, report_pools if args.report_index else [])


def train_sentences(args, argv, since, pools, final, report_pools) -> int:
    """The sentence scorer: what of the top passages (ranked by ``final``) reaches the prompt."""
    settings = Settings.from_env()
    count_tokens = get_generator(settings.model, settings).count_tokens
    k_max = max(args.sentence_k)
    rows = sentence_rows(args.index, pools, final, k_max)
    all_s = list(range(len(SENTENCE_FEATURES)))
    variants = {"idf overlap only (as before)": [SENTENCE_FEATURES.index("idf_overlap")],
                "overlap + embedding similarity": [SENTENCE_FEATURES.index(f) for f in
                                                   ("idf_overlap", "overlap", "dense", "dense_gap")],
                "all sentence features": all_s}
    months = sorted({question_date(q).strftime("%Y-%m") for q, _, _ in rows})
    table_rows = []
    for name, columns in variants.items():
        for k in args.sentence_k:
            for budget in args.budgets:
                found = []
                for month in months:
                    train = [t for t in rows if question_date(t[0]).strftime("%Y-%m") != month]
                    test = [t for t in rows if question_date(t[0]).strftime("%Y-%m") == month]
                    scorer = fit(train, columns, 1.0, SENTENCE_FEATURES)
                    found.append(in_prompt(test, scorer, k, budget, count_tokens, args.index) * len(test))
                table_rows.append((name, k, budget, sum(found) / len(rows)))
    print(table(["sentence scorer (tuning split, months held out)", "passages", "budget", "answer in prompt"],
                table_rows, title=f"\nanswer in the top {k_max} passages: {np.mean([y.any() for *_, y in rows]):.3f}"))
    scorer = fit(rows, all_s, 1.0, SENTENCE_FEATURES)
    print("\nsentence weights (standardised features):")
    for f, w in sorted(zip(SENTENCE_FEATURES, scorer.coef), key=lambda t: -abs(t[1])):
        print(f"  {f:20} {w:+.3f}")
    if report_pools:
        report_rows = sentence_rows(args.report_index, report_pools, final, k_max)
        print(table(["sentence scorer (report split)", "passages", "budget", "answer in prompt"],
                    [(name, k, budget, in_prompt(report_rows, fit(rows, cols, 1.0, SENTENCE_FEATURES), k, budget,
                                                 count_tokens, args.report_index))
                     for name, cols in variants.items() for k in args.sentence_k for budget in args.budgets],
                    title=""))
    if args.write:
        Path(SENTENCE_RANKER_FILE).write_text(json.dumps(scorer.to_dict(
            trained_on=f"{args.questions} answerable questions since {since}", questions=len(rows),
            passages=k_max, command="python -m benchmarks.train_ranker " + " ".join(argv or sys.argv[1:])),
            indent=1) + "\n")
        log(f"wrote {SENTENCE_RANKER_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
