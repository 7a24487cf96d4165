"""The damage matrix: each row damages one part of a built index the way a disk, a crash or
a careless hand does. Whatever the damage, loading (and `qa`) and building must end in one
``IndexDamagedError`` that names the exact command to mend it, a plain build must never
report success over it, and that command must then work."""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import embeddings.build
import embeddings.index
from embeddings import (DiskFullError, IndexDamagedError, IndexMismatchError, NewsdeskError, Settings, build_index,
                        load_index)
from embeddings.cli import main as build_main
from embeddings.index import current_generation
from embeddings.store import Article, ChunkStore
from qa import answer
from qa.cli import main as qa_main

from ..fakes import CannedGenerator, FakeEmbedder
from .corpus import ARTICLES, write_corpus

answer_module = importlib.import_module("qa._answer")

QUESTION = "Who took over as interim leader of Venezuela?"
REPLY = "Delcy Rodriguez took over as interim leader."
TITLES = sorted(ARTICLES[name]["title"] for name in ("storm", "venezuela", "football"))


@pytest.fixture(autouse=True)
def fake_models(monkeypatch):
    """Builds, loads, the CLIs and qa all use the FakeEmbedder and a canned model, with
    settings from the environment alone (as the commands a user pastes see them)."""
    for name in [n for n in os.environ if n.startswith("NEWSDESK_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NEWSDESK_EMBEDDER", "fake-embedder")
    monkeypatch.setenv("NEWSDESK_CHUNK_TOKENS", "40")
    monkeypatch.setenv("NEWSDESK_CHUNK_OVERLAP_TOKENS", "10")
    monkeypatch.setattr(embeddings.build, "get_embedder", lambda *a, **kw: FakeEmbedder())
    monkeypatch.setattr(embeddings.index, "get_embedder", lambda *a, **kw: FakeEmbedder())
    monkeypatch.setattr(answer_module, "get_generator", lambda *a, **kw: CannedGenerator([REPLY]))


@pytest.fixture
def built(tmp_path):
    """A healthy index of three articles in a directory whose name needs shell quoting."""
    settings = Settings.from_env(index_dir=tmp_path / "my index")
    build_index([write_corpus(tmp_path / "news")], settings, embedder=FakeEmbedder(), progress=False)
    return settings


# --- the damage -------------------------------------------------------------------------

def _overwrite(path: Path, offset: int, size: int = 64) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write((b"\xff\x00garbage" * size)[:size])


def _table_page(gen: Path, table: str) -> int:
    """Where the b-tree of ``table`` starts in chunks.sqlite."""
    db = sqlite3.connect(f"file:{gen / 'chunks.sqlite'}?mode=ro", uri=True)
    try:
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        (page_size,) = db.execute("PRAGMA page_size").fetchone()
    finally:
        db.close()
    return (root - 1) * page_size


def _set_manifest(gen: Path, **changes) -> None:
    data = json.loads((gen / "manifest.json").read_text())
    data.update(changes)
    (gen / "manifest.json").write_text(json.dumps(data))


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garble(path: Path) -> None:
    path.write_bytes(b"\x00garbage" * 64)


def _fewer_ids(gen: Path) -> None:
    ids = np.load(gen / "bm25" / "chunk_ids.npy")
    np.save(gen / "bm25" / "chunk_ids.npy", ids[:-2])  # a valid .npy, two ids short


# Each row: (damage, who sees it). "load": loading refuses the index. "query": the index
# loads (its cheap checks pass) and the first question that reads the damage fails.
# "build": invisible to a load, which never reads whole files; the build's checksums see it.
DAMAGE = {
    # The articles table's first page: COUNT(*) reads only the id index, so the load passes.
    "sqlite-articles-page": (lambda g: _overwrite(g / "chunks.sqlite", _table_page(g, "articles")), "query"),
    "sqlite-chunks-page": (lambda g: _overwrite(g / "chunks.sqlite", _table_page(g, "chunks")), "load"),
    "sqlite-middle-bytes": (lambda g: _overwrite(g / "chunks.sqlite", (g / "chunks.sqlite").stat().st_size // 2),
                            "build"),
    "sqlite-garbled": (lambda g: _garble(g / "chunks.sqlite"), "load"),
    "sqlite-cut-short": (lambda g: _cut(g / "chunks.sqlite"), "load"),
    "sqlite-missing": (lambda g: (g / "chunks.sqlite").unlink(), "load"),
    "manifest-dim-not-a-number": (lambda g: _set_manifest(g, dim="abc"), "load"),
    "manifest-inputs-not-a-list": (lambda g: _set_manifest(g, inputs=5), "load"),
    "manifest-chunks-wrong": (lambda g: _set_manifest(g, chunks=2), "load"),
    "manifest-not-json": (lambda g: (g / "manifest.json").write_text("{not json"), "load"),
    "manifest-not-an-object": (lambda g: (g / "manifest.json").write_text("[1, 2]"), "load"),
    "manifest-missing": (lambda g: (g / "manifest.json").unlink(), "load"),
    "faiss-garbled": (lambda g: _garble(g / "dense.faiss"), "load"),
    "faiss-cut-short": (lambda g: _cut(g / "dense.faiss"), "load"),
    "faiss-missing": (lambda g: (g / "dense.faiss").unlink(), "load"),
    "faiss-middle-bytes": (lambda g: _overwrite(g / "dense.faiss", (g / "dense.faiss").stat().st_size // 2),
                           "build"),
    "bm25-ids-short": (_fewer_ids, "load"),
    "bm25-state-garbled": (lambda g: _garble(g / "bm25" / "state.json"), "load"),
    "bm25-scores-missing": (lambda g: (g / "bm25" / "data.csc.index.npy").unlink(), "load"),
    "current-garbled": (lambda g: (g.parent / "CURRENT").write_bytes(b"\xff\xfe\x00gen"), "load"),
    "current-missing": (lambda g: (g.parent / "CURRENT").unlink(), "load"),
}


def _rebuild_argv(message: str, index_dir: Path) -> list[str]:
    """The command a damage message names, as `embeddings.cli.main` arguments; it must name
    this index (quoted for the shell) or it would rebuild another one."""
    words = shlex.split(re.search(r"`([^`]+)`", message).group(1))
    assert words[:5] == ["python", "-m", "embeddings", "build", "--rebuild"], message
    assert words[-2:] == ["--index", str(index_dir)], message
    return words[3:]


def _state(index_dir: Path):
    return (index_dir / "CURRENT").read_bytes() if (index_dir / "CURRENT").exists() else None, \
        sorted(p.name for p in index_dir.glob("gen-*"))


@pytest.mark.parametrize("case", DAMAGE)
def test_damage_is_one_clear_error_and_the_named_command_mends_it(built, case, capsys):
    index_dir = built.index_dir
    damage, seen_by = DAMAGE[case]
    damage(current_generation(index_dir))
    before = _state(index_dir)

    if seen_by == "load":
        with pytest.raises(IndexDamagedError, match=r"^the index at .* is damaged \(.+\): run `"):
            load_index(built)
    if seen_by in ("load", "query"):
        with pytest.raises(IndexDamagedError, match=r"is damaged") as raised:
            answer(QUESTION, settings=built, generator=CannedGenerator([REPLY]))
        assert isinstance(raised.value, IndexMismatchError)  # what handlers written before it catch
        _rebuild_argv(str(raised.value), index_dir)
        assert qa_main([QUESTION, "--index", str(index_dir)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: the index at") and err.count("\n") == 1 and "Traceback" not in err

    # A plain build, by API or CLI, with or without inputs, never reports success over damage.
    with pytest.raises(IndexDamagedError, match="is damaged"):
        build_index([], built, progress=False)
    code, out = build_main(["build", "--index", str(index_dir), "--no-progress"]), capsys.readouterr()
    assert code == 2 and out.out == "" and out.err.count("\n") == 1 and "is damaged" in out.err
    assert _state(index_dir) == before  # refused before touching anything

    # The command the error names works as printed, with no inputs: none of them is lost.
    assert build_main(_rebuild_argv(out.err, index_dir) + ["--no-progress"]) == 0
    assert capsys.readouterr().out.startswith("3 added")
    index = load_index(built)
    try:
        assert sorted(a.title for a in index.articles()) == TITLES
        assert "Delcy Rodriguez" in answer(QUESTION, settings=built, generator=CannedGenerator([REPLY])).text
    finally:
        index.close()
    assert build_main(["build", "--index", str(index_dir), "--no-progress"]) == 0  # and builds go on
    assert "no change written" in capsys.readouterr().out


# An index written before manifests recorded file sizes and hashes must keep loading and
# building; its damage is then found by the count checks and SQLite's own check instead.
LEGACY = ["sqlite-articles-page", "sqlite-chunks-page", "sqlite-cut-short", "manifest-chunks-wrong",
          "faiss-cut-short", "bm25-ids-short"]


def _strip_file_records(gen: Path) -> None:
    data = json.loads((gen / "manifest.json").read_text())
    del data["file_sizes"], data["file_hashes"]
    (gen / "manifest.json").write_text(json.dumps(data))


@pytest.mark.parametrize("case", LEGACY)
def test_damage_to_an_index_without_file_records_is_found_too(built, case):
    gen = current_generation(built.index_dir)
    _strip_file_records(gen)
    damage, seen_by = DAMAGE[case]
    damage(gen)
    if seen_by == "load":
        with pytest.raises(IndexDamagedError, match="is damaged"):
            load_index(built)
    with pytest.raises(IndexDamagedError, match="is damaged"):
        build_index([], built, progress=False)


def test_an_index_without_file_records_still_loads_and_builds(built, tmp_path):
    _strip_file_records(current_generation(built.index_dir))
    index = load_index(built)
    assert sorted(a.title for a in index.articles()) == TITLES
    index.close()
    assert build_index([], built, progress=False).generation == ""  # nothing changed, nothing refused
    write_corpus(tmp_path / "news", names=("markets",))
    report = build_index([], built, embedder=FakeEmbedder(), progress=False)
    assert len(report.added) == 1 and report.unchanged == 3
    assert json.loads((current_generation(built.index_dir) / "manifest.json").read_text())["file_hashes"]


# --- the parts of the fix, one at a time ------------------------------------------------

@pytest.mark.parametrize("field, value, says", [
    ("dim", "abc", 'field dim is "abc", not a whole number'),
    ("inputs", 5, "field inputs is 5, not a list of strings"),
    ("chunks", -1, "field chunks is -1, not a whole number"),
    ("file_hashes", {"dense.faiss": 1}, "field file_hashes is"),
    ("built_at", None, "field built_at is null, not a string"),
    ("file_sizes", {"../../etc/passwd": 1}, "a file outside the generation"),
])
def test_manifest_field_types_are_checked_on_load(built, field, value, says):
    _set_manifest(current_generation(built.index_dir), **{field: value})
    with pytest.raises(IndexDamagedError) as raised:
        load_index(built)
    assert says in str(raised.value) and "manifest.json" in str(raised.value)


def test_article_hashes_of_older_manifests_are_no_longer_read_or_written(built, tmp_path):
    gen = current_generation(built.index_dir)
    assert "article_hashes" not in json.loads((gen / "manifest.json").read_text())
    _set_manifest(gen, article_hashes={"a": 1})  # what an older build wrote, even damaged, is ignored
    index = load_index(built)
    assert sorted(a.title for a in index.articles()) == TITLES
    index.close()
    write_corpus(tmp_path / "news", names=("markets",))
    assert len(build_index([], built, embedder=FakeEmbedder(), progress=False).added) == 1
    assert "article_hashes" not in json.loads((current_generation(built.index_dir) / "manifest.json").read_text())


def test_a_later_format_version_is_a_mismatch_not_damage(built):
    _set_manifest(current_generation(built.index_dir), format_version=99, dim="a field it renamed")
    with pytest.raises(IndexMismatchError, match="format version 99") as raised:
        load_index(built)
    assert not isinstance(raised.value, IndexDamagedError)


def test_the_default_index_is_rebuilt_by_the_bare_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env()
    assert settings.index_dir == Path("data/index")
    build_index([write_corpus(tmp_path / "news")], settings, embedder=FakeEmbedder(), progress=False)
    (current_generation(settings.index_dir) / "dense.faiss").unlink()
    with pytest.raises(IndexDamagedError, match=r": run `python -m embeddings build --rebuild` to rebuild it"):
        load_index(settings)
    # ... but not when the environment would send the bare command to another index.
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(IndexDamagedError, match=r"`python -m embeddings build --rebuild --index data/index`"):
        load_index(settings)


def test_unknown_inputs_make_the_command_ask_for_them(built, tmp_path, capsys):
    index_dir = built.index_dir
    gen = current_generation(index_dir)
    (gen / "manifest.json").write_text("{not json")
    _garble(gen / "chunks.sqlite")
    with pytest.raises(IndexDamagedError) as raised:
        load_index(built)
    assert f"`python -m embeddings build --rebuild INPUTS --index {shlex.quote(str(index_dir))}`" in str(raised.value)
    assert build_main(["build", "--rebuild", "--index", str(index_dir), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "inputs it was built from are unreadable" in err and "--rebuild INPUTS --index" in err
    argv = [w if w != "INPUTS" else str(tmp_path / "news") for w in _rebuild_argv(err, index_dir)]
    assert build_main(argv + ["--no-progress"]) == 0


def test_rebuild_keeps_the_live_generation_for_readers(built):
    index = load_index(built)
    before = index.generation
    build_index([], built, embedder=FakeEmbedder(), rebuild=True, progress=False)
    assert before.exists() and index.is_stale()
    assert sorted(a.title for a in index.articles()) == TITLES  # the running reader still reads it
    index.close()


@pytest.fixture
def store(built):
    """The live generation's chunk store, its file garbled under it."""
    path = current_generation(built.index_dir) / "chunks.sqlite"
    _garble(path)
    opened = ChunkStore(path, readonly=True)
    yield opened
    opened.close()


@pytest.mark.parametrize("call", [
    lambda s: s.article_states(), lambda s: list(s.minhashes()), lambda s: s.article("x"), lambda s: s.articles(),
    lambda s: s.chunks([1, 2]), lambda s: s.chunks_of_article("x"), lambda s: s.all_chunk_texts(),
    lambda s: s.chunk_ids_where("2025-01-01"), lambda s: s.sources(), lambda s: s.newest_date(),
    lambda s: s.counts(), lambda s: s.max_chunk_id(), lambda s: s.input_roots(), lambda s: s.check(),
    lambda s: s.newest_leads(4, 100),
], ids=["article_states", "minhashes", "article", "articles", "chunks", "chunks_of_article", "all_chunk_texts",
        "chunk_ids_where", "sources", "newest_date", "counts", "max_chunk_id", "input_roots", "check",
        "newest_leads"])
def test_every_store_query_reports_damage_not_sqlite(built, store, call):
    with pytest.raises(IndexDamagedError, match=r"chunks\.sqlite.*run `python -m embeddings build --rebuild --index"):
        call(store)


def test_a_full_disk_says_so(tmp_path):
    (tmp_path / "index" / "gen-000001").mkdir(parents=True)
    store = ChunkStore(tmp_path / "index" / "gen-000001" / "chunks.sqlite")
    store._db.execute("PRAGMA max_page_count = 8")  # SQLite's own SQLITE_FULL, as from a full disk
    article = Article("a", "k", "root", "p", "u", "t", "b", "2025-01-01", "h", "r", "x" * 200_000, "now")
    with pytest.raises(DiskFullError, match=r"the disk holding .*index is full .*free some space") as raised:
        store.put_article(article, np.zeros(128, dtype=np.uint64))
    assert isinstance(raised.value, NewsdeskError) and not isinstance(raised.value, IndexDamagedError)
    store.close()
