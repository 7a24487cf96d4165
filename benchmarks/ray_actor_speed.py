"""The same groups embedded in a Ray actor and in the driver, in one Ray session, in turns.

    python -m benchmarks.ray_actor_speed --corpus ../shared/eval/realtimeqa-2025/corpus.jsonl.gz

Why a ``--ray local`` build stays below a local one after its start-up: the embedder actor
computes more slowly than the same code in an ordinary process. Both run the packaged
embedder at the build's precision and threads, on the same groups of 256 chunk texts, with
the same Ray processes around them; turns alternate so that the machine's drift hits both.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks._common import corpus_records, log, machine_note, table


def chunk_texts(corpus: Path, limit: int) -> list[str]:
    from embeddings import Settings
    from embeddings.chunking import chunk_text
    from embeddings.clean import clean_text
    from embeddings.embedder import get_tokenizer

    settings, tokens = Settings.from_env(), get_tokenizer()
    texts: list[str] = []
    for record in corpus_records(corpus):
        text = clean_text(record.get("text") or "")
        texts += [c.text for c in chunk_text(text, tokens.count_tokens, settings.chunk_tokens,
                                             settings.chunk_overlap_tokens)]
        if len(texts) >= limit:
            return texts[:limit]
    return texts


def embed_groups(embedder, groups: list[list[str]]) -> tuple[float, float]:
    """Wall and CPU seconds of this process to embed ``groups``."""
    wall, cpu = time.perf_counter(), time.process_time()
    for group in groups:
        embedder.embed(group)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/eval/realtimeqa-2025/corpus.jsonl.gz"))
    parser.add_argument("--chunks", type=int, default=1024)
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args(argv)
    import ray

    from embeddings.embedder import get_embedder, resolve_precision, torch_default_threads

    note = machine_note()
    log(note)
    texts = chunk_texts(args.corpus, args.chunks)
    groups = [texts[k:k + 256] for k in range(0, len(texts), 256)]
    precision, threads = resolve_precision("auto"), torch_default_threads()
    ray.init(num_cpus=threads, include_dashboard=False, log_to_driver=False)

    @ray.remote(num_cpus=threads)
    class Embedder:
        def __init__(self) -> None:
            import torch

            torch.set_num_threads(threads)  # as ray_embed's actor does
            self.embedder = get_embedder(precision=precision)
            self.embedder.embed(groups[0][:16])

        def run(self) -> tuple[float, float]:
            return embed_groups(self.embedder, groups)

    actor = Embedder.remote()
    ray.get(actor.run.remote())  # warm: first calls build oneDNN kernels
    local = get_embedder(precision=precision)
    embed_groups(local, groups)
    rows = []
    for turn in range(1, args.turns + 1):
        in_actor = ray.get(actor.run.remote())
        in_driver = embed_groups(local, groups)
        rows.append([turn, round(in_actor[0], 2), round(in_actor[1], 1), round(in_driver[0], 2),
                     round(in_driver[1], 1), f"{in_actor[0] / in_driver[0]:.2f}x"])
    ray.shutdown()
    print(table(["turn", "actor s", "actor CPU s", "driver s", "driver CPU s", "actor / driver"], rows,
                title=f"{len(texts)} chunks in groups of 256, {precision}, {threads} threads; {note}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
