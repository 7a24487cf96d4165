"""Index build throughput against a bare encode, and the cost of incremental builds.

    python -m benchmarks.index_build --corpus ../shared/eval/realtimeqa-2025-jan/corpus.jsonl.gz --limit 120
    python -m benchmarks.index_build --incremental --index /tmp/q1idx \\
        --corpus ../shared/eval/realtimeqa-2025/corpus.jsonl.gz

Full build (default): a fresh index over the corpus (or its first ``--limit`` articles) with
``embeddings.build_index``, then the same chunk texts, read back from the built store, are
encoded bare by the same embedder. Embedding is nearly all the work, so the pipeline should
keep >= 0.9 of the bare encode's chunks/s.

Incremental (``--incremental``): on a copy of an existing index (``--index``; never touched
in place) or, without one, on an index built here over ``--limit`` articles: a no-op build
(target < 5 s for the 1,663-article realtimeqa-2025-q1) and adding one new article (target
< 5 s + that article's embedding time), each in-process and as the CLI a user runs.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks._common import corpus_records, log, machine_note, peak_rss_mb, table, timed, write_subset
from embeddings import NewsdeskError, Settings, build_index, get_embedder
from embeddings.build import EMBED_BATCH
from embeddings.index import Manifest, current_generation
from embeddings.ingest import article_id_for
from embeddings.store import ChunkStore

TARGET_RATIO = 0.9
TARGET_NOOP_S = 5.0
TARGET_ADD_OVERHEAD_S = 5.0


class BenchmarkError(Exception):
    """The benchmark cannot run as asked; the message says why."""


def embedded_texts(index_dir: Path) -> tuple[list[str], list[int]]:
    """The texts the build embedded, in chunk-id order: title + ". " + chunk, as build.py does."""
    db = sqlite3.connect(f"file:{current_generation(index_dir) / 'chunks.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT a.title, c.text, c.tokens FROM chunks c JOIN articles a ON a.id = c.article_id "
                          "ORDER BY c.id").fetchall()
    finally:
        db.close()
    return [f"{title}. {text}" if title else text for title, text, _ in rows], [r[2] for r in rows]


def stored_vectors(index_dir: Path) -> np.ndarray:
    import faiss

    index = faiss.read_index(str(current_generation(index_dir) / "dense.faiss"))
    ids = np.sort(faiss.vector_to_array(faiss.downcast_index(index).id_map).astype(np.int64))
    return index.reconstruct_batch(ids)


def load_embedder(settings: Settings, corpus: Path, precision: str | None = None):
    """Load the embedder and warm it up on two batches of full-length text: the first calls at
    a new sequence length pay one-off set-up that would otherwise land on whichever of build
    and bare encode runs first."""
    warm = []
    for record in corpus_records(corpus):
        text = record.get("text") or ""
        if len(text) >= 1_500:
            warm.append(text[:1_500])
        if len(warm) == 2 * settings.embed_batch_size:
            break
    with timed() as t:
        embedder = get_embedder(settings.embedder, settings.embed_batch_size, precision or settings.embed_precision)
    with timed() as t_warm:
        embedder.embed(warm or ["warm up"])
    log(f"embedder loaded in {t.wall:.1f} s, warmed up on {len(warm)} texts in {t_warm.wall:.1f} s")
    return embedder, t


# --- full build --------------------------------------------------------------------------

def run_full(args, tmp: Path, precision: str | None = None) -> tuple[str, dict]:
    corpus = args.corpus
    if args.limit:
        corpus = tmp / "corpus.jsonl"
        if not corpus.exists():
            n = write_subset(args.corpus, args.limit, corpus)
            log(f"wrote the first {n} articles of {args.corpus} to {corpus}")
    index_dir = args.index or tmp / f"index-{precision or 'default'}"
    if args.index and precision:
        index_dir = args.index / precision
    if current_generation(index_dir) is not None:
        raise BenchmarkError(f"{index_dir} already holds an index; name a new folder (a full build "
                         "benchmark rebuilds it) or use --incremental")
    settings = Settings.from_env(index_dir=index_dir, embed_batch_size=args.batch_size, embed_precision=precision)
    embedder, t_load = load_embedder(settings, args.corpus)
    log(f"building {corpus} into {index_dir} ({embedder.precision})")

    profiler = cProfile.Profile() if args.profile else None
    with timed() as t_build:
        if profiler:
            profiler.enable()
        report = build_index([corpus], settings, embedder=embedder, rebuild=True, progress=not args.no_progress)
        if profiler:
            profiler.disable()
    peak = peak_rss_mb()
    log(report.summary().splitlines()[0])

    texts, tokens = embedded_texts(index_dir)
    assert len(texts) == report.chunks_embedded, (len(texts), report.chunks_embedded)
    log(f"bare encode of the same {len(texts)} texts, one call")
    with timed() as t_one:
        vectors = embedder.embed(texts)
    with timed() as t_sliced:
        if args.sliced:
            log(f"bare encode again, in {EMBED_BATCH}-chunk calls as build.py makes them")
            for start in range(0, len(texts), EMBED_BATCH):
                embedder.embed(texts[start:start + EMBED_BATCH])
    # Same texts -> same vectors (up to padding noise): proves the comparison is like for like.
    min_cos = float(np.min(np.sum(stored_vectors(index_dir) * vectors, axis=1))) if len(texts) else float("nan")

    n_art, n_chunks, n_tok = len(report.added), report.chunks_embedded, sum(tokens)
    rows = [
        ["pipeline: build_index", n_art, n_chunks, n_tok, t_build.wall, t_build.cpu,
         n_art / t_build.wall, n_chunks / t_build.wall, n_tok / t_build.wall],
        ["  of which embedding loop", "", n_chunks, n_tok, report.embed_seconds, None,
         None, n_chunks / report.embed_seconds, n_tok / report.embed_seconds],
        ["bare encode, one call", "", n_chunks, n_tok, t_one.wall, t_one.cpu,
         None, n_chunks / t_one.wall, n_tok / t_one.wall],
    ]
    if args.sliced:
        rows.append([f"bare encode, {EMBED_BATCH}-chunk calls", "", n_chunks, n_tok, t_sliced.wall, t_sliced.cpu,
                     None, n_chunks / t_sliced.wall, n_tok / t_sliced.wall])
    ratio_wall = t_one.wall / t_build.wall
    ratio_cpu = t_one.cpu / t_build.cpu
    ratio_sliced = t_sliced.wall / t_build.wall
    out = [table(["step", "articles", "chunks", "tokens", "wall s", "CPU s", "articles/s", "chunks/s", "tokens/s"],
                 rows, title=f"Full build of {corpus} ({report.articles} articles in the index, "
                             f"{len(report.skipped)} skipped); batch size {settings.embed_batch_size}"),
           "",
           f"embedder load (not in the build): {t_load.wall:.1f} s; peak RSS after the build: "
           f"{peak:,.0f} MB; non-embedding time in the build: {t_build.wall - report.embed_seconds:.1f} s; "
           f"min cosine(stored, bare) = {min_cos:.4f}",
           "tokens: chunk tokens without the title, as BuildReport.tokens_embedded counts them",
           "",
           table(["ratio pipeline / bare (chunks/s)", "measured", "target", "met"], [
               ["wall clock, vs one encode call", ratio_wall, f">= {TARGET_RATIO}", ratio_wall >= TARGET_RATIO],
               ["CPU time, vs one encode call", ratio_cpu, f">= {TARGET_RATIO}", ratio_cpu >= TARGET_RATIO],
           ] + ([[f"wall clock, vs {EMBED_BATCH}-chunk calls", ratio_sliced, "(info)", None]] if args.sliced else []))]
    if profiler:
        out += ["", profile_text(profiler, "full build", args.profile)]
    queries = [t[:120] for t in texts[:200:4]] or ["warm up"]
    latencies = []
    for query in queries:
        with timed() as t_query:
            embedder.embed([query])
        latencies.append(t_query.wall)
    result = {"precision": embedder.precision, "index_dir": str(index_dir), "vectors": vectors,
              "query_ms": statistics.median(latencies) * 1000, "chunks_per_s": n_chunks / t_build.wall,
              "bare_chunks_per_s": n_chunks / t_one.wall, "articles": n_art, "chunks": n_chunks, "tokens": n_tok, "build_s": t_build.wall,
              "build_cpu_s": t_build.cpu, "embed_s": report.embed_seconds, "bare_one_call_s": t_one.wall,
              "bare_one_call_cpu_s": t_one.cpu, "bare_sliced_s": t_sliced.wall if args.sliced else None, "load_s": t_load.wall,
              "peak_rss_mb": peak, "ratio_wall": ratio_wall, "ratio_cpu": ratio_cpu, "min_cosine": min_cos}
    return "\n".join(out), result


# --- incremental -------------------------------------------------------------------------

class TokenizerOnlyEmbedder:
    """The real embedder's id, dimension and tokenizer (so chunks come out exactly as in a real
    build) with random unit vectors instead of the model: builds a full-size base index in a
    minute instead of an hour. No-op and add builds never read the stored vectors' values."""

    def __init__(self, real) -> None:
        self.model_id, self.dim, self.max_tokens = real.model_id, real.dim, real.max_tokens
        self.count_tokens = real.count_tokens
        self._rng = np.random.default_rng(0)

    def embed(self, texts) -> np.ndarray:
        v = self._rng.standard_normal((len(texts), self.dim), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


class NoEmbedding(TokenizerOnlyEmbedder):
    """For the no-op step: a build that wants to embed is not a no-op, and would otherwise
    spend an hour re-embedding a corpus before the benchmark could say so."""

    def embed(self, texts) -> np.ndarray:
        raise BenchmarkError(f"the no-op build wanted to embed {len(texts)} chunks: this code does not see "
                             "the index as up to date with its inputs (built by another version?)")


def copy_index(src: Path, dst: Path) -> None:
    """Copy only the live generation: a build may be writing a newer one beside it."""
    live = current_generation(src)
    dst.mkdir(parents=True)
    shutil.copytree(live, dst / live.name)
    (dst / "CURRENT").write_text(live.name)


def new_articles(candidates: Path, known: set[str], tmp: Path, skip: int = 0):
    """Yield files each holding one article (its original JSONL line) that the index lacks."""
    import gzip

    opener = gzip.open if candidates.suffix == ".gz" else open
    n = 0
    with opener(candidates, "rb") as fh:
        for i, line in enumerate(fh):
            if i < skip or not line.strip():
                continue
            record = json.loads(line)
            url = str(record.get("url") or "").strip()
            # A mid-sized article: the add should measure a typical case, not a 60-chunk outlier.
            if not url or article_id_for(url) in known or not 2_000 <= len(record.get("text") or "") <= 12_000:
                continue
            n += 1
            path = tmp / f"new-{n:03d}.jsonl"
            path.write_bytes(line)
            yield path


def cli(index_dir: Path, inputs: list[str]) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "embeddings", "build", *inputs, "--index", str(index_dir), "--no-progress", "--json"]
    with timed() as t:
        done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise BenchmarkError(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return t.wall, json.loads(done.stdout)


def embed_seconds(embedder, index_dir: Path, article_path: Path) -> tuple[int, float]:
    """Bare encode time of the chunks the build made of one article (read back from the store)."""
    db = sqlite3.connect(f"file:{current_generation(index_dir) / 'chunks.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT a.title, c.text FROM chunks c JOIN articles a ON a.id = c.article_id "
                          "WHERE a.path = ? ORDER BY c.id", (str(article_path),)).fetchall()
    finally:
        db.close()
    texts = [f"{t}. {c}" if t else c for t, c in rows]
    with timed() as t:
        embedder.embed(texts)
    return len(texts), t.wall


def run_incremental(args, tmp: Path) -> tuple[str, dict]:
    work = tmp / "index"
    embedder, t_load = load_embedder(Settings.from_env(embed_batch_size=args.batch_size), args.corpus)
    if args.index and current_generation(args.index) is not None:
        log(f"copying the live generation of {args.index} to {work}")
        copy_index(args.index, work)
        base = f"copy of {args.index}"
        skip = 0
    else:
        if args.index:
            log(f"{args.index} holds no finished index (no CURRENT); building a base index here instead")
        corpus, skip = args.corpus, 0
        if args.limit:
            corpus, skip = tmp / "corpus.jsonl", args.limit
            write_subset(args.corpus, args.limit, corpus)
        what = f"the first {args.limit} articles of {args.corpus}" if args.limit else str(args.corpus)
        log(f"building a base index over {what}" + (" with stand-in vectors" if args.fake_base_vectors else ""))
        base_embedder = TokenizerOnlyEmbedder(embedder) if args.fake_base_vectors else embedder
        build_index([corpus], Settings.from_env(index_dir=work, embed_batch_size=args.batch_size),
                    embedder=base_embedder, progress=not args.no_progress)
        base = f"index built here over {what}" + (" (stand-in vectors)" if args.fake_base_vectors else "")
    manifest = Manifest.read(current_generation(work) / "manifest.json")
    inputs = list(manifest.inputs)
    store = ChunkStore(current_generation(work) / "chunks.sqlite", readonly=True)
    try:
        known = set(store.article_states())  # article ids
    finally:
        store.close()
    settings = Settings.from_env(index_dir=work, embed_batch_size=args.batch_size)
    log(f"base: {manifest.articles} articles, {manifest.chunks} chunks ({manifest.dense_kind}); inputs {inputs}")

    rows, result = [], {"base_articles": manifest.articles, "base_chunks": manifest.chunks}

    # no-op, in-process and as the CLI
    noop = []
    for _ in range(args.repeat):
        with timed() as t:
            report = build_index(inputs, settings, embedder=NoEmbedding(embedder), progress=False)
        if report.changed:
            raise BenchmarkError(f"the no-op build changed the index:\n{report.summary()}")
        noop.append(t.wall)
    rows.append(_inc_row("no-op build", "in-process", noop, None, TARGET_NOOP_S))
    noop_cli = []
    for _ in range(args.repeat):
        seconds, out = cli(work, inputs)
        if out["added"] or out["updated"] or out["removed"]:
            raise BenchmarkError(f"the no-op CLI build changed the index: {out}")
        noop_cli.append(seconds)
    rows.append(_inc_row("no-op build", "CLI", noop_cli, None, TARGET_NOOP_S))
    with timed() as t_import:
        subprocess.run([sys.executable, "-c", "import embeddings.cli"], check=True)
    with timed() as t_start:  # what every CLI build that embeds pays before its first chunk
        subprocess.run([sys.executable, "-c", "import embeddings.cli; from embeddings import get_embedder; "
                        "get_embedder()"], check=True, capture_output=True)
    result.update(noop_s=noop, noop_cli_s=noop_cli, import_s=t_import.wall, cli_load_s=t_start.wall)

    profile = ""
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        build_index(inputs, settings, embedder=NoEmbedding(embedder), progress=False)
        profiler.disable()
        profile = profile_text(profiler, "no-op build", args.profile)

    # one new article, in-process (embedder already loaded) and as the CLI (pays the model load)
    candidates = new_articles(args.new_from or args.corpus, known, tmp, skip)
    new_dir = tmp / "new"
    new_dir.mkdir()
    inputs_with_new = inputs + [str(new_dir)]
    adds, adds_cli, profile_add = [], [], ""
    for mode in ["in-process"] * args.repeat + ["CLI"] * args.repeat:
        for _ in range(5):  # a candidate may turn out to be a near-duplicate; try the next
            candidate = next(candidates, None)
            if candidate is None:
                raise BenchmarkError("found no new article to add; pass --new-from with a corpus the "
                                 "index lacks")
            path = shutil.move(str(candidate), new_dir)
            if mode == "CLI":
                seconds, out = cli(work, inputs_with_new)
                added = out["added"]
            else:
                profiler = cProfile.Profile() if args.profile and not adds else None
                with timed() as t:
                    if profiler:
                        profiler.enable()
                    report = build_index(inputs_with_new, settings, embedder=embedder, progress=False)
                    if profiler:
                        profiler.disable()
                seconds, added = t.wall, report.added
                if profiler and added:
                    profile_add = profile_text(profiler, "adding one article", args.profile)
            if added:
                break
            log(f"{Path(path).name} was skipped (duplicate?); trying another article")
        else:
            raise BenchmarkError("five new articles in a row were skipped as duplicates; pass another --new-from")
        chunks, embed_s = embed_seconds(embedder, work, Path(added[0]))
        (adds_cli if mode == "CLI" else adds).append((seconds, embed_s, chunks))
    for mode, runs in (("in-process", adds), ("CLI", adds_cli)):
        rows.append(_inc_row("add 1 article", mode, [r[0] for r in runs], runs, TARGET_ADD_OVERHEAD_S))
    result.update(add_s=adds, add_cli_s=adds_cli, load_s=t_load.wall)

    out = [table(["step", "mode", "runs", "median s", "min s", "max s", "chunks", "embed s", "other s",
                  "target", "met"], rows,
                 title=f"Incremental builds on the {base}: {manifest.articles} articles, {manifest.chunks} chunks"),
           "",
           "embed s: bare encode of that article's chunks (median over runs); other s = total - embed s",
           f"CLI includes the interpreter and imports ({t_import.wall:.1f} s for `import embeddings.cli`) and, "
           f"when adding, the embedder load ({t_start.wall:.1f} s for a process that imports the CLI and loads "
           f"the embedder; in-process load: {t_load.wall:.1f} s)",
           f"each add syncs all inputs ({len(inputs)}) plus a folder of new one-article files"]
    for text in (profile, profile_add):
        if text:
            out += ["", text]
    return "\n".join(out).rstrip(), result


def _inc_row(step: str, mode: str, totals: list[float], runs, target: float) -> list:
    median = statistics.median(totals)
    if runs is None:
        return [step, mode, len(totals), median, min(totals), max(totals), None, None, None,
                f"< {target:.0f} s", median < target]
    embed = statistics.median(r[1] for r in runs)
    chunks = statistics.median(r[2] for r in runs)
    other = statistics.median(r[0] - r[1] for r in runs)
    return [step, mode, len(totals), median, min(totals), max(totals), chunks, embed, other,
            f"< {target:.0f} s + embed", other < target]


def profile_text(profiler: cProfile.Profile, what: str, top: int) -> str:
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    lines = [l for l in buffer.getvalue().splitlines() if l.strip()]
    return f"cProfile of the {what} (top {top} by cumulative, then by own time)\n" + "\n".join(lines)


def run_precisions(args, tmp: Path) -> tuple[str, dict]:
    """Full builds of one corpus at each precision, side by side."""
    texts, results = [], []
    for precision in args.precision.split(","):
        text, result = run_full(args, tmp, precision.strip())
        texts.append(text)
        results.append(result)
    base = results[0]
    rows = []
    for r in results:
        cos = float(np.min(np.sum(r["vectors"] * base["vectors"], axis=1))) if len(r["vectors"]) else float("nan")
        rows.append([r["precision"], r["chunks"], r["build_s"], r["chunks_per_s"], r["chunks_per_s"] / base["chunks_per_s"],
                     r["bare_chunks_per_s"], r["ratio_wall"], r["query_ms"], f"{cos:.4f}"])
    summary = table(["precision", "chunks", "build s", "chunks/s", f"x {base['precision']}", "bare chunks/s",
                     "build / bare", "query ms (median)", f"min cos to {base['precision']}"], rows,
                    title="Full builds side by side (targets: >= 1.7x the float32 build, build / bare >= 0.95)")
    for r in results:
        del r["vectors"]
    return "\n\n".join([*texts, summary]), {"precisions": results}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_build", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="JSONL(.gz) corpus of articles")
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles (full build, and "
                        "the base index for --incremental without --index)")
    parser.add_argument("--index", type=Path, default=None, help="full build: a new folder to build in "
                        "(default: a temporary one); --incremental: an existing index to copy")
    parser.add_argument("--incremental", action="store_true", help="time a no-op build and adding one article")
    parser.add_argument("--fake-base-vectors", action="store_true",
                        help="--incremental without --index: build the base index with the real tokenizer "
                             "but random vectors (minutes instead of an hour for a full corpus)")
    parser.add_argument("--new-from", type=Path, default=None,
                        help="corpus to take new articles from (default: --corpus); must hold articles the index lacks")
    parser.add_argument("--sliced", action="store_true",
                        help=f"also time the bare encode in {EMBED_BATCH}-chunk calls, as build.py makes them")
    parser.add_argument("--repeat", type=int, default=3, help="runs per incremental step")
    parser.add_argument("--batch-size", type=int, default=None, help="embedder batch size (default: settings)")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP",
                        help="also print a cProfile of the build (top N functions)")
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--precision", default=None, metavar="P[,P...]",
                        help="full builds at each embedder precision, compared (e.g. fp32,bf16; the first is "
                             "the baseline); with --index, each is built in INDEX/<precision>")
    parser.add_argument("--json", action="store_true", help="print the measurements as JSON")
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        parser.error(f"{args.corpus} does not exist")

    note = machine_note()
    log(note)
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as tmp:
        try:
            if args.incremental:
                text, result = run_incremental(args, Path(tmp))
            elif args.precision:
                text, result = run_precisions(args, Path(tmp))
            else:
                text, result = run_full(args, Path(tmp))
                del result["vectors"]
        except (BenchmarkError, NewsdeskError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps({"machine": note, **result}, indent=1))
    else:
        print(text)
        print(f"\n{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
