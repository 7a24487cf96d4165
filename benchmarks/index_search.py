"""Search latency and memory of the dense (FAISS) and BM25 indexes on synthetic data.

    python -m benchmarks.index_search --sizes 10000 100000

Builds ``FaissIndex`` and ``Bm25Index`` directly (no model, no chunk store) over random unit
vectors and random-word texts, then times single-query searches the way retrieval calls
them: one query at a time, ``k`` = the retriever's candidate count. Query embedding is not
included (it costs the same at any index size).

Targets (2 cores): median search < 20 ms and index memory < 1 GB at 100k chunks.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks._common import (current_rss_mb, directory_bytes, log, machine_note, percentile_ms,
                                table, timed)
from embeddings.dense_index import FaissIndex
from embeddings.sparse_index import Bm25Index

TARGET_MEDIAN_MS = 20.0
TARGET_MEMORY_MB = 1024.0
TARGET_SIZE = 100_000  # the size the targets are stated for


def make_vocabulary(size: int, rng: np.random.Generator) -> np.ndarray:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words: set[str] = set()
    while len(words) < size:
        for n in rng.integers(4, 11, size - len(words)):
            words.add("".join(rng.choice(letters, n)))
    return np.array(sorted(words))


def word_probabilities(size: int, zipf: float) -> np.ndarray | None:
    """Zipf-like word frequencies (rank^-s): a few words appear in nearly every chunk, as in
    news once stopwords are gone ("said", the month's names), which makes BM25 posting lists
    long. ``zipf`` 0 means uniform."""
    if zipf <= 0:
        return None
    p = 1.0 / np.arange(1, size + 1) ** zipf
    return p / p.sum()


def make_texts(n: int, words: int, vocab: np.ndarray, p: np.ndarray | None, rng: np.random.Generator) -> list[str]:
    rows = rng.choice(len(vocab), size=(n, words), p=p)
    return [" ".join(vocab[row]) for row in rows]


def make_vectors(n: int, dim: int, rng: np.random.Generator, centers: np.ndarray | None) -> np.ndarray:
    """Unit vectors: uniform on the sphere, or around ``centers`` (cosine ~0.7 to their centre),
    which is closer to real sentence embeddings and fairer to IVF."""
    if centers is None:
        v = rng.standard_normal((n, dim), dtype=np.float32)
    else:
        v = centers[rng.integers(0, len(centers), n)] + rng.standard_normal((n, dim), dtype=np.float32) / np.sqrt(dim)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def time_queries(search, queries, warmup: int = 5) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds per query. CPU time (all threads of this process) hardly moves when
    another job shares the cores, so it is the number to trust on a busy machine; wall time
    above it is waiting for a core (or OpenMP threads waiting for each other)."""
    for q in queries[:warmup]:
        search(q)
    wall, cpu = [], []
    for q in queries:
        start, start_cpu = time.perf_counter(), time.process_time()
        search(q)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return wall, cpu


def recall(reference: list[np.ndarray], found: list[np.ndarray]) -> float:
    hits = sum(len(np.intersect1d(a, b)) for a, b in zip(reference, found))
    return hits / max(1, sum(len(a) for a in reference))


def bench_size(n: int, args, rng: np.random.Generator, vocab: np.ndarray, p, centers, workdir: Path) -> list[dict]:
    ids = np.arange(1, n + 1, dtype=np.int64)
    log(f"[{n:,}] generating {n:,} vectors and texts of {args.words} words")
    vectors = make_vectors(n, args.dim, rng, centers)
    texts = make_texts(n, args.words, vocab, p, rng)
    query_vectors = make_vectors(args.queries, args.dim, rng, centers)
    query_texts = make_texts(args.queries, args.query_words, vocab, p, rng)
    # Questions about a specific event often share only rare words (names, places) with the
    # corpus: most chunks then score 0, which is a different workload for top-k selection.
    rare = np.zeros(len(vocab)); rare[len(vocab) // 2:] = 1
    rare_texts = make_texts(args.queries, args.query_words, vocab, rare / rare.sum(), rng)
    allowed = np.sort(rng.choice(ids, size=max(1, int(n * args.filter_fraction)), replace=False))
    rows = []

    # --- dense, exact
    gc.collect()
    before = current_rss_mb()
    with timed() as t_dense:
        dense = FaissIndex.create(args.dim)
        for start in range(0, n, 10_000):
            dense.add(vectors[start:start + 10_000], ids[start:start + 10_000])
    gc.collect()
    dense_rss = current_rss_mb() - before
    import faiss

    dense_bytes = len(faiss.serialize_index(dense._index))
    log(f"[{n:,}] dense flat built in {t_dense.wall:.1f} s; timing {args.queries} queries")
    flat_top = [dense.search(q, args.k)[0] for q in query_vectors]
    lat = time_queries(lambda q: dense.search(q, args.k), query_vectors)
    rows.append(_row(n, "dense flat", "", lat, t_dense.wall, dense_bytes, dense_rss))
    lat = time_queries(lambda q: dense.search(q, args.k, allowed), query_vectors)
    rows.append(_row(n, "dense flat", f"{args.filter_fraction:.0%} ids", lat, None, None, None))

    # --- dense, IVF (what FaissIndex.resized() switches to past exact_search_max_chunks)
    if n in args.ivf_sizes:
        log(f"[{n:,}] converting to IVF (training k-means)")
        with timed() as t_ivf:
            ivf = dense.resized(exact_max=0)
        ivf_bytes = len(faiss.serialize_index(ivf._index))
        found = [ivf.search(q, args.k)[0] for q in query_vectors]
        lat = time_queries(lambda q: ivf.search(q, args.k), query_vectors)
        rows.append(_row(n, "dense ivf", "", lat, t_ivf.wall, ivf_bytes, None,
                         recall=recall(flat_top, found)))
        lat = time_queries(lambda q: ivf.search(q, args.k, allowed), query_vectors)
        rows.append(_row(n, "dense ivf", f"{args.filter_fraction:.0%} ids", lat, None, None, None))
        del ivf
    del dense, vectors
    gc.collect()

    # --- BM25
    before = current_rss_mb()
    log(f"[{n:,}] building BM25")
    with timed() as t_bm25:
        sparse = Bm25Index.build(texts, ids)
    del texts
    gc.collect()
    sparse_rss = current_rss_mb() - before
    saved = workdir / f"bm25-{n}"
    sparse.save(saved)
    sparse_bytes = directory_bytes(saved)
    log(f"[{n:,}] BM25 built in {t_bm25.wall:.1f} s; timing {args.queries} queries")
    lat = time_queries(lambda q: sparse.search(q, args.k), query_texts)
    rows.append(_row(n, "bm25", "", lat, t_bm25.wall, sparse_bytes, sparse_rss))
    lat = time_queries(lambda q: sparse.search(q, args.k, allowed), query_texts)
    rows.append(_row(n, "bm25", f"{args.filter_fraction:.0%} ids", lat, None, None, None))
    lat = time_queries(lambda q: sparse.search(q, args.k), rare_texts)
    rows.append(_row(n, "bm25, rare-word queries", "", lat, None, None, None))
    with timed() as t_load:
        Bm25Index.load(saved)
    rows[-3]["load_s"] = t_load.wall
    del sparse
    gc.collect()
    return rows


def _warm_up(vocab: np.ndarray, dim: int) -> None:
    """Import and exercise both backends once, so the first size's memory and build time do
    not include loading bm25s, PyStemmer and FAISS."""
    dense = FaissIndex.create(dim)
    dense.add(np.eye(4, dim, dtype=np.float32), np.arange(1, 5))
    dense.search(np.eye(1, dim, dtype=np.float32)[0], 2)
    sparse = Bm25Index.build([" ".join(vocab[i:i + 20]) for i in range(0, 200, 20)], np.arange(1, 11))
    sparse.search(" ".join(vocab[:3]), 2)
    gc.collect()


def _row(n, kind, filtered, lat, build_s, index_bytes, rss_mb, recall=None) -> dict:
    wall, cpu = lat
    return {"chunks": n, "index": kind, "filter": filtered, "median_ms": percentile_ms(wall, 50),
            "p95_ms": percentile_ms(wall, 95), "median_cpu_ms": percentile_ms(cpu, 50), "build_s": build_s,
            "index_mb": index_bytes / 2**20 if index_bytes is not None else None,
            "rss_delta_mb": rss_mb, "recall": recall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_search", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000], help="chunk counts")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=40, help="results per query (the retriever's candidates)")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--vocab", type=int, default=20_000, help="distinct words in the synthetic texts")
    parser.add_argument("--words", type=int, default=150, help="words per chunk")
    parser.add_argument("--query-words", type=int, default=10)
    parser.add_argument("--zipf", type=float, default=1.0, help="word-frequency exponent; 0 = uniform")
    parser.add_argument("--clusters", type=int, default=0,
                        help="draw vectors around this many centres (0 = uniform on the sphere)")
    parser.add_argument("--filter-fraction", type=float, default=0.1, help="share of ids a filter allows")
    parser.add_argument("--ivf-sizes", type=int, nargs="*", default=None,
                        help="sizes at which to also time IVF (default: the largest size)")
    parser.add_argument("--faiss-threads", type=int, default=0,
                        help="OpenMP threads for FAISS (0 = its default, one per core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    args.ivf_sizes = set(args.ivf_sizes if args.ivf_sizes is not None else [max(args.sizes)])

    import faiss

    if args.faiss_threads:
        faiss.omp_set_num_threads(args.faiss_threads)
    note = f"{machine_note()}; FAISS threads {faiss.omp_get_max_threads()}"
    log(note)
    rng = np.random.default_rng(args.seed)
    vocab = make_vocabulary(args.vocab, rng)
    p = word_probabilities(len(vocab), args.zipf)
    _warm_up(vocab, args.dim)
    centers = None
    if args.clusters:
        centers = rng.standard_normal((args.clusters, args.dim), dtype=np.float32)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        for n in args.sizes:
            rows += bench_size(n, args, rng, vocab, p, centers, Path(tmp))

    if args.json:
        print(json.dumps({"machine": note, "rows": rows}, indent=1))
        return 0
    data = "uniform random unit vectors" if not args.clusters else f"unit vectors around {args.clusters} centres"
    print(f"Search latency, one query at a time, k={args.k}; {data}; texts of {args.words} words "
          f"from {args.vocab:,} (zipf {args.zipf}); {args.queries} queries; {note}")
    print(table(["chunks", "index", "filter", "median ms", "p95 ms", "CPU ms", "build s", "index MB", "RSS +MB",
                 "recall@k"],
                [[r["chunks"], r["index"], r["filter"] or "-", r["median_ms"], r["p95_ms"], r["median_cpu_ms"],
                  r["build_s"],
                  r["index_mb"], r["rss_delta_mb"], r["recall"]] for r in rows]))
    print("CPU ms: median CPU time per query, all threads (steady under contention); index MB: serialised "
          "FAISS index / saved BM25 files;\nRSS +MB: resident memory the built index kept; recall@k: IVF top-k "
          "ids also in the exact top-k")
    at_target = [r for r in rows if r["chunks"] == TARGET_SIZE]
    if at_target:
        print()
        checks = []
        for r in at_target:
            label = f"{r['index']}{' + filter' if r['filter'] else ''}"
            checks.append([f"median < {TARGET_MEDIAN_MS:.0f} ms at 100k: {label}", r["median_ms"],
                           r["median_cpu_ms"], r["median_ms"] < TARGET_MEDIAN_MS])
        memory = sum(max(r["index_mb"] or 0, r["rss_delta_mb"] or 0) for r in at_target
                     if not r["filter"] and r["index"] != "dense ivf")
        checks.append(["memory < 1 GB at 100k: dense flat + bm25 (MB)", memory, None, memory < TARGET_MEMORY_MB])
        print(table(["target", "wall", "CPU", "met (wall)"], checks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
