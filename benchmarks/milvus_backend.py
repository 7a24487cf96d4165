"""The Milvus backend against the local index (issue 21): copy an index onto Milvus, and time
search and memory at scale on synthetic chunks.

    # a local index's chunks and vectors into a Milvus-backend index (no re-embedding), then
    # eval_qa --retrieval-only on both (see benchmarks/RESULTS.md)
    python -m benchmarks.milvus_backend copy --local /work/idx/q1 --index /work/bench21/q1m --uri http://127.0.0.1:19530

    # search latency p50/p95, resident memory and write throughput, local vs milvus-lite
    python -m benchmarks.milvus_backend scale --sizes 100000 --queries 100

``scale`` starts ``milvus-lite server`` (the engine behind a ``.db`` URI, as a server on a
loopback port) in a process of its own, so its resident memory is the server's alone, and
inserts synthetic rows through ``MilvusChunks.insert`` (the build's write path, embedding
left out); the local side is ``FaissIndex`` + ``Bm25Index`` built in this process from the
same vectors and texts. milvus-lite is a pure-Python engine: its numbers are not a
cluster's.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks._common import current_rss_mb, log, machine_note, percentile_ms, table, timed
from embeddings import SearchFilters, Settings
from embeddings.dense_index import FaissIndex
from embeddings.index import FORMAT_VERSION, Manifest, current_generation, publish_generation
from embeddings.milvus_index import MilvusRow, MilvusChunks, _owner, bm25_terms, collection_name, connect
from embeddings.sparse_index import Bm25Index
from embeddings.store import ChunkStore


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """``milvus-lite server`` on a free loopback port; returns the process and its URI."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data_dir),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("milvus-lite server did not start")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) / 1024 for line in fh if line.startswith("VmRSS:"))


# --- copy ---------------------------------------------------------------------------------

def copy_index(local: Path, target: Path, settings: Settings, batch: int = 1024) -> dict:
    """A Milvus-backend index at ``target`` holding the live generation of the local index at
    ``local``: same chunk ids, texts and vectors (read back from its FAISS flat index), so
    retrieval differs only by the backend. Returns timings."""
    generation = current_generation(local)
    manifest = Manifest.read(generation / "manifest.json")
    if target.exists():
        shutil.rmtree(target)
    gen = target / "gen-000001"
    gen.mkdir(parents=True)
    shutil.copyfile(generation / "chunks.sqlite", gen / "chunks.sqlite")
    dense = FaissIndex.load(generation / "dense.faiss")
    store = ChunkStore(gen / "chunks.sqlite")
    client, uri = connect(settings), settings.milvus_uri
    name = collection_name(settings.milvus_collection, 1)
    if MilvusChunks.exists(client, uri, name):
        MilvusChunks.drop(client, uri, name)
    MilvusChunks.create(client, uri, name, manifest.dim, manifest.embedder, _owner(target))
    chunks = MilvusChunks(client, uri, name, 1)
    ids, _ = store.all_chunk_texts()
    started = time.perf_counter()
    counts: dict[str, int] = {}
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        records = store.chunks(part)
        vectors = dense._index.reconstruct_batch(np.asarray(part, dtype=np.int64))
        chunks.insert([MilvusRow(r.id, r.article_id, r.publish_date, r.title, r.byline, r.url, r.text, v)
                       for r, v in zip(records, vectors)])
        for terms in bm25_terms([f"{r.title}\n{r.text}" for r in records]):
            for term in set(terms.split()):
                counts[term] = counts.get(term, 0) + 1
        if start // batch % 5 == 0:
            log(f"copied {start + len(part):,}/{len(ids):,} chunks")
    chunks.flush()
    seconds = time.perf_counter() - started
    store.count_terms(counts)
    store.commit()
    store.close()
    Manifest(**{**manifest.__dict__, "format_version": FORMAT_VERSION, "dense_kind": "milvus", "backend": "milvus",
                "collection": name, "file_sizes": {}, "file_hashes": {}}).with_files(gen).write(gen / "manifest.json")
    publish_generation(target, gen)
    return {"chunks": len(ids), "seconds": seconds, "chunks_per_s": len(ids) / seconds}


# --- compare ------------------------------------------------------------------------------

def compare(local_dir: Path, milvus_dir: Path, questions: Path, limit: int, uri: str) -> dict:
    """Per question, both backends' candidates and features side by side: how much their
    dense and BM25 lists overlap, how far apart their raw BM25 scores are, and how far apart the
    ranker's BM25 features (ranks and shares of the best score) are."""
    from embeddings import load_index
    from qa.features import FEATURES
    from qa.retrieve import candidate_pool

    local = load_index(Settings(index_dir=local_dir))
    remote = load_index(Settings(index_dir=milvus_dir, milvus_uri=uri), embedder=local.embedder)
    lines = [json.loads(line) for line in open(questions) if line.strip()]
    lines = [lines[i * len(lines) // limit] for i in range(min(limit, len(lines)))]
    dense_overlap, bm25_overlap, top_ratio, feature_gap = [], [], [], {n: [] for n in FEATURES if "bm25" in n}
    for q in lines:
        vector = local.embed_query(q["question"])
        d1, _ = local.dense_search(vector, 100)
        d2, _ = remote.dense_search(vector, 100)
        b1, s1 = local.bm25_search(q["question"], 100)
        b2, s2 = remote.bm25_search(q["question"], 100)
        dense_overlap.append(len(set(d1.tolist()) & set(d2.tolist())) / max(1, len(d1)))
        bm25_overlap.append(len(set(b1.tolist()) & set(b2.tolist())) / max(1, len(b1)))
        if len(s1) and len(s2):
            top_ratio.append(float(s2[0] / s1[0]))
        p1, p2 = candidate_pool(local, q["question"], 100), candidate_pool(remote, q["question"], 100)
        row1 = {c.chunk.id: r for c, r in zip(p1.candidates, p1.features)}
        row2 = {c.chunk.id: r for c, r in zip(p2.candidates, p2.features)}
        shared = sorted(set(row1) & set(row2))
        for name in feature_gap:
            j = FEATURES.index(name)
            feature_gap[name] += [abs(float(row1[c][j] - row2[c][j])) for c in shared]
    return {"questions": len(lines), "dense_top100_overlap": float(np.mean(dense_overlap)),
            "bm25_top100_overlap": float(np.mean(bm25_overlap)),
            "bm25_top_score_ratio_milvus_over_local": {"median": float(np.median(top_ratio)),
                                                      "min": float(np.min(top_ratio)), "max": float(np.max(top_ratio))},
            "bm25_feature_abs_gap_median": {n: float(np.median(v)) for n, v in feature_gap.items() if v},
            "bm25_feature_abs_gap_p95": {n: float(np.percentile(v, 95)) for n, v in feature_gap.items() if v}}


# --- scale --------------------------------------------------------------------------------

def synthetic(n: int, dim: int, rng, vocab: np.ndarray, words: int) -> tuple[np.ndarray, list[str]]:
    v = rng.standard_normal((n, dim), dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    p = 1.0 / np.arange(1, len(vocab) + 1)
    texts = [" ".join(vocab[row]) for row in rng.choice(len(vocab), size=(n, words), p=p / p.sum())]
    return v, texts


def search_rows(n: int, backend: str, dense, bm25, one_month, vectors, texts, k: int) -> list[dict]:
    """p50 and p95 of a backend's dense and BM25 search, over all rows and limited to one month
    (``one_month``: the backend's own filter, allowed ids or ``SearchFilters``)."""
    rows = []
    for label, call, inputs in [("dense", lambda q: dense(q, k), vectors),
                                ("dense, 1 month", lambda q: dense(q, k, one_month), vectors),
                                ("bm25", lambda q: bm25(q, k), texts),
                                ("bm25, 1 month", lambda q: bm25(q, k, one_month), texts)]:
        lat = time_calls(call, inputs)
        rows.append({"chunks": n, "backend": backend, "search": label,
                     "p50_ms": percentile_ms(lat, 50), "p95_ms": percentile_ms(lat, 95)})
    return rows


def time_calls(call, inputs) -> list[float]:
    for x in inputs[:2]:
        call(x)
    out = []
    for x in inputs:
        t = time.perf_counter()
        call(x)
        out.append(time.perf_counter() - t)
    return out


def bench_scale(n: int, args, workdir: Path) -> list[dict]:
    rng = np.random.default_rng(n)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = np.array(sorted({"".join(rng.choice(letters, k)) for k in rng.integers(4, 11, args.vocab)}))
    vectors, texts = synthetic(n, args.dim, rng, vocab, args.words)
    dates = [f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]
    qv, qt = synthetic(args.queries, args.dim, rng, vocab, 8)
    ids = np.arange(1, n + 1, dtype=np.int64)
    one_month = SearchFilters(date_from="2025-03-01", date_to="2025-03-31")  # 1/12 of the rows
    rows = []

    # local: FAISS flat (exact; IVF past 200k in a real build) + bm25s
    gc.collect()
    before = current_rss_mb()
    with timed() as t_local:
        dense = FaissIndex.create(args.dim)
        dense.add(vectors, ids)
        sparse = Bm25Index.build(texts, ids)
    gc.collect()
    local_mb = current_rss_mb() - before
    allowed = ids[[d.startswith("2025-03") for d in dates]]
    rows += search_rows(n, "local (faiss flat + bm25s)", dense.search, sparse.search, allowed, qv, qt, args.k)
    rows[-4].update(rss_mb=local_mb, write_chunks_per_s=n / t_local.wall)
    del dense, sparse
    gc.collect()

    if n > args.milvus_max:
        log(f"[{n:,}] milvus-lite left out (--milvus-max {args.milvus_max:,})")
        return rows
    # milvus-lite, a server process of its own
    proc, uri = start_server(workdir / f"milvus-{n}")
    try:
        settings = Settings(index_dir=workdir / f"index-{n}", milvus_uri=uri, index_backend="milvus")
        client = connect(settings)
        idle_mb = rss_mb(proc.pid)
        MilvusChunks.create(client, uri, "bench", args.dim, "synthetic", "bench")
        chunks = MilvusChunks(client, uri, "bench", 1)
        with timed() as t_write:
            for start in range(0, n, 2048):
                end = min(n, start + 2048)
                chunks.insert([MilvusRow(int(ids[i]), f"a{i // 16}", dates[i], f"title {i // 16}", "Wire",
                                        f"https://example.com/{i // 16}", texts[i], vectors[i])
                               for i in range(start, end)])
                if start // 2048 % 10 == 0:
                    log(f"[{n:,}] milvus: {end:,} rows in {t_write.wall if t_write.wall else 0:.0f}s")
            chunks.flush()
            chunks.load()
        server_mb = rss_mb(proc.pid) - idle_mb
        log(f"[{n:,}] milvus: {n / t_write.wall:.0f} rows/s, server RSS +{server_mb:.0f} MB")
        for row in search_rows(n, "milvus-lite server", chunks.dense_search, chunks.bm25_search, one_month, qv, qt,
                               args.k):
            rows.append(row)
            log(json.dumps(row))
        rows[-4].update(rss_mb=server_mb, write_chunks_per_s=n / t_write.wall)
    finally:
        proc.terminate()
        proc.wait()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.milvus_backend", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    copy = commands.add_parser("copy", help="a local index's chunks and vectors into a Milvus-backend index")
    # --local as in `compare`; --source, its old name, still works ("source" now means only who
    # published an article).
    copy.add_argument("--local", "--source", dest="local", required=True, help="a local index directory (read only)")
    copy.add_argument("--index", required=True, help="the Milvus-backend index directory to write")
    copy.add_argument("--uri", required=True, help="the Milvus server (or a milvus-lite .db path)")
    copy.add_argument("--collection", default="q1")
    cmp = commands.add_parser("compare", help="both backends' candidates and BM25 features, question by question")
    cmp.add_argument("--local", required=True, help="a local index directory")
    cmp.add_argument("--index", required=True, help="its copy on Milvus (from `copy`)")
    cmp.add_argument("--uri", required=True)
    cmp.add_argument("--questions", required=True)
    cmp.add_argument("--limit", type=int, default=50)
    scale = commands.add_parser("scale", help="search latency, memory and write throughput, local vs milvus-lite")
    scale.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    scale.add_argument("--queries", type=int, default=100)
    scale.add_argument("--k", type=int, default=100, help="results per search (the retriever's depth)")
    scale.add_argument("--dim", type=int, default=384)
    scale.add_argument("--vocab", type=int, default=20_000)
    scale.add_argument("--words", type=int, default=150)
    scale.add_argument("--milvus-max", type=int, default=10**9,
                       help="sizes above this run the local index only (milvus-lite writes ~300 rows/s here)")
    scale.add_argument("--workdir", default="/tmp/newsdesk-milvus-bench")
    scale.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    note = machine_note()
    log(note)
    if args.command == "copy":
        settings = Settings(index_dir=Path(args.index), index_backend="milvus", milvus_uri=args.uri,
                            milvus_collection=args.collection, milvus_token=os.environ.get("NEWSDESK_MILVUS_TOKEN", ""))
        result = copy_index(Path(args.local), Path(args.index), settings)
        print(json.dumps({"machine": note, **result}))
        return 0
    if args.command == "compare":
        result = compare(Path(args.local), Path(args.index), Path(args.questions), args.limit, args.uri)
        print(json.dumps({"machine": note, **result}, indent=1))
        return 0
    import embeddings.milvus_index

    embeddings.milvus_index.CALL_TIMEOUT_S = 600.0  # milvus-lite's pure-Python BM25 is slow at scale: time it, do not give up
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    rows = []
    for n in args.sizes:
        rows += bench_scale(n, args, workdir)
        if args.json:
            print(json.dumps(rows[-8:]), flush=True)
    print(f"One query at a time, k={args.k}; synthetic: {args.dim}-d random unit vectors, {args.words}-word texts "
          f"from {args.vocab:,} words (zipf 1); {args.queries} queries; {note}")
    print(table(["chunks", "backend", "search", "p50 ms", "p95 ms", "RSS +MB", "write chunks/s"],
                [[r["chunks"], r["backend"], r["search"], r["p50_ms"], r["p95_ms"], r.get("rss_mb"),
                  r.get("write_chunks_per_s")] for r in rows]))
    print("RSS +MB: resident memory the index added (local: this process; milvus-lite: its server process); "
          "write: index build from ready vectors (no embedding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
